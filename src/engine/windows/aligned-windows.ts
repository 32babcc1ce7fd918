/**
 * Tumbling and sliding windows computed from panes (SPEC §2, §3). The time axis is cut into panes of
 * p = gcd(size, slide); each record updates exactly one pane, so per-record cost does not depend on size/slide.
 * A window is the merge of its size/p panes: in-order firings take them from a per-key two-stack aggregate
 * (amortised O(1) per firing), late firings and updates merge the panes directly.
 *
 * Timers: each key has at most one pending ON_TIME firing (`fireEnd`, the end of its next window holding data),
 * queued in a bucket per window end. Buckets are filled in key order by the previous firing, so sorting a bucket
 * by key at firing time is nearly linear.
 */
import type { Acc } from '../aggregates/accumulator';
import { Heap } from '../util/heap';
import { compareKeys, gcd, lowerBound, mod } from '../util/math';
import type { WindowBounds } from '../types';
import type { WindowAlgorithm, WindowContext, WindowHistory } from './context';
import { TwoStackAggregate } from './two-stack';

class KeyState {
  /** Live panes as parallel arrays, sorted by start. */
  readonly starts: number[] = [];
  readonly accs: Acc[] = [];
  /** End of the next window to fire ON_TIME, Infinity when none. */
  fireEnd = Infinity;
  /** Emission history per window start (only when the context tracks history). */
  history: Map<number, WindowHistory> | null = null;
  /** In-order window aggregate and the pane range [fifoLo, fifoHi) it holds. */
  fifo: TwoStackAggregate | null = null;
  fifoLo = 0;
  fifoHi = 0;
  /** Time of the pending cleanup check, Infinity when none is queued. */
  cleanupAt = Infinity;
  constructor(readonly key: string) {}
}

export class AlignedWindows implements WindowAlgorithm {
  private readonly keys = new Map<string, KeyState>();
  /** Panes of length p = gcd(size, slide), aligned at the offset. */
  private readonly p: number;
  private readonly offset: number;
  private readonly endOffset: number;
  private readonly buckets = new Map<number, KeyState[]>();
  private readonly ends = new Heap<number>((a, b) => a < b);
  /** With lateness or emit-on-update, state outlives the ON_TIME firing and needs its own cleanup timers. */
  private readonly cleanups: Heap<KeyState> | null;
  private panesOpen = 0;
  /** Reused for window values that are turned into a result at once. */
  private readonly scratch: Acc;

  constructor(
    private readonly ctx: WindowContext,
    private readonly type: 'tumbling' | 'sliding',
    private readonly size: number,
    private readonly slide: number,
    offset: number,
  ) {
    this.p = gcd(size, slide);
    this.offset = mod(offset, slide);
    this.endOffset = mod(this.offset + size, slide);
    this.scratch = ctx.agg.create();
    this.cleanups = ctx.lateness > 0 || ctx.emitOnUpdate
      ? new Heap<KeyState>((a, b) => a.cleanupAt < b.cleanupAt)
      : null;
  }

  get openWindows(): number { return this.panesOpen; }

  add(key: string, ts: number, value: unknown, seq: number): void {
    const { ctx, size, slide } = this;
    const W = ctx.watermark;
    const sLast = ts - mod(ts - this.offset, slide); // latest window start containing ts
    // earliest window start containing ts (tumbling: the only one)
    const sFirst = slide === size ? sLast : this.firstStartAfter(ts - size);
    if (sFirst > sLast) { // ts falls between windows (slide > size)
      if (ts + ctx.lateness <= W) ctx.late(key, ts, value);
      return;
    }
    if (ts > W) { // the fast path: no window containing ts has fired
      const ks = this.keyState(key);
      ctx.agg.add(this.pane(ks, slide === size ? sLast : ts - mod(ts - this.offset, this.p)), value, ts, seq);
      if (ctx.emitOnUpdate) this.emitUpdates(ks, sFirst, sLast);
      else if (sFirst + size < ks.fireEnd) this.schedule(ks, sFirst + size);
      return;
    }
    // Behind the watermark: judged per window (SPEC §2.3).
    let firstAccepted = sFirst;
    while (firstAccepted <= sLast && firstAccepted + size - 1 + ctx.lateness <= W) firstAccepted += slide;
    if (firstAccepted > sLast) {
      if (ts + ctx.lateness <= W) ctx.late(key, ts, value);
      return;
    }
    const ks = this.keyState(key);
    const ps = ts - mod(ts - this.offset, this.p);
    ctx.agg.add(this.pane(ks, ps), value, ts, seq);
    if (ks.fifo && ps >= ks.fifoLo && ps < ks.fifoHi) ks.fifo = null;
    if (ctx.emitOnUpdate) { this.emitUpdates(ks, firstAccepted, sLast); return; }
    for (let s = firstAccepted; s <= sLast; s += slide) {
      const end = s + size;
      if (end - 1 <= W) this.emitDirect(ks, s, 'LATE');
      else if (end < ks.fireEnd) this.schedule(ks, end);
    }
  }

  fire(): void {
    const W = this.ctx.watermark;
    let end: number | undefined;
    while ((end = this.ends.peek()) !== undefined && end - 1 <= W) {
      this.ends.pop();
      const bucket = this.buckets.get(end) as KeyState[];
      this.buckets.delete(end);
      if (bucket.length > 1) bucket.sort((a, b) => compareKeys(a.key, b.key));
      for (const ks of bucket) {
        if (ks.fireEnd !== end) continue; // rescheduled earlier, or a duplicate
        this.fireOnTime(ks, end);
      }
    }
    const cleanups = this.cleanups;
    if (cleanups) {
      let ks: KeyState | undefined;
      while ((ks = cleanups.peek()) !== undefined && ks.cleanupAt <= W) {
        cleanups.pop();
        ks.cleanupAt = Infinity;
        this.cleanup(ks, W);
      }
    }
  }

  private fireOnTime(ks: KeyState, end: number): void {
    const start = end - this.size;
    const acc = this.size === this.p ? this.paneAt(ks, start) : this.fifoValue(ks, start, end);
    this.ctx.emitResult(ks.key, this.bounds(start), 'ON_TIME', acc, this.history(ks, start));
    ks.fireEnd = this.nextWindowEnd(ks, end);
    if (ks.fireEnd !== Infinity) this.enqueue(ks, ks.fireEnd);
    // Without lateness, a pane is released as soon as its last window fired. Not by W: a watermark jump fires
    // several windows of this key in turn, and the later ones still need their panes.
    if (!this.cleanups) this.cleanup(ks, end - 1);
  }

  /** Smallest window end > `after` whose window holds a live pane (Infinity if none). */
  private nextWindowEnd(ks: KeyState, after: number): number {
    const starts = ks.starts;
    for (let i = lowerBound(starts, after - this.size + 1); i < starts.length; i++) {
      const ps = starts[i];
      const e = this.firstEndAtLeast(Math.max(after + 1, ps + 1));
      if (e - this.size <= ps) return e;
    }
    return Infinity;
  }

  /** Releases panes (and window histories) whose last window is past `W` + L (SPEC §3.3 pane retention). */
  private cleanup(ks: KeyState, W: number): void {
    const { size, slide, ctx } = this;
    const starts = ks.starts;
    let n = 0;
    while (n < starts.length) {
      const ps = starts[n];
      const lastStart = ps - mod(ps - this.offset, slide);
      if (lastStart + size - 1 + ctx.lateness > W) break;
      n++;
    }
    if (n > 0) { starts.splice(0, n); ks.accs.splice(0, n); this.panesOpen -= n; }
    if (ks.history) {
      for (const s of ks.history.keys()) if (s + size - 1 + ctx.lateness <= W) ks.history.delete(s);
    }
    if (starts.length === 0) {
      if (ks.fireEnd === Infinity) this.keys.delete(ks.key);
      return;
    }
    if (this.cleanups) {
      const ps = starts[0];
      const at = ps - mod(ps - this.offset, slide) + size - 1 + ctx.lateness;
      if (at < ks.cleanupAt) { ks.cleanupAt = at; this.cleanups.push(ks); }
    }
  }

  private fifoValue(ks: KeyState, start: number, end: number): Acc {
    const agg = this.ctx.agg;
    if (!ks.fifo || start < ks.fifoLo) {
      ks.fifo = new TwoStackAggregate(agg);
      ks.fifoLo = ks.fifoHi = start;
    }
    const fifo = ks.fifo;
    while (fifo.oldest() < start) fifo.pop();
    const { starts, accs } = ks;
    for (let i = lowerBound(starts, Math.max(ks.fifoHi, start)); i < starts.length && starts[i] < end; i++) {
      fifo.push(starts[i], accs[i]);
    }
    ks.fifoLo = start;
    ks.fifoHi = end;
    return fifo.query(agg.reset(this.scratch));
  }

  /** Emits the current value of window [s, s+size) computed from its panes. */
  private emitDirect(ks: KeyState, s: number, timing: 'EARLY' | 'LATE'): void {
    const agg = this.ctx.agg;
    const acc = agg.reset(this.scratch);
    const { starts, accs } = ks;
    for (let i = lowerBound(starts, s); i < starts.length && starts[i] < s + this.size; i++) agg.merge(acc, accs[i]);
    this.ctx.emitResult(ks.key, this.bounds(s), timing, acc, this.history(ks, s));
  }

  private emitUpdates(ks: KeyState, from: number, to: number): void {
    const W = this.ctx.watermark;
    for (let s = from; s <= to; s += this.slide) this.emitDirect(ks, s, s + this.size - 1 <= W ? 'LATE' : 'EARLY');
    this.scheduleCleanup(ks);
  }

  private scheduleCleanup(ks: KeyState): void {
    if (!this.cleanups || ks.starts.length === 0) return;
    const ps = ks.starts[0];
    const at = ps - mod(ps - this.offset, this.slide) + this.size - 1 + this.ctx.lateness;
    if (at < ks.cleanupAt) { ks.cleanupAt = at; this.cleanups.push(ks); }
  }

  private schedule(ks: KeyState, end: number): void {
    ks.fireEnd = end;
    this.enqueue(ks, end);
    this.scheduleCleanup(ks);
  }

  private enqueue(ks: KeyState, end: number): void {
    const b = this.buckets.get(end);
    if (b) b.push(ks);
    else { this.buckets.set(end, [ks]); this.ends.push(end); }
  }

  private keyState(key: string): KeyState {
    let ks = this.keys.get(key);
    if (!ks) {
      ks = new KeyState(key);
      if (this.ctx.tracksHistory) ks.history = new Map();
      this.keys.set(key, ks);
    }
    return ks;
  }

  /** The accumulator of the pane starting at ps, created in order if missing (usually appended at the end). */
  private pane(ks: KeyState, ps: number): Acc {
    const { starts, accs } = ks;
    const n = starts.length;
    if (n > 0 && starts[n - 1] === ps) return accs[n - 1];
    const i = n > 0 && starts[n - 1] < ps ? n : lowerBound(starts, ps);
    if (i < n && starts[i] === ps) return accs[i];
    const acc = this.ctx.agg.create();
    if (i === n) { starts.push(ps); accs.push(acc); }
    else { starts.splice(i, 0, ps); accs.splice(i, 0, acc); }
    this.panesOpen++;
    return acc;
  }

  private paneAt(ks: KeyState, start: number): Acc {
    return ks.accs[lowerBound(ks.starts, start)];
  }

  private history(ks: KeyState, start: number): WindowHistory | null {
    if (!ks.history) return null;
    let h = ks.history.get(start);
    if (!h) { h = { firings: 0, last: null }; ks.history.set(start, h); }
    return h;
  }

  private bounds(start: number): WindowBounds {
    return { type: this.type, start, end: start + this.size };
  }

  /** Smallest window start s ≡ offset (mod slide) with s > x. */
  private firstStartAfter(x: number): number {
    const y = x + 1;
    return y + mod(this.offset - y, this.slide);
  }

  /** Smallest window end e ≡ offset + size (mod slide) with e ≥ x. */
  private firstEndAtLeast(x: number): number {
    return x + mod(this.endOffset - x, this.slide);
  }

  snapshot(): unknown {
    const agg = this.ctx.agg;
    return [...this.keys.values()].map((ks) => ({
      key: ks.key,
      fireEnd: ks.fireEnd,
      panes: ks.starts.map((start, i) => [start, agg.toJSON(ks.accs[i])]),
      history: ks.history ? [...ks.history] : null,
    }));
  }

  restore(s: unknown): void {
    const agg = this.ctx.agg;
    for (const k of s as { key: string; fireEnd: number; panes: [number, unknown[]][]; history: [number, WindowHistory][] | null }[]) {
      const ks = this.keyState(k.key);
      for (const [start, acc] of k.panes) { ks.starts.push(start); ks.accs.push(agg.fromJSON(acc)); this.panesOpen++; }
      if (k.history) ks.history = new Map(k.history);
      if (k.fireEnd !== Infinity) this.schedule(ks, k.fireEnd);
      else this.scheduleCleanup(ks);
    }
  }
}
