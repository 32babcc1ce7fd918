/**
 * Mergeable accumulators (SPEC §5.2): one plain object per (key, window or pane) holding every statistic the
 * configured aggregates need. Welford/Chan for variance; first/last by event time with arrival order as the tie-break.
 */
import { EngineError, invalidConfig } from '../errors';
import type { AggregateName, AggregateValues } from '../types';

export const AGGREGATE_NAMES: readonly AggregateName[] = [
  'count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'varPop', 'varSamp', 'stddevPop', 'stddevSamp', 'distinct',
];
export const DEFAULT_AGGREGATES: readonly AggregateName[] = ['count', 'sum', 'min', 'max', 'avg'];

const NON_NUMERIC: ReadonlySet<AggregateName> = new Set(['count', 'first', 'last', 'distinct']);

export class Acc {
  /** Records added (count). */
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Welford running mean and sum of squared deviations. */
  mean = 0;
  m2 = 0;
  first: unknown = undefined;
  firstTs = Infinity;
  firstSeq = Infinity;
  last: unknown = undefined;
  lastTs = -Infinity;
  lastSeq = -Infinity;
  distinct: Set<string> | null = null;
}

/** What an AggregateSet must track, derived once from the configured names. */
export class AggregateSet {
  readonly names: readonly AggregateName[];
  readonly numeric: boolean;
  /** Welford moments are only kept when a variance or stddev is asked for. */
  readonly moments: boolean;
  readonly firstLast: boolean;
  readonly distinct: boolean;

  constructor(names: readonly string[] = DEFAULT_AGGREGATES) {
    if (!Array.isArray(names) || names.length === 0) throw invalidConfig('at least one aggregate is required');
    for (const n of names) {
      if (!AGGREGATE_NAMES.includes(n as AggregateName)) {
        throw new EngineError('unknown-aggregate', `unknown aggregate "${n}" (known: ${AGGREGATE_NAMES.join(', ')})`);
      }
    }
    this.names = [...new Set(names as AggregateName[])];
    this.numeric = this.names.some((n) => !NON_NUMERIC.has(n));
    this.moments = this.names.some((n) => n.startsWith('var') || n.startsWith('stddev'));
    this.firstLast = this.names.includes('first') || this.names.includes('last');
    this.distinct = this.names.includes('distinct');
  }

  create(): Acc {
    const a = new Acc();
    if (this.distinct) a.distinct = new Set();
    return a;
  }

  /** Throws (changing nothing) when the value cannot be aggregated. */
  check(value: unknown): void {
    if (this.numeric && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new EngineError('bad-value', `value ${describe(value)} is not a finite number`);
    }
  }

  /** Adds a value already accepted by `check`. `seq` is the arrival order, for first/last ties. */
  add(a: Acc, value: unknown, ts: number, seq: number): void {
    a.n++;
    if (this.numeric) {
      const x = value as number;
      a.sum += x;
      if (x < a.min) a.min = x;
      if (x > a.max) a.max = x;
      if (this.moments) {
        const d = x - a.mean;
        a.mean += d / a.n;
        a.m2 += d * (x - a.mean);
      }
    }
    if (this.firstLast) {
      if (ts < a.firstTs || (ts === a.firstTs && seq < a.firstSeq)) { a.first = value; a.firstTs = ts; a.firstSeq = seq; }
      if (ts > a.lastTs || (ts === a.lastTs && seq > a.lastSeq)) { a.last = value; a.lastTs = ts; a.lastSeq = seq; }
    }
    if (a.distinct) a.distinct.add(canonicalKey(value));
  }

  /** Merges `b` into `a` (Chan et al. for the variance). `b` is left unchanged. */
  merge(a: Acc, b: Acc): void {
    if (b.n === 0) return;
    if (this.numeric) {
      if (this.moments) {
        const n = a.n + b.n;
        const d = b.mean - a.mean;
        a.mean += (d * b.n) / n;
        a.m2 += b.m2 + (d * d * a.n * b.n) / n;
      }
      a.sum += b.sum;
      if (b.min < a.min) a.min = b.min;
      if (b.max > a.max) a.max = b.max;
    }
    a.n += b.n;
    if (this.firstLast) {
      if (b.firstTs < a.firstTs || (b.firstTs === a.firstTs && b.firstSeq < a.firstSeq)) {
        a.first = b.first; a.firstTs = b.firstTs; a.firstSeq = b.firstSeq;
      }
      if (b.lastTs > a.lastTs || (b.lastTs === a.lastTs && b.lastSeq > a.lastSeq)) {
        a.last = b.last; a.lastTs = b.lastTs; a.lastSeq = b.lastSeq;
      }
    }
    if (a.distinct && b.distinct) for (const v of b.distinct) a.distinct.add(v);
  }

  /** Empties `a` for reuse. */
  reset(a: Acc): Acc {
    a.n = 0; a.sum = 0; a.min = Infinity; a.max = -Infinity; a.mean = 0; a.m2 = 0;
    a.first = undefined; a.firstTs = Infinity; a.firstSeq = Infinity;
    a.last = undefined; a.lastTs = -Infinity; a.lastSeq = -Infinity;
    if (a.distinct) a.distinct.clear();
    return a;
  }


  /** The flat result object: exactly the configured names, null where undefined. */
  result(a: Acc): AggregateValues {
    const out: AggregateValues = {};
    const n = a.n;
    for (const name of this.names) {
      switch (name) {
        case 'count': out.count = n; break;
        case 'sum': out.sum = a.sum; break;
        case 'min': out.min = n > 0 ? a.min : null; break;
        case 'max': out.max = n > 0 ? a.max : null; break;
        case 'avg': out.avg = n > 0 ? a.sum / n : null; break;
        case 'first': out.first = n > 0 ? a.first : null; break;
        case 'last': out.last = n > 0 ? a.last : null; break;
        case 'varPop': out.varPop = n > 0 ? a.m2 / n : null; break;
        case 'varSamp': out.varSamp = n > 1 ? a.m2 / (n - 1) : null; break;
        case 'stddevPop': out.stddevPop = n > 0 ? Math.sqrt(a.m2 / n) : null; break;
        case 'stddevSamp': out.stddevSamp = n > 1 ? Math.sqrt(a.m2 / (n - 1)) : null; break;
        case 'distinct': out.distinct = a.distinct ? a.distinct.size : 0; break;
      }
    }
    return out;
  }

  /** Array form of an accumulator, for snapshots (made JSON-safe by state/json-safe). */
  toJSON(a: Acc): unknown[] {
    return [a.n, a.sum, a.min, a.max, a.mean, a.m2, a.first, a.firstTs, a.firstSeq, a.last, a.lastTs, a.lastSeq,
      a.distinct ? [...a.distinct] : null];
  }

  fromJSON(v: unknown[]): Acc {
    const a = new Acc();
    [a.n, a.sum, a.min, a.max, a.mean, a.m2] = v as number[];
    a.first = v[6]; a.firstTs = v[7] as number; a.firstSeq = v[8] as number;
    a.last = v[9]; a.lastTs = v[10] as number; a.lastSeq = v[11] as number;
    a.distinct = v[12] ? new Set(v[12] as string[]) : (this.distinct ? new Set() : null);
    return a;
  }
}

/** Distinct values are compared by type and content: 5 and "5" differ, {a:1,b:2} equals {b:2,a:1}. */
export function canonicalKey(v: unknown): string {
  if (v === null || typeof v !== 'object') return `${typeof v}:${String(v)}`;
  return `object:${stableJson(v)}`;
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}
