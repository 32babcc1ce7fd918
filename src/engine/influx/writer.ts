/**
 * The write path (issue 4, SPEC §8.4–8.5): lines wait in a bounded buffer per target (org/bucket or
 * database/retention policy, and precision), go out in batches, and each line is settled — written, rejected by
 * the server, failed, or dropped on overflow — exactly once, after the server's answer. A message is complete
 * when all its lines are settled (its `Ticket`), so a node calls `done()` only after a 2xx.
 *
 * Per target one batch is in flight at a time, in order: a later batch never overtakes an earlier one, so the
 * last write of a point wins, also across retries. A failed batch is retried (backoff, Retry-After) before
 * anything after it is sent. Lines the server rejects are found even when it does not say which (halves are
 * sent again, which rewrites the same points when every line carries its timestamp).
 *
 * Nothing here is dropped silently: the library's own buffering and retry are not used (its timer flushes
 * swallow failures and its close() discards the retry buffer); the transport only sends one batch.
 */
import { judge, type WriteResponse } from './responses';
import { DEFAULT_RETRY, retryDelay, type RetryOptions } from './retry';
import type { Precision } from './time';

export interface WriteTarget {
  /** v2 */
  org?: string;
  bucket?: string;
  /** v1 */
  database?: string;
  retentionPolicy?: string;
  precision: Precision;
}

/** Sends one batch; resolves with the answer, status 0 when there was none. Never rejects. */
export interface WriteTransport {
  write(target: WriteTarget, lines: string[]): Promise<WriteResponse>;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); t.unref?.(); return t; },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  random: Math.random,
};

export type LineOutcome = 'written' | 'rejected' | 'failed' | 'dropped';

/** Told once per line how it ended. */
export interface Ticket {
  settle(outcome: LineOutcome, text?: string): void;
}

export interface TicketOutcome {
  written: number;
  /** The server's reasons for lines it refused (one per distinct text). */
  rejected: string[];
  /** Lines given up on (retry time exceeded, node closed). */
  failed: string[];
  dropped: number;
}

/** A message's ticket: calls `complete` once, when the last of its `lines` is settled. */
export class MessageTicket implements Ticket {
  private pending: number;
  private readonly outcome: TicketOutcome = { written: 0, rejected: [], failed: [], dropped: 0 };

  constructor(lines: number, private readonly complete: (o: TicketOutcome) => void) {
    this.pending = lines;
  }

  settle(outcome: LineOutcome, text?: string): void {
    const o = this.outcome;
    if (outcome === 'written') o.written++;
    else if (outcome === 'dropped') o.dropped++;
    else {
      const list = outcome === 'rejected' ? o.rejected : o.failed;
      if (text !== undefined && !list.includes(text)) list.push(text);
    }
    if (--this.pending === 0) this.complete(o);
  }
}

export interface WriterOptions {
  /** Lines per request. */
  batchSize: number;
  /** How long a line may wait for a batch to fill; 0 = send at once. */
  flushIntervalMs: number;
  /** Bound of the buffer (lines not yet settled). */
  maxLines: number;
  /** `block`: the caller waits (`whenRoom`) before adding; `drop-oldest`: the oldest waiting lines make room. */
  overflow: 'block' | 'drop-oldest';
  retry: RetryOptions;
}

export const DEFAULT_WRITER: WriterOptions = {
  batchSize: 1000, flushIntervalMs: 1000, maxLines: 100000, overflow: 'block', retry: DEFAULT_RETRY,
};

export interface WriterEvents {
  /** Lines dropped to make room (drop-oldest). */
  dropped?(count: number): void;
  /** A batch failed and is retried after `delayMs`. */
  retrying?(text: string, delayMs: number): void;
  /** A batch (or some of its lines) was refused, or given up on. */
  failed?(text: string, lines: number): void;
}

export interface WriterStats {
  written: number;
  rejected: number;
  failed: number;
  dropped: number;
  retries: number;
  requests: number;
}

interface Entry { line: string; stamped: boolean; ticket: Ticket; seq: number }

/** Lines handed from a closing writer to its successor (redeploy): per target, in order. */
export interface ParkedLines { targets: { target: WriteTarget; entries: Entry[] }[] }

class TargetQueue {
  readonly key: string;
  private items: Entry[] = [];
  private head = 0;
  /** Batches to send before anything new: a retried batch, halves of a split one, lines sent again. */
  redo: Entry[][] = [];
  inFlight: Entry[] | null = null;
  attempts = 0;
  failingSince = 0;
  retryTimer: unknown = undefined;
  retryAt = 0;
  flushTimer: unknown = undefined;
  /** The oldest waiting line has waited the flush interval. */
  due = false;

  constructor(readonly target: WriteTarget) {
    this.key = targetKey(target);
  }

  get waiting(): number { return this.items.length - this.head; }

  push(e: Entry): void { this.items.push(e); }

  take(n: number): Entry[] {
    const end = Math.min(this.items.length, this.head + n);
    const batch = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) { this.items = []; this.head = 0; }
    else if (this.head > 4096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    return batch;
  }

  /** Seq of the oldest line that may be dropped (not in flight), or Infinity. */
  oldestDroppable(): number {
    for (const b of this.redo) if (b.length > 0) return b[0].seq;
    return this.waiting > 0 ? this.items[this.head].seq : Infinity;
  }

  dropOldest(): Entry {
    for (const b of this.redo) if (b.length > 0) return b.shift() as Entry;
    return this.take(1)[0];
  }

  /** Everything not yet settled, oldest first. */
  all(): Entry[] {
    return [...(this.inFlight ?? []), ...this.redo.flat(), ...this.items.slice(this.head)];
  }
}

export function targetKey(t: WriteTarget): string {
  return JSON.stringify([t.org ?? '', t.bucket ?? '', t.database ?? '', t.retentionPolicy ?? '', t.precision]);
}

interface Barrier { upTo: number; remaining: number; resolve: () => void }

export class InfluxWriter {
  readonly stats: WriterStats = { written: 0, rejected: 0, failed: 0, dropped: 0, retries: 0, requests: 0 };
  /** The last failure, as the server or the network said it, and when. */
  lastError: { text: string; at: number } | undefined;
  private readonly queues = new Map<string, TargetQueue>();
  private seq = 0;
  private unsettled = 0;
  private barriers: Barrier[] = [];
  private roomWaiters: (() => void)[] = [];
  private detached = false;
  private released = false;

  constructor(private readonly transport: WriteTransport, private readonly o: WriterOptions = DEFAULT_WRITER,
    private readonly clock: Clock = systemClock, private readonly events: WriterEvents = {}) {
    if (!(o.batchSize >= 1)) throw new RangeError('batch size must be at least 1');
    if (!(o.maxLines >= 1)) throw new RangeError('the buffer must hold at least 1 line');
  }

  /** Lines not yet settled: waiting, being retried or in flight. */
  get buffered(): number { return this.unsettled; }

  /** When the next retry of a failing target is due (ms since epoch), or undefined when none is failing. */
  get nextRetryAt(): number | undefined {
    let at: number | undefined;
    for (const q of this.queues.values()) if (q.retryTimer !== undefined && (at === undefined || q.retryAt < at)) at = q.retryAt;
    return at;
  }

  /** Queues lines for `target`; `ticket` hears how each ends. `stamped`: every line carries its timestamp. */
  add(target: WriteTarget, lines: readonly string[], stamped: boolean, ticket: Ticket): void {
    if (this.detached) throw new Error('the writer was closed');
    if (this.o.overflow === 'drop-oldest') this.makeRoom(lines.length);
    const q = this.queue(target);
    const wasEmpty = q.waiting === 0;
    for (const line of lines) q.push({ line, stamped, ticket, seq: ++this.seq });
    this.unsettled += lines.length;
    if (wasEmpty && this.o.flushIntervalMs > 0 && q.flushTimer === undefined) {
      q.flushTimer = this.clock.setTimeout(() => { q.flushTimer = undefined; q.due = true; this.pump(q); }, this.o.flushIntervalMs);
    }
    this.pump(q);
  }

  /** Resolves once the buffer has room (fewer than maxLines lines unsettled). */
  whenRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** The buffer is at its bound: a `block` caller waits for `whenRoom` before adding. */
  get full(): boolean { return this.o.overflow === 'block' && !this.released && this.unsettled >= this.o.maxLines; }

  /** Holds nobody back any more (the node is closing: what is queued goes in, then `close` parks it). */
  release(): void {
    this.released = true;
    for (const w of this.roomWaiters.splice(0)) w();
  }

  /** Sends everything now; resolves when every line added so far is settled. */
  flush(): Promise<void> {
    if (this.unsettled === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.barriers.push({ upTo: this.seq, remaining: this.unsettled, resolve });
      for (const q of this.queues.values()) this.pump(q);
    });
  }

  /**
   * Stops the writer: tries to flush until `deadlineMs` (a time on the clock), then hands back whatever is not
   * settled, in order, with its tickets (for the next instance after a redeploy, or to report as not written).
   * Answers that arrive later are ignored.
   */
  async close(deadlineMs: number): Promise<ParkedLines> {
    const left = deadlineMs - this.clock.now();
    if (this.unsettled > 0 && left > 0) {
      let timer: unknown;
      await Promise.race([this.flush(), new Promise<void>((r) => { timer = this.clock.setTimeout(r, left); })]);
      this.clock.clearTimeout(timer);
    }
    this.detached = true;
    const parked: ParkedLines = { targets: [] };
    for (const q of this.queues.values()) {
      this.clock.clearTimeout(q.retryTimer);
      this.clock.clearTimeout(q.flushTimer);
      const entries = q.all();
      if (entries.length > 0) parked.targets.push({ target: q.target, entries });
    }
    this.queues.clear();
    for (const w of this.roomWaiters.splice(0)) w();
    return parked;
  }

  /** Takes over lines a previous writer parked, ahead of anything new. */
  adopt(parked: ParkedLines): void {
    for (const { target, entries } of parked.targets) {
      const q = this.queue(target);
      for (const e of entries) q.push({ ...e, seq: ++this.seq });
      this.unsettled += entries.length;
      q.due = true;
      this.pump(q);
    }
  }

  private queue(target: WriteTarget): TargetQueue {
    const key = targetKey(target);
    let q = this.queues.get(key);
    if (!q) { q = new TargetQueue(target); this.queues.set(key, q); }
    return q;
  }

  private makeRoom(incoming: number): void {
    let excess = this.unsettled + incoming - this.o.maxLines;
    let dropped = 0;
    while (excess > 0) {
      let oldest: TargetQueue | undefined;
      let seq = Infinity;
      for (const q of this.queues.values()) {
        const s = q.oldestDroppable();
        if (s < seq) { seq = s; oldest = q; }
      }
      if (!oldest) break;
      this.settle(oldest.dropOldest(), 'dropped');
      dropped++;
      excess--;
    }
    if (dropped > 0) {
      this.stats.dropped += dropped;
      this.events.dropped?.(dropped);
    }
  }

  private pump(q: TargetQueue): void {
    if (this.detached || q.inFlight || q.retryTimer !== undefined) return;
    let batch: Entry[] | undefined;
    if (q.redo.length > 0) batch = q.redo.shift();
    else if (q.waiting >= this.o.batchSize || (q.waiting > 0 && (q.due || this.o.flushIntervalMs === 0 || this.barriers.length > 0))) {
      batch = q.take(this.o.batchSize);
    }
    if (q.waiting === 0) {
      q.due = false;
      if (q.flushTimer !== undefined) { this.clock.clearTimeout(q.flushTimer); q.flushTimer = undefined; }
    }
    if (!batch || batch.length === 0) return;
    q.inFlight = batch;
    this.stats.requests++;
    const lines = batch.map((e) => e.line);
    void this.transport.write(q.target, lines)
      .catch((err: Error) => ({ status: 0, body: err?.message ?? String(err) }))
      .then((r) => this.answered(q, batch as Entry[], lines, r));
  }

  private answered(q: TargetQueue, batch: Entry[], lines: string[], r: WriteResponse): void {
    if (this.detached) return;
    q.inFlight = null;
    const now = this.clock.now();
    const v = judge(r, lines, now);
    if (v.kind === 'retry') {
      if (q.attempts === 0) q.failingSince = now;
      q.attempts++;
      this.lastError = { text: v.text, at: now };
      const limit = this.o.retry.maxRetryTimeMs;
      if (limit > 0 && now - q.failingSince >= limit) {
        q.attempts = 0;
        this.giveUp(batch, `${v.text} (gave up after retrying for ${Math.round((now - q.failingSince) / 1000)} s)`);
      } else {
        const delay = retryDelay(this.o.retry, q.attempts, v.afterMs, this.clock.random);
        q.redo.unshift(batch);
        q.retryAt = now + delay;
        q.retryTimer = this.clock.setTimeout(() => { q.retryTimer = undefined; this.pump(q); }, delay);
        this.stats.retries++;
        this.events.retrying?.(v.text, delay);
        return;
      }
    } else {
      q.attempts = 0;
      switch (v.kind) {
        case 'written':
          for (const e of batch) this.settle(e, 'written');
          break;
        case 'lines': {
          const again: Entry[] = [];
          batch.forEach((e, i) => {
            const why = v.rejected.get(i);
            if (why !== undefined) this.reject(e, why);
            else if (v.rest === 'written') this.settle(e, 'written');
            else again.push(e);
          });
          this.events.failed?.(v.text, v.rejected.size);
          if (again.length > 0) q.redo.unshift(again);
          break;
        }
        case 'too-large':
        case 'unidentified':
          // Halves find the lines the server refuses; sending a line again is safe only if it has its own time.
          if (batch.length > 1 && (v.kind === 'too-large' || batch.every((e) => e.stamped))) {
            const mid = Math.ceil(batch.length / 2);
            q.redo.unshift(batch.slice(0, mid), batch.slice(mid));
          } else {
            this.lastError = { text: v.text, at: now };
            for (const e of batch) this.reject(e, v.text);
            this.events.failed?.(v.text, batch.length);
          }
          break;
        case 'rejected':
          this.lastError = { text: v.text, at: now };
          for (const e of batch) this.reject(e, v.text);
          this.events.failed?.(v.text, batch.length);
          break;
      }
    }
    this.pump(q);
  }

  private reject(e: Entry, text: string): void {
    this.lastError = { text, at: this.clock.now() };
    this.settle(e, 'rejected', text);
  }

  private giveUp(batch: Entry[], text: string): void {
    for (const e of batch) this.settle(e, 'failed', text);
    this.events.failed?.(text, batch.length);
  }

  private settle(e: Entry, outcome: LineOutcome, text?: string): void {
    if (outcome === 'written') this.stats.written++;
    else if (outcome === 'rejected') this.stats.rejected++;
    else if (outcome === 'failed') this.stats.failed++;
    this.unsettled--;
    if (this.barriers.length > 0) {
      this.barriers = this.barriers.filter((b) => {
        if (e.seq <= b.upTo && --b.remaining === 0) { b.resolve(); return false; }
        return true;
      });
    }
    if (this.roomWaiters.length > 0 && this.unsettled < this.o.maxLines) {
      for (const w of this.roomWaiters.splice(0)) w();
    }
    e.ticket.settle(outcome, text);
  }
}
