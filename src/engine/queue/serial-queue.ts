/**
 * Runs async jobs one at a time in arrival order. JSONata 2.x evaluation is async and gets 10–20× slower when
 * thousands are started at once, and results must keep message order; a ring buffer avoids Array.shift().
 */
export class SerialQueue<T> {
  private buf: (T | undefined)[] = new Array(16);
  private head = 0;
  private count = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly run: (item: T) => Promise<void>) {}

  get length(): number { return this.count; }

  push(item: T): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count) % this.buf.length] = item;
    this.count++;
    if (!this.running) void this.drain();
  }

  /** Resolves once every queued job has run. */
  drained(): Promise<void> {
    if (!this.running && this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.count > 0) {
      const item = this.buf[this.head] as T;
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.buf.length;
      this.count--;
      try { await this.run(item); } catch { /* `run` reports its own errors */ }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}
