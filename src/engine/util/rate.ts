/** Messages per second over a sliding second, for node status; counts in O(1). */
export class RateMeter {
  private windowStart = 0;
  private current = 0;
  private last = 0;

  constructor(private readonly now: () => number = Date.now) {}

  mark(n = 1): void {
    this.roll();
    this.current += n;
  }

  /** The rate of the last complete second. */
  get perSecond(): number {
    this.roll();
    return this.last;
  }

  private roll(): void {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.last = t - this.windowStart >= 2000 ? 0 : this.current;
      this.current = 0;
      this.windowStart = t;
    }
  }
}
