/** Snapshots are JSON: ±Infinity and NaN (watermarks, empty min/max) travel as tagged objects. */
export function toJsonSafe(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $num: String(v) };
  if (Array.isArray(v)) return v.map(toJsonSafe);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = toJsonSafe((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

export function fromJsonSafe<T = unknown>(v: unknown): T {
  if (Array.isArray(v)) return v.map(fromJsonSafe) as T;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$num === 'string' && Object.keys(o).length === 1) return Number(o.$num) as T;
    const r: Record<string, unknown> = {};
    for (const k of Object.keys(o)) r[k] = fromJsonSafe(o[k]);
    return r as T;
  }
  return v as T;
}
