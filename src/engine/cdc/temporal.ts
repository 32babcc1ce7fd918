/**
 * Debezium's temporal encodings rendered as text (SPEC §7.9): dates as `YYYY-MM-DD`, times of day as
 * `HH:MM:SS.fff[fff[fff]]`, timestamps without a time zone as ISO-8601 in UTC with 3, 6 or 9 fraction digits
 * (Debezium's own `isostring` rendering). PostgreSQL's `infinity` timestamps arrive as sentinels far outside
 * the range of a JS Date; any such value renders as `infinity` / `-infinity`.
 *
 * The calendar is computed here (days → civil date, H. Hinnant's algorithm) rather than through a Date and
 * `toISOString()`: it is on the decoder's hot path, three times per row of a typical table. Years outside
 * 0000–9999 are written as `toISOString()` writes them (`+010000`, `-000001`).
 */
const DAY_MS = 86400000;
/** The largest |ms| a JS Date holds. */
const MAX_DATE_MS = 8.64e15;
const TWO = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000'];

/** `n` (an integer ≥ 0) with zeros in front up to `width` digits (at most 9). */
function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : ZEROS[width - s.length] + s;
}

function year(y: number): string {
  if (y >= 0 && y <= 9999) return y >= 1000 ? String(y) : pad(y, 4);
  return (y < 0 ? '-' : '+') + pad(Math.abs(y), 6);
}

/** The last day civilDate worked out: the rows of a stream mostly fall on one day. */
let lastDays = NaN;
let lastDate = '';

/** Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian). */
function civilDate(days: number): string {
  if (days === lastDays) return lastDate;
  lastDate = calendarDate(days);
  lastDays = days;
  return lastDate;
}

function calendarDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return `${year(yoe + era * 400 + (m <= 2 ? 1 : 0))}-${TWO[m]}-${TWO[d]}`;
}

/** `YYYY-MM-DDTHH:MM:SS.` of a time in ms (its sub-second part is the caller's). */
function dateTime(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const s = Math.floor((ms - days * DAY_MS) / 1000);
  return `${civilDate(days)}T${TWO[Math.floor(s / 3600)]}:${TWO[Math.floor(s / 60) % 60]}:${TWO[s % 60]}.`;
}

const outOfRange = (ms: number): string | undefined =>
  (Math.abs(ms) <= MAX_DATE_MS ? undefined : ms > 0 ? 'infinity' : '-infinity');

/** Days since 1970-01-01 → `YYYY-MM-DD`. */
export function formatDate(days: number): string {
  return outOfRange(days * DAY_MS) ?? civilDate(days);
}

/** A time past midnight in units of 1/`perSecond` s → `HH:MM:SS.` + `digits` fraction digits (24:00:00 stays 24). */
export function formatTimeOfDay(value: number, perSecond: number, digits: number): string {
  const seconds = Math.floor(value / perSecond);
  const frac = value - seconds * perSecond;
  return `${pad(Math.floor(seconds / 3600), 2)}:${TWO[Math.floor(seconds / 60) % 60]}:${TWO[seconds % 60]}.${pad(frac, digits)}`;
}

/** Milliseconds since the epoch → ISO string with 3 fraction digits. */
export function formatMillis(ms: number): string {
  return outOfRange(ms) ?? `${dateTime(ms)}${pad(ms - Math.floor(ms / 1000) * 1000, 3)}Z`;
}

/** Microseconds since the epoch → ISO string with 6 fraction digits. */
export function formatMicros(us: number | bigint): string {
  if (typeof us === 'bigint') return formatSubSecond(us, 1000000n, 6);
  const s = Math.floor(us / 1e6);
  return outOfRange(s * 1000) ?? `${dateTime(s * 1000)}${pad(us - s * 1e6, 6)}Z`;
}

/** Nanoseconds since the epoch → ISO string with 9 fraction digits. */
export function formatNanos(ns: number | bigint): string {
  return formatSubSecond(BigInt(ns), 1000000000n, 9);
}

function formatSubSecond(v: bigint, perSecond: bigint, digits: number): string {
  let s = v / perSecond;
  if (v % perSecond !== 0n && v < 0n) s -= 1n;
  const ms = Number(s) * 1000;
  return outOfRange(ms) ?? `${dateTime(ms)}${(v - s * perSecond).toString().padStart(digits, '0')}Z`;
}
