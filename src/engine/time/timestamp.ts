/** Event-time extraction (SPEC §1.2): numbers in a unit, digit strings/BigInt for us/ns, ISO-8601 with offset, Date. */
import { EngineError } from '../errors';

export type TimestampUnit = 's' | 'ms' | 'us' | 'ns';

const PER_MS: Record<TimestampUnit, bigint> = { s: 0n, ms: 1n, us: 1000n, ns: 1000000n };
const SCALE: Record<TimestampUnit, number> = { s: 1000, ms: 1, us: 1 / 1000, ns: 1 / 1e6 };
// An explicit offset or Z is required: a local-time string would mean different instants on different hosts.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DIGITS = /^-?\d+$/;

/** Returns integer milliseconds (floor, toward −∞), or throws an EngineError('bad-timestamp'). */
export function parseTimestamp(v: unknown, unit: TimestampUnit = 'ms'): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw bad(v);
    return Math.floor(v * SCALE[unit]);
  }
  if (v instanceof Date) {
    const t = v.getTime();
    if (Number.isNaN(t)) throw bad(v);
    return t;
  }
  if (typeof v === 'bigint') return fromBigInt(v, unit);
  if (typeof v === 'string') {
    const s = v.trim();
    if (DIGITS.test(s)) return fromBigInt(BigInt(s), unit);
    if (ISO_WITH_ZONE.test(s)) {
      const t = Date.parse(s);
      if (!Number.isNaN(t)) return t;
    }
  }
  throw bad(v);
}

function fromBigInt(b: bigint, unit: TimestampUnit): number {
  let ms: bigint;
  if (unit === 's') ms = b * 1000n;
  else {
    const d = PER_MS[unit];
    ms = b / d;
    if (b % d !== 0n && b < 0n) ms -= 1n; // BigInt division truncates; the spec floors
  }
  const n = Number(ms);
  if (!Number.isSafeInteger(n)) throw bad(b);
  return n;
}

function bad(v: unknown): EngineError {
  const shown = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : String(v);
  return new EngineError('bad-timestamp', `timestamp ${shown} is not a number, ISO-8601 string with a zone, or Date`);
}

/**
 * The event-time reader of SPEC §1.2: parses every record's timestamp; a missing one is an error unless
 * `onMissing` is `processingTime`, which then takes the wall clock (never silently for unparseable values).
 */
export function timestampExtractor(unit: TimestampUnit = 'ms', onMissing: 'error' | 'processingTime' = 'error',
  now: () => number = Date.now): (v: unknown) => number {
  // The common case, a finite number, without the general parser's dispatch.
  const scale = SCALE[unit];
  const parse = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.floor(v * scale) : parseTimestamp(v, unit));
  if (onMissing !== 'processingTime') return parse;
  return (v) => (v === undefined || v === null ? now() : parse(v));
}
