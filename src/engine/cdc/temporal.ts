/**
 * Debezium's temporal encodings rendered as text (SPEC §7.9): dates as `YYYY-MM-DD`, times of day as
 * `HH:MM:SS.fff[fff[fff]]`, timestamps without a time zone as ISO-8601 in UTC with 3, 6 or 9 fraction digits
 * (Debezium's own `isostring` rendering). PostgreSQL's `infinity` timestamps arrive as sentinels far outside
 * the range of a JS Date; any such value renders as `infinity` / `-infinity`.
 */
const DAY_MS = 86400000;
/** The largest |ms| a JS Date holds. */
const MAX_DATE_MS = 8.64e15;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Days since 1970-01-01 → `YYYY-MM-DD`. */
export function formatDate(days: number): string {
  const ms = days * DAY_MS;
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return ms > 0 ? 'infinity' : '-infinity';
  return new Date(ms).toISOString().slice(0, -14);
}

/** A time past midnight in units of 1/`perSecond` s → `HH:MM:SS.` + `digits` fraction digits (24:00:00 stays 24). */
export function formatTimeOfDay(value: number, perSecond: number, digits: number): string {
  const seconds = Math.floor(value / perSecond);
  const frac = value - seconds * perSecond;
  return `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}.${pad(frac, digits)}`;
}

/** Milliseconds since the epoch → ISO string with 3 fraction digits. */
export function formatMillis(ms: number): string {
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return ms > 0 ? 'infinity' : '-infinity';
  return new Date(ms).toISOString();
}

/** Microseconds since the epoch → ISO string with 6 fraction digits. */
export function formatMicros(us: number | bigint): string {
  if (typeof us === 'bigint') return formatSubMillis(us, 1000n, 3);
  const ms = Math.floor(us / 1000);
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return ms > 0 ? 'infinity' : '-infinity';
  return `${new Date(ms).toISOString().slice(0, -1)}${pad(us - ms * 1000, 3)}Z`;
}

/** Nanoseconds since the epoch → ISO string with 9 fraction digits. */
export function formatNanos(ns: number | bigint): string {
  return formatSubMillis(BigInt(ns), 1000000n, 6);
}

function formatSubMillis(v: bigint, perMs: bigint, digits: number): string {
  let ms = v / perMs;
  if (v % perMs !== 0n && v < 0n) ms -= 1n;
  const msn = Number(ms);
  if (!(Math.abs(msn) <= MAX_DATE_MS)) return msn > 0 ? 'infinity' : '-infinity';
  return `${new Date(msn).toISOString().slice(0, -1)}${(v - ms * perMs).toString().padStart(digits, '0')}Z`;
}
