/**
 * Bounded out-of-orderness watermark (SPEC §1.3–1.4): W = max(W, min over active sources (maxTs_s − B − 1)).
 * A source is idle once it delivered nothing for idleTimeoutMs of processing time; idle sources are left out,
 * and when every source is idle W stays where it is. W never decreases.
 */
export interface SourceState { maxTs: number; lastArrival: number }

export class WatermarkTracker {
  watermark = -Infinity;
  private readonly sources = new Map<string, SourceState>();
  private lastSource: string | undefined;
  private lastState: SourceState | undefined;

  constructor(
    private readonly bound: number,
    private readonly idleTimeoutMs: number,
    private readonly now: () => number,
    declared: readonly string[] = [],
  ) {
    const t = now();
    for (const id of declared) this.sources.set(id, { maxTs: -Infinity, lastArrival: t });
  }

  /** Records the arrival of event time `ts` from `source`, then recomputes W. */
  observe(ts: number, source: string): void {
    // Records usually come from the same source as the one before: skip the map lookup then.
    let s = source === this.lastSource ? this.lastState : this.sources.get(source);
    const t = this.idleTimeoutMs > 0 ? this.now() : 0;
    if (!s) { s = { maxTs: ts, lastArrival: t }; this.sources.set(source, s); }
    else { if (ts > s.maxTs) s.maxTs = ts; s.lastArrival = t; }
    this.lastSource = source;
    this.lastState = s;
    if (this.sources.size === 1) {
      const w = s.maxTs - this.bound - 1;
      if (w > this.watermark) this.watermark = w;
    } else this.recompute();
  }

  /** Re-evaluates idleness against the clock (called on every tick). Returns true when W moved. */
  refresh(): boolean {
    const before = this.watermark;
    if (this.sources.size > 1 && this.idleTimeoutMs > 0) this.recompute();
    return this.watermark !== before;
  }

  /** End of input: W := +∞. */
  finish(): void { this.watermark = Infinity; }

  /** Processing-time mode: W follows the wall clock. */
  advanceTo(w: number): void { if (w > this.watermark) this.watermark = w; }

  snapshot(): unknown {
    return { w: this.watermark, sources: [...this.sources].map(([id, s]) => [id, s.maxTs, s.lastArrival]) };
  }

  restore(s: { w: number; sources: [string, number, number][] }): void {
    this.watermark = s.w;
    this.sources.clear();
    this.lastSource = this.lastState = undefined;
    for (const [id, maxTs, lastArrival] of s.sources) this.sources.set(id, { maxTs, lastArrival });
  }

  private recompute(): void {
    const t = this.idleTimeoutMs > 0 ? this.now() : 0;
    let min = Infinity;
    let active = 0;
    for (const s of this.sources.values()) {
      if (this.idleTimeoutMs > 0 && t - s.lastArrival >= this.idleTimeoutMs) continue;
      active++;
      if (s.maxTs < min) min = s.maxTs;
    }
    if (active === 0) return;
    const w = min - this.bound - 1;
    if (w > this.watermark) this.watermark = w;
  }
}
