/**
 * Kafka Connect and Debezium logical types (SPEC §7.9), keyed by the field schema's `name`. Each turns the value
 * its Connect type decoded into what a user of the row wants: exact decimal strings, ISO dates and times, parsed
 * JSON, Buffers. Without schemas (`schemas.enable=false`) the same decoders run for the columns a user names in
 * `columnTypes` (see `schemaForHint`).
 */
import { invalidConfig } from '../errors';
import type { ConnectSchema, Decode } from './connect-schema';
import { decimalFromNumber, formatScaled, unscaledFromBytes } from './decimal';
import { NumberText, parseJson, plainNumbers } from './lossless-json';
import { formatDate, formatMicros, formatMillis, formatNanos, formatTimeOfDay } from './temporal';

const CONNECT = 'org.apache.kafka.connect.data.';
const DBZ = 'io.debezium.';
const DECIMAL = `${CONNECT}Decimal`;

const LONG_DIGITS = /\d{16}/;
const asNumber = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : v as number);

const isDecimalNumber = (v: unknown): v is number | bigint | NumberText =>
  typeof v === 'number' || typeof v === 'bigint' || v instanceof NumberText;

/**
 * The decoder of the logical type `schema.name`, wrapping `base` (the Connect type's decoder); undefined when not
 * logical. A Decimal also takes a JSON number: `decimal.format=NUMERIC` writes one in place of the base64 bytes.
 */
export function logicalDecoder(schema: ConnectSchema, base: Decode, path: string): Decode | undefined {
  const convert = logicalConversion(schema, path);
  if (convert === undefined) return undefined;
  if (schema.name === DECIMAL) {
    const scale = decimalScale(schema, path);
    return (v, warn) => (isDecimalNumber(v) ? decimalFromNumber(v, scale) : convert(base(v, warn), warn));
  }
  return (v, warn) => convert(base(v, warn), warn);
}

/**
 * What the logical type `schema.name` makes of a value its Connect type has decoded (a Buffer for bytes, a row
 * for a struct); undefined when the type is not logical or keeps the value as it is.
 */
export function logicalConversion(schema: ConnectSchema, path: string): Decode | undefined {
  switch (schema.name) {
    case DECIMAL: {
      const scale = decimalScale(schema, path);
      return (b) => formatScaled(unscaledFromBytes(b as Uint8Array), scale);
    }
    case `${DBZ}data.VariableScaleDecimal`:
      return (v) => {
        const d = v as { scale: number; value: Uint8Array };
        return formatScaled(unscaledFromBytes(d.value), d.scale);
      };
    case `${DBZ}time.Date`:
    case `${CONNECT}Date`:
      return (v) => formatDate(asNumber(v));
    case `${DBZ}time.Time`:
    case `${CONNECT}Time`:
      return (v) => formatTimeOfDay(asNumber(v), 1e3, 3);
    case `${DBZ}time.MicroTime`:
      return (v) => formatTimeOfDay(asNumber(v), 1e6, 6);
    case `${DBZ}time.NanoTime`:
      return (v) => formatTimeOfDay(asNumber(v), 1e9, 9);
    case `${DBZ}time.Timestamp`:
    case `${CONNECT}Timestamp`:
      return (v) => formatMillis(asNumber(v));
    case `${DBZ}time.MicroTimestamp`:
      return (v) => formatMicros(v as number | bigint);
    case `${DBZ}time.NanoTimestamp`:
      return (v) => formatNanos(v as number | bigint);
    case `${DBZ}data.Json`: {
      const field = path || 'value';
      return (v, warn) => {
        const text = v as string;
        try {
          // Only an integer of 16 digits or more can lose digits in JSON.parse (the native parser is faster).
          return LONG_DIGITS.test(text) ? plainNumbers(parseJson(text)) : JSON.parse(text);
        } catch {
          warn(`${field}: not valid JSON, kept as text`);
          return text;
        }
      };
    }
    case `${DBZ}data.EnumSet`:
      return (v) => (v === '' ? [] : (v as string).split(','));
    case `${DBZ}data.geometry.Point`:
      return (v) => {
        const p = v as { x: number; y: number; srid?: number | null };
        return { x: p.x, y: p.y, srid: p.srid ?? null };
      };
    case `${DBZ}data.geometry.Geometry`:
    case `${DBZ}data.geometry.Geography`:
      return (v) => {
        const g = v as { wkb: Uint8Array; srid?: number | null };
        return { wkb: g.wkb, srid: g.srid ?? null };
      };
    // Strings that stay strings (ZonedTimestamp, ZonedTime, Uuid, Xml, Ltree, Enum, Interval), MicroDuration and
    // Bits (a number and a Buffer by their Connect types): nothing to add.
    default:
      return undefined;
  }
}

function decimalScale(schema: ConnectSchema, path: string): number {
  const scale = Number(schema.parameters?.scale ?? 0);
  if (!Number.isInteger(scale)) throw invalidConfig(`${path}: Decimal scale "${schema.parameters?.scale}" is not an integer`);
  return scale;
}

/** Short names a user may write in `columnTypes`, and the Connect schema each stands for. */
const HINTS: Record<string, ConnectSchema> = {
  decimal: { type: 'bytes', name: DECIMAL },
  variablescaledecimal: { type: 'struct', name: `${DBZ}data.VariableScaleDecimal`,
    fields: [{ type: 'int32', field: 'scale' }, { type: 'bytes', field: 'value' }] },
  date: { type: 'int32', name: `${DBZ}time.Date` },
  time: { type: 'int32', name: `${DBZ}time.Time` },
  microtime: { type: 'int64', name: `${DBZ}time.MicroTime` },
  nanotime: { type: 'int64', name: `${DBZ}time.NanoTime` },
  timestamp: { type: 'int64', name: `${DBZ}time.Timestamp` },
  microtimestamp: { type: 'int64', name: `${DBZ}time.MicroTimestamp` },
  nanotimestamp: { type: 'int64', name: `${DBZ}time.NanoTimestamp` },
  json: { type: 'string', name: `${DBZ}data.Json` },
  enumset: { type: 'string', name: `${DBZ}data.EnumSet` },
  bytes: { type: 'bytes' },
  geometry: { type: 'struct', name: `${DBZ}data.geometry.Geometry`,
    fields: [{ type: 'bytes', field: 'wkb' }, { type: 'int32', field: 'srid', optional: true }] },
  point: { type: 'struct', name: `${DBZ}data.geometry.Point`,
    fields: [{ type: 'double', field: 'x' }, { type: 'double', field: 'y' },
      { type: 'bytes', field: 'wkb', optional: true }, { type: 'int32', field: 'srid', optional: true }] },
};
for (const v of Object.values(HINTS)) if (v.name) HINTS[v.name.toLowerCase()] = v;
HINTS[`${CONNECT}date`.toLowerCase()] = { type: 'int32', name: `${CONNECT}Date` };
HINTS[`${CONNECT}time`.toLowerCase()] = { type: 'int32', name: `${CONNECT}Time` };
HINTS[`${CONNECT}timestamp`.toLowerCase()] = { type: 'int64', name: `${CONNECT}Timestamp` };

/**
 * The schema of a `columnTypes` hint: a short name (`MicroTimestamp`, `Json`, `bytes`, `Decimal(3)` with its
 * scale) or a full logical name (`io.debezium.time.Date`), case-insensitive. The value may be null.
 */
export function schemaForHint(hint: string): ConnectSchema {
  const m = /^\s*([\w.]+)\s*(?:\(\s*(-?\d+)\s*\))?\s*$/.exec(String(hint));
  const base = m ? HINTS[m[1].toLowerCase()] : undefined;
  if (!m || !base) throw invalidConfig(`unknown column type "${hint}" (use e.g. Decimal(2), Date, MicroTime, MicroTimestamp, Json, bytes)`);
  if (m[2] !== undefined && base.name !== DECIMAL) throw invalidConfig(`column type "${hint}": only Decimal takes a scale`);
  const parameters = base.name === DECIMAL ? { scale: m[2] ?? '0' } : undefined;
  return { ...base, optional: true, ...(parameters ? { parameters } : {}) };
}
