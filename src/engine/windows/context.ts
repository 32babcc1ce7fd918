/** What a window algorithm (aligned panes, sessions) needs from the operator that drives it. */
import type { Acc, AggregateSet } from '../aggregates/accumulator';
import type { ResultOutput, Timing, WindowBounds } from '../types';

/** Emission history of one (key, window): the pane index of its next firing and, with retractions, its last result. */
export interface WindowHistory {
  firings: number;
  last: ResultOutput | null;
  /** Sessions: results of merged-away windows, retracted just before this window's next result. */
  superseded?: ResultOutput[];
}

export interface WindowContext {
  readonly agg: AggregateSet;
  /** Current watermark W. */
  readonly watermark: number;
  /** L. */
  readonly lateness: number;
  readonly emitOnUpdate: boolean;
  readonly retractions: boolean;
  /** Whether per-window emission history must be kept (late firings, updates or retractions can follow). */
  readonly tracksHistory: boolean;
  /** Emits a result (preceded by any retractions) and updates `history`. */
  emitResult(key: string, window: WindowBounds, timing: Timing, acc: Acc, history: WindowHistory | null): void;
  /** A record no window accepted and that is behind the watermark: late output or dropped-and-counted. */
  late(key: string, ts: number, value: unknown): void;
}

/** One window shape's state and firing logic; the operator owns time and ordering of calls. */
export interface WindowAlgorithm {
  /** Adds a record judged against the current W (SPEC §2.3 / §4.3), emitting any LATE or EARLY result. */
  add(key: string, ts: number, value: unknown, seq: number): void;
  /** Fires every window due at W in (end, start, key) order, then releases expired state. */
  fire(): void;
  readonly openWindows: number;
  snapshot(): unknown;
  restore(s: unknown): void;
}
