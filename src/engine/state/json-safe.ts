/**
 * Snapshots are JSON: ±Infinity and NaN (watermarks, empty min/max), BigInt (int64 beyond 2^53) and bytes
 * (Buffer columns of change-data rows) travel as tagged objects. An object of the data that looks like a tag
 * (a JSON column holding `{"$num": "1"}`) is wrapped in `{$esc: …}`, so it comes back as it was.
 */
const TAGS = new Set(['$num', '$bigint', '$bytes', '$esc']);
export function toJsonSafe(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $num: String(v) };
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return v.map(toJsonSafe);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v);
    const o: Record<string, unknown> = {};
    for (const k of keys) o[k] = toJsonSafe((v as Record<string, unknown>)[k]);
    return keys.length === 1 && TAGS.has(keys[0]) ? { $esc: o } : o;
  }
  return v;
}

export function fromJsonSafe<T = unknown>(v: unknown): T {
  if (Array.isArray(v)) return v.map(fromJsonSafe) as T;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      if (typeof o.$num === 'string') return Number(o.$num) as T;
      if (typeof o.$bigint === 'string') return BigInt(o.$bigint) as T;
      if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64') as T;
      if (o.$esc && typeof o.$esc === 'object') {
        const [k] = Object.keys(o.$esc);
        return { [k]: fromJsonSafe((o.$esc as Record<string, unknown>)[k]) } as T;
      }
    }
    const r: Record<string, unknown> = {};
    for (const k of keys) r[k] = fromJsonSafe(o[k]);
    return r as T;
  }
  return v as T;
}
