/** Public types of the StreamKit engine. Pure TypeScript: nothing here knows Node-RED. */

export type AggregateName =
  | 'count' | 'sum' | 'min' | 'max' | 'avg' | 'first' | 'last'
  | 'varPop' | 'varSamp' | 'stddevPop' | 'stddevSamp' | 'distinct';

/** Flat aggregate results, e.g. `{count: 2, sum: 10, avg: 5}`. `null` where undefined (min of nothing, varSamp with n < 2). */
export type AggregateValues = Record<string, unknown>;

export type WindowSpec =
  | { type: 'tumbling'; size: number; offset?: number }
  | { type: 'sliding'; size: number; slide: number; offset?: number }
  | { type: 'session'; gap: number };

export type Timing = 'EARLY' | 'ON_TIME' | 'LATE';

export interface WindowBounds {
  type: WindowSpec['type'];
  start: number;
  end: number;
  /** Sessions only: event time of the first and last record. */
  firstTs?: number;
  lastTs?: number;
}

export interface ResultOutput {
  kind: 'result' | 'retract';
  key: string;
  window: WindowBounds;
  timing: Timing;
  pane: number;
  watermark: number;
  aggregates: AggregateValues;
}

export interface LateOutput<R> {
  kind: 'late';
  key: string;
  ts: number;
  value: unknown;
  watermark: number;
  reason: 'late' | 'after-eos';
  /** Whatever the caller passed with the record (the Node-RED adapter passes the original message). */
  ref: R | undefined;
}

export interface EosOutput { kind: 'eos' }

export type WindowOutput<R = unknown> = ResultOutput | LateOutput<R> | EosOutput;

export interface WindowOperatorOptions {
  window: WindowSpec;
  /** Default: count, sum, min, max, avg. */
  aggregates?: AggregateName[];
  /** `event` (default): time from the record; `processing`: Date.now() at arrival, fired by `tick()`. */
  timeMode?: 'event' | 'processing';
  /** B, ms (default 0). */
  maxOutOfOrderness?: number;
  /** L, ms (default 0). */
  allowedLateness?: number;
  /** `side` (default): late records are emitted as `kind: 'late'`; `drop`: counted only. */
  lateOutput?: 'side' | 'drop';
  /** `onClose` (default) or `onUpdate`. */
  emit?: 'onClose' | 'onUpdate';
  retractions?: boolean;
  /** A source that delivered nothing for this long (processing time, ms) is left out of the watermark; 0 = never. */
  idleTimeoutMs?: number;
  /** Sources declared up front (e.g. `topic/partition`): each holds W back until it delivers or turns idle. */
  sources?: string[];
  /** Wall clock; injectable for tests. */
  now?: () => number;
}

export interface OperatorStats {
  /** Records offered to `process`. */
  in: number;
  /** Result and retract outputs. */
  out: number;
  /** Late records sent to the late output. */
  late: number;
  /** Late records dropped (lateOutput: drop). */
  lateDropped: number;
  /** Records refused (bad value, …): the caller reports them. */
  errors: number;
}
