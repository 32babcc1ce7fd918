/**
 * Kafka record bytes ↔ message values. Consuming: a value or key is decoded as a UTF-8 string, JSON, or kept as
 * the Buffer; headers become strings (a repeated header an array of strings). Producing: objects become JSON,
 * strings UTF-8, Buffers go byte-exact; `null` is a tombstone.
 */
import { KafkaError } from './errors';

export type ValueFormat = 'string' | 'json' | 'buffer';
export const VALUE_FORMATS: readonly ValueFormat[] = ['string', 'json', 'buffer'];

export type Headers = Record<string, string | string[]>;
type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** Decodes one key or value; throws (a SyntaxError for bad JSON) when it cannot. `null` stays `null`. */
export function decodeBytes(bytes: Buffer | null, format: ValueFormat): unknown {
  if (bytes === null || bytes === undefined) return null;
  switch (format) {
    case 'buffer': return bytes;
    case 'json': return JSON.parse(bytes.toString('utf8'));
    default: return bytes.toString('utf8');
  }
}

export function decodeHeaders(headers: RawHeaders | undefined): Headers {
  const out: Headers = {};
  if (!headers) return out;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v === undefined) continue;
    out[name] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

/** A value to send: Buffer and string as they are, null as a tombstone, anything else as JSON. */
export function encodeValue(v: unknown): Buffer | string | null {
  if (v === null) return null;
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v === undefined) throw new KafkaError('bad-message', 'the message has no value to send (msg.payload is undefined)');
  if (typeof v === 'bigint') return v.toString();
  try {
    return JSON.stringify(v);
  } catch (err) {
    throw new KafkaError('bad-message', `the value cannot be written as JSON: ${(err as Error).message}`);
  }
}

/** A key to send: none for null/undefined/empty, otherwise as a value. */
export function encodeKey(k: unknown): Buffer | string | null {
  if (k === undefined || k === null || k === '') return null;
  return typeof k === 'number' || typeof k === 'boolean' ? String(k) : encodeValue(k);
}

/** Headers to send: strings and Buffers as they are, numbers and booleans as text, arrays as repeated headers. */
export function encodeHeaders(h: unknown): Record<string, Buffer | string | (Buffer | string)[]> | undefined {
  if (h === undefined || h === null) return undefined;
  if (typeof h !== 'object' || Array.isArray(h)) throw new KafkaError('bad-message', 'msg.headers must be an object of header names to values');
  const out: Record<string, Buffer | string | (Buffer | string)[]> = {};
  const one = (name: string, v: unknown): Buffer | string => {
    if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    throw new KafkaError('bad-message', `header "${name}" must be a string, Buffer, number or boolean`);
  };
  for (const [name, v] of Object.entries(h as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    out[name] = Array.isArray(v) ? v.map((x) => one(name, x)) : one(name, v);
  }
  return out;
}

/** A partition number from a message or the configuration: a whole number ≥ 0, or undefined for the partitioner. */
export function partitionOf(p: unknown): number | undefined {
  if (p === undefined || p === null || p === '') return undefined;
  const n = typeof p === 'string' ? Number(p) : p;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new KafkaError('bad-message', `the partition must be a whole number ≥ 0, got ${JSON.stringify(p)}`);
  }
  return n;
}
