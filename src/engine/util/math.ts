/** Floor modulo: the result is in [0, n) for n > 0, also for negative a (SPEC conventions). */
export function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}

/** Index of the first element of the ascending `arr` that is ≥ `v` (arr.length if none), by `by` when given. */
export function lowerBound<T>(arr: readonly T[], v: number, by?: (x: T) => number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if ((by ? by(arr[m]) : (arr[m] as number)) < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** JS `<` on strings: UTF-16 code units (SPEC §2.4). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
