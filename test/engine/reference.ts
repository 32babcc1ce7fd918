/**
 * A deliberately naive, brute-force reference implementation of the flink profile of SPEC.md
 * (§1.3 watermark, §2 tumbling, §3 sliding, §4 sessions, §5.3 emit modes, §5.4 retractions), written from the
 * SPEC only. It is slow on purpose: every (key, window) keeps the explicit list of raw records, windows are
 * enumerated by a brute scan, aggregates are recomputed from the raw values each time they are emitted
 * (two-pass variance) and sessions are merged by a sort-and-sweep over explicit windows.
 *
 * Event time only. Sources (§1.4): with a `sourceId` per record, W = min over non-idle sources of
 * (maxTs_s − B − 1), never lowered; a source is idle once now − lastArrival_s ≥ idleTimeoutMs, evaluated at every
 * record and every `tick()`; if every source is idle W does not move. Records without a sourceId all belong to one
 * default source. The output shape is the engine's (src/engine/types.ts).
 *
 * Interpretation choices where the SPEC leaves something open (kept few and explicit):
 * - `pane` counts the earlier results of the same window identity (key, start, end); a session whose bounds
 *   change is a new identity with pane 0 (§4.3).
 * - A retraction repeats the superseded result (its window, timing, pane, watermark and aggregates) with
 *   `kind: 'retract'`. It is emitted immediately before the result that supersedes it (§2.4). For a session
 *   merged away after it was emitted, that is the first result of the merged window (§4.3, §5.4), which may be
 *   later than the merge itself; several pending retractions are emitted in ascending start order.
 * - Records after EOS are not offered to the watermark; W stays +∞.
 */
import type {
  AggregateName, AggregateValues, LateOutput, ResultOutput, Timing, WindowBounds, WindowOperatorOptions,
  WindowOutput,
} from '../../src/engine/types';

export const ALL_AGGREGATES: AggregateName[] = [
  'count', 'sum', 'min', 'max', 'avg', 'first', 'last',
  'varPop', 'varSamp', 'stddevPop', 'stddevSamp', 'distinct',
];
const DEFAULT_AGGREGATES: AggregateName[] = ['count', 'sum', 'min', 'max', 'avg'];
const NUMERIC: ReadonlySet<AggregateName> = new Set<AggregateName>([
  'sum', 'min', 'max', 'avg', 'varPop', 'varSamp', 'stddevPop', 'stddevSamp',
]);

/** Floor modulo (SPEC conventions), never JS `%`. */
export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Canonical key of a value for `distinct`: type-aware, object keys sorted. */
export function canonicalKey(v: unknown): string {
  if (v === undefined) return 'u';
  if (v === null) return 'n';
  if (typeof v === 'number') return 'd:' + (Object.is(v, -0) ? '0' : String(v));
  if (typeof v === 'string') return 's:' + JSON.stringify(v);
  if (typeof v === 'boolean') return 'b:' + String(v);
  if (typeof v === 'bigint') return 'i:' + v.toString();
  if (Array.isArray(v)) return '[' + v.map(canonicalKey).join(',') + ']';
  if (v instanceof Date) return 't:' + v.getTime();
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + canonicalKey(o[k])).join(',') + '}';
  }
  return 'x:' + String(v);
}

interface RawRecord { ts: number; value: unknown; seq: number }

/** Aggregates of a list of raw records, recomputed from scratch (two-pass variance). */
export function computeAggregates(recs: RawRecord[], names: AggregateName[]): AggregateValues {
  const n = recs.length;
  const nums = recs.map((r) => r.value as number);
  let sum = 0;
  for (const x of nums) sum += x;
  const mean = n > 0 ? sum / n : NaN;
  let m2 = 0;
  for (const x of nums) m2 += (x - mean) * (x - mean);
  let first: RawRecord | undefined;
  let last: RawRecord | undefined;
  for (const r of recs) {
    if (!first || r.ts < first.ts || (r.ts === first.ts && r.seq < first.seq)) first = r;
    if (!last || r.ts > last.ts || (r.ts === last.ts && r.seq > last.seq)) last = r;
  }
  const out: AggregateValues = {};
  for (const name of names) {
    switch (name) {
      case 'count': out.count = n; break;
      case 'sum': out.sum = sum; break;
      case 'min': out.min = n > 0 ? Math.min(...nums) : null; break;
      case 'max': out.max = n > 0 ? Math.max(...nums) : null; break;
      case 'avg': out.avg = n > 0 ? sum / n : null; break;
      case 'first': out.first = first ? first.value : null; break;
      case 'last': out.last = last ? last.value : null; break;
      case 'varPop': out.varPop = n > 0 ? m2 / n : null; break;
      case 'varSamp': out.varSamp = n > 1 ? m2 / (n - 1) : null; break;
      case 'stddevPop': out.stddevPop = n > 0 ? Math.sqrt(m2 / n) : null; break;
      case 'stddevSamp': out.stddevSamp = n > 1 ? Math.sqrt(m2 / (n - 1)) : null; break;
      case 'distinct': out.distinct = new Set(recs.map((r) => canonicalKey(r.value))).size; break;
    }
  }
  return out;
}

interface RefWindow {
  key: string;
  /** Explicit raw records of this (key, window). */
  recs: RawRecord[];
  /** Time windows: fixed bounds. Sessions: derived from recs. */
  start: number;
  end: number;
  /** Number of results emitted for this window identity. */
  emits: number;
  /** The last result emitted (for retractions). */
  lastEmitted: ResultOutput | null;
  /** Retractions of merged-away sessions, emitted before this window's next result. */
  pendingRetracts: ResultOutput[];
  /** The main (ON_TIME) firing is still due: the window received a record while W < end − 1. */
  onTimePending: boolean;
}

export class ReferenceOperator<R = unknown> {
  private readonly names: AggregateName[];
  private readonly B: number;
  private readonly L: number;
  private readonly gapMode: boolean;
  private W = -Infinity;
  /** Per source: largest timestamp and processing time of the last record. */
  private sources = new Map<string, { maxTs: number; lastArrival: number }>();
  private ended = false;
  private seq = 0;
  /** Every live window of every key, in no particular order. */
  private windows: RefWindow[] = [];
  readonly stats = { in: 0, out: 0, late: 0, lateDropped: 0, errors: 0 };

  constructor(private readonly opts: WindowOperatorOptions, private readonly emit: (o: WindowOutput<R>) => void) {
    if (opts.timeMode === 'processing') throw new Error('reference: event time only');
    this.names = opts.aggregates ?? DEFAULT_AGGREGATES;
    this.B = opts.maxOutOfOrderness ?? 0;
    this.L = opts.allowedLateness ?? 0;
    this.gapMode = opts.window.type === 'session';
  }

  get watermark(): number { return this.W; }

  process(key: string, ts: number, value: unknown, ref?: R, sourceId?: string): void {
    if (this.names.some((n) => NUMERIC.has(n)) && !(typeof value === 'number' && Number.isFinite(value))) {
      this.stats.errors++;
      throw new Error(`reference: non-numeric value ${String(value)}`);
    }
    this.stats.in++;
    if (this.ended) {
      this.lateRecord(key, ts, value, ref, 'after-eos');
      return;
    }
    const rec: RawRecord = { ts, value, seq: this.seq++ };
    const W = this.W;
    // Steps 1–2: assign, judge lateness against the current W, update state, late/early firings.
    if (this.gapMode) this.processSession(key, rec, ref, W);
    else this.processTimeWindow(key, rec, ref, W);
    // Step 3: watermark.
    const id = sourceId ?? '';
    const src = this.sources.get(id) ?? { maxTs: -Infinity, lastArrival: 0 };
    src.maxTs = Math.max(src.maxTs, ts);
    src.lastArrival = this.now();
    this.sources.set(id, src);
    // Step 4: fire due windows, clean up.
    this.advance(this.sourceWatermark());
  }

  /** Idleness evaluated at the current processing time; may advance W and fire windows. */
  tick(): void {
    if (this.ended) return;
    this.advance(this.sourceWatermark());
  }

  private now(): number { return this.opts.now ? this.opts.now() : Date.now(); }

  /** min over non-idle sources of maxTs − B − 1; the current W when every source is idle. */
  private sourceWatermark(): number {
    const idle = this.opts.idleTimeoutMs ?? 0;
    const now = this.now();
    let w = Infinity;
    let active = 0;
    for (const s of this.sources.values()) {
      if (idle > 0 && now - s.lastArrival >= idle) continue;
      active++;
      w = Math.min(w, s.maxTs - this.B - 1);
    }
    return active === 0 ? this.W : w;
  }

  eos(): void {
    if (this.ended) return;
    this.ended = true;
    this.advance(Infinity);
    this.emit({ kind: 'eos' });
  }

  // ---------------------------------------------------------------------------------------------------------------

  private lateRecord(key: string, ts: number, value: unknown, ref: R | undefined, reason: 'late' | 'after-eos'): void {
    if ((this.opts.lateOutput ?? 'side') === 'drop') {
      this.stats.lateDropped++;
      return;
    }
    this.stats.late++;
    const out: LateOutput<R> = { kind: 'late', key, ts, value, watermark: this.W, reason, ref };
    this.emit(out);
  }

  /** All window starts s ≡ offset (mod slide) with t − size < s ≤ t, by brute scan, ascending. */
  private startsFor(t: number): { start: number; end: number }[] {
    const spec = this.opts.window;
    if (spec.type === 'session') throw new Error('unreachable');
    const size = spec.size;
    const slide = spec.type === 'sliding' ? spec.slide : spec.size;
    const offset = spec.offset ?? 0;
    const res: { start: number; end: number }[] = [];
    for (let s = t - size + 1; s <= t; s++) {
      if (mod(s - offset, slide) === 0) res.push({ start: s, end: s + size });
    }
    return res;
  }

  private processTimeWindow(key: string, rec: RawRecord, ref: R | undefined, W: number): void {
    const L = this.L;
    const toFire: { w: RefWindow; timing: Timing }[] = [];
    let accepted = false;
    for (const { start, end } of this.startsFor(rec.ts)) {
      if (end - 1 + L <= W) continue; // window late: skipped
      accepted = true;
      let w = this.windows.find((x) => x.key === key && x.start === start && x.end === end);
      if (!w) {
        w = { key, recs: [], start, end, emits: 0, lastEmitted: null, pendingRetracts: [], onTimePending: false };
        this.windows.push(w);
      }
      w.recs.push(rec);
      if (end - 1 <= W) toFire.push({ w, timing: 'LATE' });
      else {
        w.onTimePending = true;
        if (this.opts.emit === 'onUpdate') toFire.push({ w, timing: 'EARLY' });
      }
    }
    if (!accepted && rec.ts + L <= W) this.lateRecord(key, rec.ts, rec.value, ref, 'late');
    toFire.sort((a, b) => a.w.start - b.w.start);
    for (const f of toFire) this.fire(f.w, f.timing, W);
  }

  private processSession(key: string, rec: RawRecord, ref: R | undefined, W: number): void {
    const spec = this.opts.window;
    if (spec.type !== 'session') throw new Error('unreachable');
    const gap = spec.gap;
    const proposal = { start: rec.ts, end: rec.ts + gap, w: null as RefWindow | null };
    // Sort-and-sweep over the key's explicit windows plus the proposal.
    const items = this.windows.filter((x) => x.key === key).map((w) => ({ start: w.start, end: w.end, w }));
    const all: { start: number; end: number; w: RefWindow | null }[] = [...items, proposal];
    all.sort((a, b) => a.start - b.start || a.end - b.end);
    const groups: { start: number; end: number; members: typeof all }[] = [];
    for (const it of all) {
      const g = groups[groups.length - 1];
      if (g && it.start < g.end && g.start < it.end) {
        g.members.push(it);
        g.end = Math.max(g.end, it.end);
      } else groups.push({ start: it.start, end: it.end, members: [it] });
    }
    const group = groups.find((g) => g.members.includes(proposal))!;
    const merged = group.members.filter((m) => m !== proposal).map((m) => m.w!);
    const { start, end } = group;
    if (merged.length === 0 && end - 1 + this.L <= W) {
      // Window late; a session window ends after its record, so the record is late as well.
      if (rec.ts + this.L <= W) this.lateRecord(key, rec.ts, rec.value, ref, 'late');
      return;
    }
    let w: RefWindow;
    if (merged.length === 1 && merged[0].start === start && merged[0].end === end) {
      w = merged[0]; // same window identity
      w.recs.push(rec);
    } else {
      const pending: ResultOutput[] = [];
      for (const m of merged) {
        pending.push(...m.pendingRetracts);
        if (m.lastEmitted) pending.push({ ...m.lastEmitted, kind: 'retract' });
      }
      pending.sort((a, b) => a.window.start - b.window.start);
      w = {
        key, recs: [...merged.flatMap((m) => m.recs), rec], start, end, emits: 0, lastEmitted: null,
        pendingRetracts: pending, onTimePending: false,
      };
      this.windows = this.windows.filter((x) => !merged.includes(x));
      this.windows.push(w);
    }
    if (end - 1 <= W) this.fire(w, 'LATE', W);
    else {
      w.onTimePending = true;
      if (this.opts.emit === 'onUpdate') this.fire(w, 'EARLY', W);
    }
  }

  private bounds(w: RefWindow): WindowBounds {
    const spec = this.opts.window;
    if (spec.type === 'session') {
      return { type: 'session', start: w.start, end: w.end, firstTs: w.start, lastTs: w.end - spec.gap };
    }
    return { type: spec.type, start: w.start, end: w.end };
  }

  private fire(w: RefWindow, timing: Timing, watermark: number): void {
    if (this.opts.retractions) {
      for (const r of w.pendingRetracts) { this.stats.out++; this.emit(r); }
      w.pendingRetracts = [];
      if (w.lastEmitted) { this.stats.out++; this.emit({ ...w.lastEmitted, kind: 'retract' }); }
    }
    const out: ResultOutput = {
      kind: 'result', key: w.key, window: this.bounds(w), timing, pane: w.emits, watermark,
      aggregates: computeAggregates(w.recs, this.names),
    };
    w.emits++;
    w.lastEmitted = out;
    this.stats.out++;
    this.emit(out);
  }

  private advance(newW: number): void {
    if (newW > this.W) this.W = newW;
    const W = this.W;
    const due = this.windows.filter((w) => w.onTimePending && w.end - 1 <= W);
    due.sort((a, b) => a.end - b.end || a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const w of due) {
      w.onTimePending = false;
      if ((this.opts.emit ?? 'onClose') === 'onClose') this.fire(w, 'ON_TIME', W);
    }
    this.windows = this.windows.filter((w) => !(w.end - 1 + this.L <= W));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Readable formatting and tolerant comparison of output sequences, shared by the specs.

const ORDER: string[] = ALL_AGGREGATES;

function fmtNum(x: number, digits?: number): string {
  if (x === Infinity) return '+∞';
  if (x === -Infinity) return '-∞';
  if (digits !== undefined) {
    const f = 10 ** digits;
    const r = Math.round(x * f) / f;
    return String(Object.is(r, -0) ? 0 : r);
  }
  return String(x);
}

function fmtValue(v: unknown, digits?: number): string {
  if (typeof v === 'number') return fmtNum(v, digits);
  if (v === undefined) return 'undefined';
  return JSON.stringify(v);
}

export function fmtAggregates(a: AggregateValues, digits?: number): string {
  const keys = Object.keys(a).sort((x, y) => {
    const ix = ORDER.indexOf(x); const iy = ORDER.indexOf(y);
    return (ix < 0 ? 99 : ix) - (iy < 0 ? 99 : iy) || (x < y ? -1 : 1);
  });
  return '{' + keys.map((k) => `${k} ${fmtValue(a[k], digits)}`).join(', ') + '}';
}

/**
 * One output as one line, e.g. `RESULT k [0,10) ON_TIME pane=0 W=9 {count 2, sum 10}`.
 * `digits` rounds numbers in aggregates (CASES rounds to 4 decimals). Options select optional fields.
 */
export function fmtOutput(
  o: WindowOutput<unknown>,
  opt: { digits?: number; watermark?: boolean; retractDetail?: boolean; ref?: boolean } = {},
): string {
  if (o.kind === 'eos') return 'EOS';
  if (o.kind === 'late') {
    const base = `SIDE ${o.key}@${o.ts}=${fmtValue(o.value)}`;
    return base + (o.reason !== 'late' ? ` ${o.reason}` : '')
      + (opt.watermark ? ` W=${fmtNum(o.watermark)}` : '') + (opt.ref ? ` ref=${fmtValue(o.ref)}` : '');
  }
  const win = `[${o.window.start},${o.window.end})`;
  if (o.kind === 'retract') {
    const detail = opt.retractDetail ? ` ${o.timing} pane=${o.pane}` + (opt.watermark ? ` W=${fmtNum(o.watermark)}` : '') : '';
    return `RETRACT ${o.key} ${win}${detail} ${fmtAggregates(o.aggregates, opt.digits)}`;
  }
  return `RESULT ${o.key} ${win} ${o.timing} pane=${o.pane}` + (opt.watermark ? ` W=${fmtNum(o.watermark)}` : '')
    + ` ${fmtAggregates(o.aggregates, opt.digits)}`;
}

/** Numbers equal up to 1e-9 relative (absolute near 0); everything else strictly. */
export function approxEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Object.is(a, b) || a === b) return true;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined).sort();
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => approxEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
