/**
 * Timestamps in the write precision (SPEC §8.3): integer digits, converted from milliseconds with BigInt and
 * floored toward −∞ for coarser precisions; InfluxDB's range is ±9223372036854775806 ns.
 */
import { EngineError } from '../errors';
import { parseTimestamp } from '../time/timestamp';

export type Precision = 's' | 'ms' | 'us' | 'ns';
export const PRECISIONS: readonly Precision[] = ['s', 'ms', 'us', 'ns'];

const NS_PER: Record<Precision, bigint> = { s: 1000000000n, ms: 1000000n, us: 1000n, ns: 1n };
const MAX_NS = 9223372036854775806n;
const ISO_FRACTION = /\.(\d{4,9})(?=Z|[+-]\d{2}:?\d{2}$)/i;

const outOfRange = (v: unknown) => new EngineError('bad-timestamp',
  `timestamp ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)} is outside InfluxDB's range (±9223372036854775806 ns)`);

/** Floor division of BigInts (BigInt `/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

function fromNanos(ns: bigint, precision: Precision, shown: unknown): string {
  if (ns > MAX_NS || ns < -MAX_NS) throw outOfRange(shown);
  return String(floorDiv(ns, NS_PER[precision]));
}

/** Milliseconds (a fraction keeps microseconds and nanoseconds) in the write precision. */
export function msToPrecision(ms: number, precision: Precision): string {
  if (Number.isInteger(ms)) {
    if (precision === 'ms' && Number.isSafeInteger(ms)) return String(ms);
    return fromNanos(BigInt(ms) * 1000000n, precision, ms);
  }
  if (!Number.isFinite(ms)) throw new EngineError('bad-timestamp', `timestamp ${ms} is not a finite number`);
  const whole = Math.floor(ms);
  return fromNanos(BigInt(whole) * 1000000n + BigInt(Math.round((ms - whole) * 1e6)), precision, ms);
}

/**
 * A point's timestamp in the write precision: a number (ms, fractions allowed) or digit string (ms), a Date,
 * an ISO-8601 string with a zone (up to nanoseconds), or a BigInt, taken as already in the write precision.
 */
export function timestampIn(v: unknown, precision: Precision): string {
  if (typeof v === 'number') return msToPrecision(v, precision);
  if (typeof v === 'bigint') return fromNanos(v * NS_PER[precision], precision, v);
  const ms = parseTimestamp(v, 'ms');
  if (typeof v === 'string') {
    const frac = ISO_FRACTION.exec(v);
    if (frac) {
      const subMs = BigInt(frac[1].slice(3).padEnd(6, '0'));
      return fromNanos(BigInt(ms) * 1000000n + subMs, precision, v);
    }
  }
  return msToPrecision(ms, precision);
}
