/**
 * Runs jobs one at a time in arrival order. A job may finish synchronously (then nothing is allocated for it)
 * or return a promise; while one is pending, later jobs wait in a ring buffer (never Array.shift()).
 * JSONata 2.x evaluation is asynchronous and gets 10–20× slower when thousands are started at once, and
 * results must keep message order (DESIGN §4).
 */
export class SerialQueue<T> {
  private buf: (T | undefined)[] = new Array(16);
  private head = 0;
  private count = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly run: (item: T) => void | Promise<void>) {}

  get length(): number { return this.count; }

  /** True when no job is pending: the caller may run the next one itself and hand over its promise with `wait`. */
  get idle(): boolean { return !this.running; }

  push(item: T): void {
    if (this.running) { this.enqueue(item); return; }
    const pending = this.start(item);
    if (pending) void this.drainAfter(pending);
  }

  /** Queued jobs wait until `pending` (a job the caller ran itself while idle) has settled. */
  wait(pending: Promise<void>): void {
    void this.drainAfter(pending);
  }

  /** Resolves once every queued job has run. */
  drained(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs a job; returns its promise if it did not finish synchronously. `run` reports its own errors. */
  private start(item: T): Promise<void> | undefined {
    try {
      const r = this.run(item);
      return r instanceof Promise ? r : undefined;
    } catch {
      return undefined;
    }
  }

  private async drainAfter(first: Promise<void>): Promise<void> {
    this.running = true;
    try { await first; } catch { /* reported by run */ }
    while (this.count > 0) {
      const item = this.buf[this.head] as T;
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.buf.length;
      this.count--;
      const pending = this.start(item);
      if (pending) { try { await pending; } catch { /* reported by run */ } }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private enqueue(item: T): void {
    if (this.count === this.buf.length) {
      const next = new Array<T | undefined>(this.buf.length * 2);
      for (let i = 0; i < this.count; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
      this.buf = next;
      this.head = 0;
    }
    this.buf[(this.head + this.count) % this.buf.length] = item;
    this.count++;
  }
}
