/**
 * The write path (issue 4, SPEC §8.4–8.5): lines wait in a bounded buffer per target (org/bucket or
 * database/retention policy, and precision), go out in batches, and each line is settled — written, rejected by
 * the server, failed, or dropped on overflow — exactly once, after the server's answer. A message is complete
 * when all its lines are settled (its `Ticket`), so a node calls `done()` only after a 2xx.
 *
 * Per target up to `maxInFlight` requests run at once, each in a lane that sends its batch until it is settled
 * (retries with backoff or Retry-After, halves, resends). A lane holds the points (series and time) of its lines,
 * and no other lane sends a line for a held point, so writes of one point reach the server in order and the
 * last one wins, also across retries. Lines the server rejects are found even when it does not say which
 * (halves are sent again, which rewrites the same points when every line carries its timestamp).
 *
 * Nothing here is dropped silently: the library's own buffering and retry are not used (its timer flushes
 * swallow failures and its close() discards the retry buffer); the transport only sends one batch.
 */
import { pointOfLine } from './point-id';
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

/** Told once per line how it ended, with the context the line was added with. */
export interface Ticket {
  settle(outcome: LineOutcome, text: string | undefined, context: unknown): void;
}

export interface TicketOutcome {
  written: number;
  /** The server's reasons for lines it refused (one per distinct text). */
  rejected: string[];
  /** Lines given up on (retry time exceeded, node closed). */
  failed: string[];
  dropped: number;
}

const NONE: string[] = [];
const ONE_WRITTEN: TicketOutcome = Object.freeze({ written: 1, rejected: NONE, failed: NONE, dropped: 0 });

/** Adds a line that was not written to `o`. */
function notWritten(o: TicketOutcome, outcome: Exclude<LineOutcome, 'written'>, text: string | undefined): void {
  if (outcome === 'dropped') o.dropped++;
  else {
    const list = outcome === 'rejected' ? o.rejected : o.failed;
    if (text !== undefined && !list.includes(text)) list.push(text);
  }
}

/** A message's ticket: calls `complete(outcome, context)` once, when the last of its `lines` is settled. */
export class MessageTicket<C = undefined> implements Ticket {
  private pending: number;
  private written = 0;
  /** Only for lines that were not written (rare): the outcome so far. */
  private other: TicketOutcome | undefined;

  constructor(lines: number, private readonly complete: (o: TicketOutcome, context: C) => void, private readonly context?: C) {
    this.pending = lines;
  }

  settle(outcome: LineOutcome, text?: string): void {
    if (outcome === 'written') this.written++;
    else notWritten(this.other ??= { written: 0, rejected: [], failed: [], dropped: 0 }, outcome, text);
    if (--this.pending === 0) {
      const o = this.other ?? { written: 0, rejected: NONE, failed: NONE, dropped: 0 };
      o.written = this.written;
      this.complete(o, this.context as C);
    }
  }
}

/**
 * The ticket of messages of one line each, shared by all of them: calls `complete(outcome, context)` with the
 * context the line was added with (its message's). A line waits in the buffer until InfluxDB answers, and an
 * object less per waiting line is garbage collection time saved.
 */
export class LineTicket<C> implements Ticket {
  constructor(private readonly complete: (o: TicketOutcome, context: C) => void) {}

  settle(outcome: LineOutcome, text: string | undefined, context: unknown): void {
    if (outcome === 'written') return this.complete(ONE_WRITTEN, context as C);
    const o: TicketOutcome = { written: 0, rejected: [], failed: [], dropped: 0 };
    notWritten(o, outcome, text);
    this.complete(o, context as C);
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
  /** Requests in flight at once per target (writes of the same point are never in two of them). Default 1. */
  maxInFlight?: number;
}

export const DEFAULT_WRITER: WriterOptions = {
  batchSize: 1000, flushIntervalMs: 1000, maxLines: 100000, overflow: 'block', retry: DEFAULT_RETRY, maxInFlight: 4,
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

interface Entry { line: string; stamped: boolean; ticket: Ticket; context: unknown; seq: number; point: number }

/** Lines handed from a closing writer to its successor (redeploy): per target, in order. */
export interface ParkedLines { targets: { target: WriteTarget; entries: Entry[] }[] }

/**
 * One request at a time, with its retries: a batch, then what it leaves to send again (a retry, halves, the lines
 * to resend). While a lane works on its lines, it holds their points, so no other lane sends a line for one of
 * them: writes of the same point reach the server in order.
 */
class Lane {
  /** Batches still to send, the first next. */
  work: Entry[][] = [];
  inFlight: Entry[] | null = null;
  /** Points of the lines this lane works on. */
  readonly held = new Set<number>();
  attempts = 0;
  failingSince = 0;
  retryTimer: unknown = undefined;
  retryAt = 0;

  get busy(): boolean { return this.inFlight !== null || this.retryTimer !== undefined; }
  get idle(): boolean { return !this.busy && this.work.length === 0; }
}

class TargetQueue {
  readonly key: string;
  private items: Entry[] = [];
  private head = 0;
  readonly lanes: Lane[];
  flushTimer: unknown = undefined;
  /** The oldest waiting line has waited the flush interval. */
  due = false;

  constructor(readonly target: WriteTarget, lanes: number) {
    this.key = targetKey(target);
    this.lanes = Array.from({ length: lanes }, () => new Lane());
  }

  get waiting(): number { return this.items.length - this.head; }

  push(e: Entry): void { this.items.push(e); }

  /** Up to `n` waiting lines for `lane`, stopping before one whose point another lane holds. */
  take(n: number, lane: Lane): Entry[] {
    let end = this.head;
    const limit = Math.min(this.items.length, this.head + n);
    const others = this.lanes.filter((l) => l !== lane && l.held.size > 0).map((l) => l.held);
    if (others.length === 0) end = limit;
    else {
      scan: for (; end < limit; end++) {
        const p = this.items[end].point;
        if (p === 0) continue;
        for (let k = 0; k < others.length; k++) if (others[k].has(p)) break scan;
      }
    }
    const batch = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) { this.items = []; this.head = 0; }
    else if (this.head > 4096 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    return batch;
  }

  hold(lane: Lane, batch: Entry[]): void {
    if (this.lanes.length === 1) return;
    for (const e of batch) if (e.point !== 0) lane.held.add(e.point);
  }

  /** Seq of the oldest line that may be dropped (not in flight), or Infinity. */
  oldestDroppable(): number {
    let seq = this.waiting > 0 ? this.items[this.head].seq : Infinity;
    for (const l of this.lanes) for (const b of l.work) if (b.length > 0 && b[0].seq < seq) seq = b[0].seq;
    return seq;
  }

  dropOldest(): Entry {
    let from: Entry[] | undefined;
    for (const l of this.lanes) for (const b of l.work) if (b.length > 0 && (!from || b[0].seq < from[0].seq)) from = b;
    if (from && (this.waiting === 0 || from[0].seq < this.items[this.head].seq)) return from.shift() as Entry;
    const e = this.items[this.head++];
    if (this.head === this.items.length) { this.items = []; this.head = 0; }
    return e;
  }

  /** Everything not yet settled, oldest first. */
  all(): Entry[] {
    const inLanes = this.lanes.flatMap((l) => [...(l.inFlight ?? []), ...l.work.flat()]).sort((a, b) => a.seq - b.seq);
    return [...inLanes, ...this.items.slice(this.head)];
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
    for (const q of this.queues.values()) {
      for (const l of q.lanes) if (l.retryTimer !== undefined && (at === undefined || l.retryAt < at)) at = l.retryAt;
    }
    return at;
  }

  /**
   * Queues lines for `target`; `ticket` hears how each ends, with `context`. `stamped`: every line carries its timestamp.
   * `points`: the point id of each line (point-id.ts), when the caller has them; computed from the lines otherwise.
   */
  add(target: WriteTarget, lines: readonly string[], stamped: boolean, ticket: Ticket, points?: readonly number[], context?: unknown): void {
    if (this.detached) throw new Error('the writer was closed');
    if (this.o.overflow === 'drop-oldest') this.makeRoom(lines.length);
    const q = this.queue(target);
    const wasEmpty = q.waiting === 0;
    // Point ids only matter when several requests may be in flight.
    const lanes = q.lanes.length > 1;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      q.push({ line, stamped, ticket, context, seq: ++this.seq, point: !lanes ? 0 : points ? points[i] : pointOfLine(line, stamped) });
    }
    this.unsettled += lines.length;
    if (wasEmpty && this.o.flushIntervalMs > 0 && q.flushTimer === undefined) {
      q.flushTimer = this.clock.setTimeout(() => { q.flushTimer = undefined; q.due = true; this.pump(q); }, this.o.flushIntervalMs);
    }
    // Until a batch is full or due, the flush timer (or the answer that frees a lane) sends it.
    if (this.ready(q)) this.pump(q);
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
      for (const l of q.lanes) this.clock.clearTimeout(l.retryTimer);
      this.clock.clearTimeout(q.flushTimer);
      const entries = q.all();
      if (entries.length > 0) parked.targets.push({ target: q.target, entries });
    }
    this.queues.clear();
    this.lastQueue = undefined;
    for (const w of this.roomWaiters.splice(0)) w();
    return parked;
  }

  /** Takes over lines a previous writer parked, ahead of anything new. */
  adopt(parked: ParkedLines): void {
    for (const { target, entries } of parked.targets) {
      const q = this.queue(target);
      for (const e of entries) q.push({ ...e, seq: ++this.seq, point: q.lanes.length > 1 ? pointOfLine(e.line, e.stamped) : 0 });
      this.unsettled += entries.length;
      q.due = true;
      this.pump(q);
    }
  }

  private lastTarget: WriteTarget | undefined;
  private lastQueue: TargetQueue | undefined;

  private queue(target: WriteTarget): TargetQueue {
    // Most messages of a node go to one target, passed as the same object: no key to build for them.
    if (target === this.lastTarget && this.lastQueue && !this.detached) return this.lastQueue;
    const key = targetKey(target);
    let q = this.queues.get(key);
    if (!q) { q = new TargetQueue(target, Math.max(1, this.o.maxInFlight ?? 1)); this.queues.set(key, q); }
    this.lastTarget = target;
    this.lastQueue = q;
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
    if (this.detached) return;
    for (const lane of q.lanes) {
      if (lane.busy) continue;
      let batch: Entry[] | undefined;
      while ((batch = lane.work.shift()) !== undefined && batch.length === 0);   // emptied by drop-oldest
      if (batch === undefined) {
        lane.held.clear();
        if (!this.ready(q)) continue;
        batch = q.take(this.o.batchSize, lane);
        if (batch.length === 0) continue;   // the next line waits for a point another lane holds
        q.hold(lane, batch);
      }
      this.send(q, lane, batch);
    }
    if (q.waiting === 0) {
      q.due = false;
      if (q.flushTimer !== undefined) { this.clock.clearTimeout(q.flushTimer); q.flushTimer = undefined; }
    }
  }

  /** A new batch may go: one is full, or the waiting lines are due (interval, flush, no interval). */
  private ready(q: TargetQueue): boolean {
    return q.waiting >= this.o.batchSize || (q.waiting > 0 && (q.due || this.o.flushIntervalMs === 0 || this.barriers.length > 0));
  }

  private send(q: TargetQueue, lane: Lane, batch: Entry[]): void {
    lane.inFlight = batch;
    this.stats.requests++;
    const lines = batch.map((e) => e.line);
    void this.transport.write(q.target, lines)
      .catch((err: Error) => ({ status: 0, body: err?.message ?? String(err) }))
      .then((r) => this.answered(q, lane, batch, lines, r));
  }

  private answered(q: TargetQueue, lane: Lane, batch: Entry[], lines: string[], r: WriteResponse): void {
    if (this.detached) return;
    lane.inFlight = null;
    const now = this.clock.now();
    const v = judge(r, lines, now);
    if (v.kind === 'retry') {
      if (lane.attempts === 0) lane.failingSince = now;
      lane.attempts++;
      this.lastError = { text: v.text, at: now };
      const limit = this.o.retry.maxRetryTimeMs;
      if (limit > 0 && now - lane.failingSince >= limit) {
        lane.attempts = 0;
        this.giveUp(batch, `${v.text} (gave up after retrying for ${Math.round((now - lane.failingSince) / 1000)} s)`);
      } else {
        const delay = retryDelay(this.o.retry, lane.attempts, v.afterMs, this.clock.random);
        lane.work.unshift(batch);
        lane.retryAt = now + delay;
        lane.retryTimer = this.clock.setTimeout(() => { lane.retryTimer = undefined; this.pump(q); }, delay);
        this.stats.retries++;
        this.events.retrying?.(v.text, delay);
        return;
      }
    } else {
      lane.attempts = 0;
      switch (v.kind) {
        case 'written':
          this.settleAll(batch, 'written');
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
          if (again.length > 0) lane.work.unshift(again);
          break;
        }
        case 'too-large':
        case 'unidentified':
          // Halves find the lines the server refuses; sending a line again is safe only if it has its own time.
          if (batch.length > 1 && (v.kind === 'too-large' || batch.every((e) => e.stamped))) {
            const mid = Math.ceil(batch.length / 2);
            lane.work.unshift(batch.slice(0, mid), batch.slice(mid));
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
    if (lane.work.length === 0) lane.held.clear();
    this.pump(q);
  }

  private reject(e: Entry, text: string): void {
    this.lastError = { text, at: this.clock.now() };
    this.settle(e, 'rejected', text);
  }

  private giveUp(batch: Entry[], text: string): void {
    this.settleAll(batch, 'failed', text);
    this.events.failed?.(text, batch.length);
  }

  private settle(e: Entry, outcome: LineOutcome, text?: string): void {
    this.settleAll([e], outcome, text);
  }

  /** Settles lines that ended the same way: the counts, barriers and waiting callers once, then each line's ticket. */
  private settleAll(entries: Entry[], outcome: LineOutcome, text?: string): void {
    const n = entries.length;
    if (outcome === 'written') this.stats.written += n;
    else if (outcome === 'rejected') this.stats.rejected += n;
    else if (outcome === 'failed') this.stats.failed += n;
    this.unsettled -= n;
    if (this.barriers.length > 0) {
      this.barriers = this.barriers.filter((b) => {
        for (const e of entries) if (e.seq <= b.upTo) b.remaining--;
        if (b.remaining > 0) return true;
        b.resolve();
        return false;
      });
    }
    if (this.roomWaiters.length > 0 && this.unsettled < this.o.maxLines) {
      for (const w of this.roomWaiters.splice(0)) w();
    }
    for (const e of entries) e.ticket.settle(outcome, text, e.context);
  }
}
