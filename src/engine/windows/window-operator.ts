/**
 * The keyed event-time window operator (SPEC §1–5, flink profile). It owns time: it judges each record against
 * the current watermark, hands it to the window algorithm (aligned panes or sessions), advances the watermark and
 * lets the algorithm fire what became due — in exactly the order of SPEC §1.3.
 */
import { Acc, AggregateSet } from '../aggregates/accumulator';
import { EngineError, invalidConfig } from '../errors';
import { fromJsonSafe, toJsonSafe } from '../state/json-safe';
import { WatermarkTracker } from '../time/watermark';
import type {
  OperatorStats, ResultOutput, Timing, WindowBounds, WindowOperatorOptions, WindowOutput, WindowSpec,
} from '../types';
import { AlignedWindows } from './aligned-windows';
import type { WindowAlgorithm, WindowContext, WindowHistory } from './context';
import { SessionWindows } from './session-windows';

const SNAPSHOT_VERSION = 1;

export class WindowOperator<R = unknown> implements WindowContext {
  readonly agg: AggregateSet;
  readonly lateness: number;
  readonly emitOnUpdate: boolean;
  readonly retractions: boolean;
  readonly tracksHistory: boolean;
  readonly stats: OperatorStats = { in: 0, out: 0, late: 0, lateDropped: 0, errors: 0 };
  private readonly processingTime: boolean;
  private readonly dropLate: boolean;
  private readonly now: () => number;
  private readonly time: WatermarkTracker;
  private readonly windows: WindowAlgorithm;
  private seq = 0;
  private ended = false;
  /** The reference passed with the record being processed, for the late output. */
  private currentRef: R | undefined;

  constructor(readonly options: WindowOperatorOptions, private readonly out: (o: WindowOutput<R>) => void) {
    validateOptions(options);
    this.agg = new AggregateSet(options.aggregates);
    this.processingTime = options.timeMode === 'processing';
    // Processing time: nothing is ever late (SPEC §1.1).
    this.lateness = this.processingTime ? 0 : options.allowedLateness ?? 0;
    this.emitOnUpdate = options.emit === 'onUpdate';
    this.retractions = options.retractions === true;
    this.dropLate = options.lateOutput === 'drop';
    this.tracksHistory = this.lateness > 0 || this.emitOnUpdate || this.retractions;
    this.now = options.now ?? Date.now;
    this.time = new WatermarkTracker(options.maxOutOfOrderness ?? 0, options.idleTimeoutMs ?? 0, this.now, options.sources);
    this.windows = createWindows(this, options.window);
  }

  get watermark(): number { return this.time.watermark; }
  get openWindows(): number { return this.windows.openWindows; }
  get finished(): boolean { return this.ended; }

  /**
   * How often the caller should call `tick()`, in ms (0: never): processing time fires from the wall clock,
   * and source idleness is judged on ticks too.
   */
  get tickIntervalMs(): number {
    const o = this.options;
    const every = (ms: number) => Math.min(1000, Math.max(10, Math.floor(ms)));
    if (this.processingTime) {
      const w = o.window;
      return every((w.type === 'session' ? w.gap : w.type === 'sliding' ? Math.min(w.size, w.slide) : w.size) / 10);
    }
    return o.idleTimeoutMs ? every(o.idleTimeoutMs / 2) : 0;
  }

  /**
   * Processes one record. Throws an EngineError, with no state changed, for a missing key, a bad timestamp
   * or a value the configured aggregates cannot take.
   */
  process(key: string, ts: number, value: unknown, ref?: R, sourceId = ''): void {
    this.stats.in++;
    try {
      if (key === null || key === undefined) throw new EngineError('missing-key', 'the record has no key');
      this.agg.check(value);
      if (!this.processingTime && (typeof ts !== 'number' || !Number.isFinite(ts))) {
        throw new EngineError('bad-timestamp', `timestamp ${String(ts)} is not a finite number of milliseconds`);
      }
    } catch (e) {
      this.stats.errors++;
      throw e;
    }
    this.currentRef = ref;
    try {
      if (this.ended) { this.emitLate(String(key), ts, value, 'after-eos'); return; }
      if (this.processingTime) {
        ts = this.now();
        this.advanceProcessingTime(ts);
      }
      this.windows.add(String(key), ts, value, this.seq++);
      if (!this.processingTime) {
        const before = this.time.watermark;
        this.time.observe(ts, sourceId);
        if (this.time.watermark !== before) this.windows.fire();
      }
    } finally {
      this.currentRef = undefined;
    }
  }

  /** Wall-clock driven work: processing-time firings and source idleness. */
  tick(): void {
    if (this.ended) return;
    if (this.processingTime) this.advanceProcessingTime(this.now());
    else if (this.time.refresh()) this.windows.fire();
  }

  /** End of input (SPEC §1.5): W := +∞, every pending window fires, state is released, EOS is forwarded. */
  eos(): void {
    if (!this.ended) {
      this.time.finish();
      this.windows.fire();
      this.ended = true;
    }
    this.out({ kind: 'eos' });
  }

  // --- WindowContext -------------------------------------------------------------------------------------

  emitResult(key: string, window: WindowBounds, timing: Timing, acc: Acc, history: WindowHistory | null): void {
    const result: ResultOutput = {
      kind: 'result', key, window, timing, pane: history ? history.firings : 0,
      watermark: this.time.watermark, aggregates: this.agg.result(acc),
    };
    if (history) {
      if (this.retractions) {
        if (history.superseded) {
          for (const old of history.superseded) this.emitOut({ ...old, kind: 'retract' });
          history.superseded = undefined;
        }
        if (history.last) this.emitOut({ ...history.last, kind: 'retract' });
        // Its own copy: the emitted result is handed on as it is, and a later node may change it.
        history.last = { ...result, window: { ...window }, aggregates: { ...result.aggregates } };
      }
      history.firings++;
    }
    this.emitOut(result);
  }

  late(key: string, ts: number, value: unknown): void {
    this.emitLate(key, ts, value, 'late');
  }

  // --- state ----------------------------------------------------------------------------------------------

  /** A JSON-serialisable copy of all state; `restore` on an operator with the same options resumes exactly. */
  snapshot(): unknown {
    return toJsonSafe({
      v: SNAPSHOT_VERSION, config: configKey(this.options), seq: this.seq, ended: this.ended,
      time: this.time.snapshot(), stats: { ...this.stats }, windows: this.windows.snapshot(),
    });
  }

  restore(snapshot: unknown): void {
    const s = fromJsonSafe<{ v: number; config: string; seq: number; ended: boolean; time: never; stats: OperatorStats; windows: unknown }>(snapshot);
    if (!s || s.v !== SNAPSHOT_VERSION) throw invalidConfig('unsupported snapshot version');
    if (s.config !== configKey(this.options)) throw invalidConfig('the snapshot was taken with another window configuration');
    this.seq = s.seq;
    this.ended = s.ended;
    this.time.restore(s.time);
    Object.assign(this.stats, s.stats);
    this.windows.restore(s.windows);
  }

  private advanceProcessingTime(now: number): void {
    const before = this.time.watermark;
    this.time.advanceTo(now - 1);
    if (this.time.watermark !== before) this.windows.fire();
  }

  private emitLate(key: string, ts: number, value: unknown, reason: 'late' | 'after-eos'): void {
    if (this.dropLate) { this.stats.lateDropped++; return; }
    this.stats.late++;
    this.out({ kind: 'late', key, ts, value, watermark: this.time.watermark, reason, ref: this.currentRef });
  }

  private emitOut(o: ResultOutput): void {
    this.stats.out++;
    this.out(o);
  }
}

/** The options that decide what state means; a snapshot or handover is only valid under the same key. */
export function configKey(o: WindowOperatorOptions): string {
  return JSON.stringify([o.window, o.aggregates ?? null, o.timeMode ?? 'event', o.maxOutOfOrderness ?? 0,
    o.allowedLateness ?? 0, o.emit ?? 'onClose', o.retractions === true]);
}

function createWindows(ctx: WindowContext, w: WindowSpec): WindowAlgorithm {
  switch (w.type) {
    case 'tumbling': return new AlignedWindows(ctx, 'tumbling', w.size, w.size, w.offset ?? 0);
    case 'sliding': return new AlignedWindows(ctx, 'sliding', w.size, w.slide, w.offset ?? 0);
    case 'session': return new SessionWindows(ctx, w.gap);
  }
}

const isDuration = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function validateOptions(o: WindowOperatorOptions): void {
  const w = o.window;
  const positive = (name: string, v: unknown) => {
    if (!isDuration(v) || v <= 0) throw invalidConfig(`${name} must be a positive whole number of milliseconds, got ${String(v)}`);
  };
  const nonNegative = (name: string, v: unknown) => {
    if (v !== undefined && (!isDuration(v) || v < 0)) throw invalidConfig(`${name} must be ≥ 0 ms, got ${String(v)}`);
  };
  if (!w || typeof w !== 'object') throw invalidConfig('a window specification is required');
  switch (w.type) {
    case 'tumbling':
      positive('size', w.size);
      if (w.offset !== undefined && (!isDuration(w.offset) || Math.abs(w.offset) >= w.size)) {
        throw invalidConfig(`offset must satisfy |offset| < size (${w.size} ms), got ${String(w.offset)}`);
      }
      break;
    case 'sliding':
      positive('size', w.size);
      positive('slide', w.slide);
      if (w.offset !== undefined && !isDuration(w.offset)) throw invalidConfig(`offset must be whole milliseconds, got ${String(w.offset)}`);
      break;
    case 'session':
      positive('gap', w.gap);
      break;
    default:
      throw invalidConfig(`unknown window type "${String((w as { type?: unknown }).type)}"`);
  }
  nonNegative('maxOutOfOrderness', o.maxOutOfOrderness);
  nonNegative('allowedLateness', o.allowedLateness);
  nonNegative('idleTimeoutMs', o.idleTimeoutMs);
  if (o.timeMode !== undefined && o.timeMode !== 'event' && o.timeMode !== 'processing') throw invalidConfig(`unknown time mode "${String(o.timeMode)}"`);
  if (o.emit !== undefined && o.emit !== 'onClose' && o.emit !== 'onUpdate') throw invalidConfig(`unknown emit mode "${String(o.emit)}"`);
  if (o.lateOutput !== undefined && o.lateOutput !== 'side' && o.lateOutput !== 'drop') throw invalidConfig(`unknown late output "${String(o.lateOutput)}"`);
}
