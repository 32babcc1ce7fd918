/** Records per second for node status: `mark` only counts; `sample`, called by the status timer, turns counts into a rate. */
export class RateMeter {
  private marked = 0;
  private sampledTotal = 0;
  private sampledAt: number;
  private rate = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.sampledAt = now();
  }

  mark(n = 1): void {
    this.marked += n;
  }

  /** The rate since the previous sample (call about once a second). */
  sample(): number {
    const t = this.now();
    const dt = t - this.sampledAt;
    if (dt > 0) {
      this.rate = Math.round(((this.marked - this.sampledTotal) * 1000) / dt);
      this.sampledTotal = this.marked;
      this.sampledAt = t;
    }
    return this.rate;
  }

  /** Everything counted since the meter was made. */
  get total(): number {
    return this.marked;
  }

  /** The last sampled rate. */
  get perSecond(): number {
    return this.rate;
  }
}
