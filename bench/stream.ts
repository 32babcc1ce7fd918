/**
 * The benchmark's input stream, generated deterministically (same seed → same records in every process).
 *
 * `sensors` sensors each report one reading every `periodMs` of event time, spread evenly inside the period
 * (sensor i reports at tick·period + ⌊i·period/sensors⌋), so event time advances smoothly. A fraction
 * `outOfOrder` (5 %) of the records is delayed: it *arrives* a uniformly random 0…maxDelayMs (2 s) after its
 * event time. Records are delivered in arrival order (ties keep generation order). With a watermark bound
 * B = maxDelayMs no record is late: when a delayed record arrives, the largest event time seen is at most
 * ts + delay < ts + B, so W = maxTs − B − 1 < ts.
 *
 * Values are readings uniform in [20, 80): a threshold of 50 keeps about half of them.
 */
export interface Rec {
  key: string;
  ts: number;
  value: number;
}

export interface StreamOptions {
  sensors: number;
  ticks: number;
  periodMs?: number;
  outOfOrder?: number;
  maxDelayMs?: number;
  seed?: number;
  /** Event time of the first tick (ms since the epoch). */
  base?: number;
}

export const STREAM_DEFAULTS = { periodMs: 100, outOfOrder: 0.05, maxDelayMs: 2000, seed: 42, base: Date.UTC(2024, 0, 1) };

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sensorKeys(n: number): string[] {
  const width = String(n - 1).length;
  return Array.from({ length: n }, (_, i) => `sensor-${String(i).padStart(width, '0')}`);
}

export function makeStream(opts: StreamOptions): Rec[] {
  const { sensors, ticks } = opts;
  const periodMs = opts.periodMs ?? STREAM_DEFAULTS.periodMs;
  const outOfOrder = opts.outOfOrder ?? STREAM_DEFAULTS.outOfOrder;
  const maxDelayMs = opts.maxDelayMs ?? STREAM_DEFAULTS.maxDelayMs;
  const base = opts.base ?? STREAM_DEFAULTS.base;
  const rnd = prng(opts.seed ?? STREAM_DEFAULTS.seed);
  const keys = sensorKeys(sensors);
  const n = sensors * ticks;
  const recs: Rec[] = new Array(n);
  const arrival = new Float64Array(n);
  let i = 0;
  for (let t = 0; t < ticks; t++) {
    for (let s = 0; s < sensors; s++) {
      const ts = base + t * periodMs + Math.floor((s * periodMs) / sensors);
      const value = 20 + 60 * rnd();
      const delayed = rnd() < outOfOrder;
      const delay = delayed ? Math.floor(rnd() * maxDelayMs) : 0;
      recs[i] = { key: keys[s], ts, value };
      arrival[i] = ts + delay;
      i++;
    }
  }
  // Stable sort by arrival time (index as the tie-break).
  const order = new Uint32Array(n);
  for (let j = 0; j < n; j++) order[j] = j;
  const idx = Array.from(order).sort((a, b) => arrival[a] - arrival[b] || a - b);
  return idx.map((j) => recs[j]);
}

/** Counts of what the stream holds, for the report. */
export function describeStream(recs: readonly Rec[], bound: number): { records: number; outOfOrder: number; late: number; spanMs: number } {
  let maxTs = -Infinity;
  let outOfOrder = 0;
  let late = 0;
  let minTs = Infinity;
  for (const r of recs) {
    if (r.ts < maxTs) outOfOrder++;
    if (r.ts <= maxTs - bound - 1) late++;
    if (r.ts > maxTs) maxTs = r.ts;
    if (r.ts < minTs) minTs = r.ts;
  }
  return { records: recs.length, outOfOrder, late, spanMs: maxTs - minTs };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
