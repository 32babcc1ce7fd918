/**
 * Delays between attempts of a failed batch (SPEC §8.5): exponential backoff with jitter, or the server's
 * Retry-After (seconds, already converted to ms) plus jitter.
 *
 * Attempt n (1 = the first retry) waits a random time in [d_n, d_{n+1}) with d_n = min·base^(n−1), capped at
 * max, plus up to `jitterMs`, as the client library's RetryStrategy does with randomRetry.
 */
export interface RetryOptions {
  minDelayMs: number;
  maxDelayMs: number;
  base: number;
  jitterMs: number;
  /** Give up on a batch after this long (its lines are then reported as failed); 0 = never. */
  maxRetryTimeMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { minDelayMs: 1000, maxDelayMs: 30000, base: 2, jitterMs: 200, maxRetryTimeMs: 0 };

export function retryDelay(o: RetryOptions, attempt: number, retryAfter: number | undefined, random: () => number): number {
  const jitter = Math.round(random() * o.jitterMs);
  if (retryAfter !== undefined) return retryAfter + jitter;
  const d = (n: number) => Math.min(o.maxDelayMs, o.minDelayMs * o.base ** (n - 1));
  const lo = d(attempt);
  const hi = d(attempt + 1);
  return Math.round(lo + random() * (hi - lo)) + jitter;
}
