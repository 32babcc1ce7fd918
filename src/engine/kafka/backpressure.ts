/**
 * High and low water marks on the records a source has in flight (emitted, not completed). The source emits while
 * it has room below the high mark; at the high mark it pauses, and it resumes once the flow has brought the count
 * down to the low mark — so memory stays bounded whatever the speed downstream, and a pause lasts long enough to
 * be worth its cost.
 */
import { invalidConfig } from '../errors';

export class Backpressure {
  paused = false;
  /** How many times the source paused. */
  pauses = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly high: number, readonly low: number) {
    Backpressure.check(high, low);
  }

  /** Throws an invalid-config EngineError unless 1 ≤ high and 0 ≤ low < high (whole numbers). */
  static check(high: number, low: number): void {
    if (!Number.isInteger(high) || high < 1) throw invalidConfig(`the in-flight limit must be a whole number ≥ 1, got ${high}`);
    if (!Number.isInteger(low) || low < 0 || low >= high) {
      throw invalidConfig(`the resume mark must be a whole number from 0 to ${high - 1}, got ${low}`);
    }
  }

  /** How many more records may be emitted with `inFlight` in the flow (0 while paused). */
  room(inFlight: number): number {
    if (this.paused) return 0;
    if (inFlight < this.high) return this.high - inFlight;
    this.paused = true;
    this.pauses++;
    return 0;
  }

  /** Called as records complete; resumes (and wakes whoever waits for room) at the low mark. */
  update(inFlight: number): boolean {
    if (!this.paused || inFlight > this.low) return false;
    this.paused = false;
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
    return true;
  }

  /** Resolves when the source may emit again; `release()` wakes every waiter at once (stop, rebalance). */
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}
