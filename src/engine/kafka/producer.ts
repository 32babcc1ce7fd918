/**
 * KafkaSink: records to Kafka with batching, acknowledgements and retries.
 *
 * - `send(record, done)` queues the record; `done()` runs once the broker acknowledged it (with the node's acks),
 *   `done(err)` when it failed for good.
 * - Batching: records queued while a request is out, or within `lingerMs` of the first one, go in one request
 *   (up to `batchSize` records). One request is out at a time, so records reach each partition in order.
 * - While the brokers cannot be reached (retriable errors after the client's own retries), the batch stays queued
 *   and is sent again after a growing backoff. The queue holds at most `maxBuffered` records: beyond that a record
 *   fails at once with `buffer-full` and is counted — never dropped silently.
 * - A batch refused for good (record too large, no such topic, not authorised) is sent again record by record, so
 *   only the records at fault fail.
 * - `connect()` connects the producer before the first record (a node does when deployed, so that its status tells at
 *   once whether the brokers can be reached), again after a backoff while they cannot.
 * - `close()` waits for acknowledgements only while they come; records left unacknowledged keep their `done`
 *   uncalled (not failed: a source upstream that commits only completed work delivers them again).
 */
import { KafkaError, toKafkaError } from './errors';

export type HeaderValue = Buffer | string | (Buffer | string)[];

export interface OutRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: Record<string, HeaderValue>;
  /** ms since the epoch, as a decimal string (the broker's time when absent). */
  timestamp?: string;
}

export type Delivered = (err?: KafkaError) => void;

/** The part of a kafkajs Producer KafkaSink uses. */
export interface ProducerLike {
  sendBatch(b: {
    topicMessages: { topic: string; messages: Omit<OutRecord, 'topic'>[] }[];
    acks: number;
    compression: number;
  }): Promise<unknown>;
}

export interface KafkaSinkOptions {
  /** -1 all in-sync replicas, 1 the leader, 0 none. */
  acks: -1 | 0 | 1;
  /** kafkajs CompressionTypes value (0 none, 1 gzip, 2 snappy). */
  compression: number;
  lingerMs: number;
  batchSize: number;
  maxBuffered: number;
}

interface Pending { record: OutRecord; done: Delivered; alone: boolean }

const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
/** On close, no acknowledgement for this long means the brokers are not answering: stop waiting. */
export const CLOSE_STALL_MS = 5000;

export class KafkaSink {
  readonly stats = { sent: 0, failed: 0, overflow: 0, retries: 0 };
  /** `connecting` until the producer first connected, `retrying` while the brokers cannot be reached (`lastError` says why). */
  state: 'connecting' | 'ready' | 'retrying' = 'connecting';
  lastError: KafkaError | undefined;
  private queue: Pending[] = [];
  private head = 0;
  private inFlight = 0;
  private pumping = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private idle: (() => void) | null = null;
  /** Called with each acknowledgement while `close` waits. */
  private acked: (() => void) | null = null;
  private connecting = false;
  private backoff: ReturnType<typeof setTimeout> | undefined;

  /** `producer()` resolves a connected producer (the shared one of the connection). */
  constructor(private readonly producer: () => Promise<ProducerLike>, readonly options: KafkaSinkOptions,
    private readonly onState: (state: KafkaSink['state'], err?: KafkaError) => void = () => undefined) {}

  /** Records queued or in a request, not acknowledged yet. */
  get buffered(): number {
    return this.queue.length - this.head + this.inFlight;
  }

  send(record: OutRecord, done: Delivered): void {
    if (this.closed) return done(new KafkaError('closed', 'the node is stopping: the record was not sent'));
    if (this.buffered >= this.options.maxBuffered) {
      this.stats.overflow++;
      return done(new KafkaError('buffer-full', `${this.buffered} records are waiting for the brokers (the limit is ${this.options.maxBuffered})`,
        true, this.lastError));
    }
    this.queue.push({ record, done, alone: false });
    if (this.pumping) return;
    if (this.queue.length - this.head >= this.options.batchSize) this.pump();
    else if (!this.timer) this.timer = setTimeout(() => this.pump(), this.options.lingerMs);
  }

  /**
   * Connects the producer now, and again after a growing backoff while the brokers cannot be reached (state
   * `retrying`, `lastError` says why), until it is connected (`ready`) or the sink is closed.
   */
  connect(): void {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    let failures = 0;
    const attempt = (): void => {
      this.producer().then(() => {
        this.connecting = false;
        if (!this.closed && this.state !== 'ready') this.setState('ready');
      }, (err: unknown) => {
        if (this.closed) return;
        const e = toKafkaError(err);
        this.lastError = e;
        if (this.state === 'ready') {
          this.connecting = false;
          return;
        }
        if (this.state !== 'retrying') this.setState('retrying', e);
        this.backoff = setTimeout(attempt, BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]);
        this.backoff.unref?.();
      });
    };
    attempt();
  }

  /**
   * Waits for the queued records to be acknowledged — only while connected to the brokers, up to `timeoutMs`, and
   * only while acknowledgements come (none for `stallMs` ends the wait) — then stops; resolves how many records are
   * left undelivered (their `done` is not called: a source upstream still holds them as incomplete).
   */
  async close(timeoutMs: number, stallMs = CLOSE_STALL_MS): Promise<number> {
    if (this.buffered > 0 && this.state === 'ready') {
      await new Promise<void>((resolve) => {
        const end = setTimeout(finish, Math.max(0, timeoutMs));
        let stall = setTimeout(finish, Math.min(stallMs, Math.max(0, timeoutMs)));
        function finish() {
          clearTimeout(end);
          clearTimeout(stall);
          resolve();
        }
        this.idle = finish;
        this.acked = () => {
          clearTimeout(stall);
          stall = setTimeout(finish, stallMs);
        };
      });
    }
    this.closed = true;
    this.idle = null;
    this.acked = null;
    clearTimeout(this.timer);
    clearTimeout(this.backoff);
    return this.buffered;
  }

  private setState(state: KafkaSink['state'], err?: KafkaError): void {
    this.state = state;
    this.onState(state, err);
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pumping) return;
    this.pumping = true;
    void this.drain().finally(() => {
      this.pumping = false;
      if (this.buffered === 0 && this.idle) this.idle();
    });
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (this.head < this.queue.length && !this.closed) {
      const batch = this.take();
      this.inFlight = batch.length;
      try {
        const producer = await this.producer();
        if (this.state === 'connecting') this.setState('ready');
        await producer.sendBatch({ topicMessages: byTopic(batch), acks: this.options.acks, compression: this.options.compression });
        this.inFlight = 0;
        this.stats.sent += batch.length;
        failures = 0;
        if (this.state !== 'ready') this.setState('ready');
        for (const p of batch) p.done();
        this.acked?.();
      } catch (err) {
        this.inFlight = 0;
        const e = toKafkaError(err);
        this.lastError = e;
        if (e.retriable || batch.length > 1) {
          // Back to the front of the queue: all of it after a backoff, or each record alone to find the bad one.
          if (!e.retriable) for (const p of batch) p.alone = true;
          this.unshift(batch);
          if (e.retriable) {
            this.stats.retries++;
            if (this.state !== 'retrying') this.setState('retrying', e);
            await new Promise((r) => setTimeout(r, BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]));
          }
          continue;
        }
        this.stats.failed++;
        batch[0].done(e);
      }
    }
  }

  /** The next batch: up to batchSize records, or one record alone. */
  private take(): Pending[] {
    const first = this.queue[this.head];
    const n = first.alone ? 1 : Math.min(this.options.batchSize, this.queue.length - this.head);
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private unshift(batch: Pending[]): void {
    if (this.head >= batch.length) {
      this.head -= batch.length;
      for (let i = 0; i < batch.length; i++) this.queue[this.head + i] = batch[i];
    } else {
      this.queue = [...batch, ...this.queue.slice(this.head)];
      this.head = 0;
    }
  }
}

function byTopic(batch: Pending[]): { topic: string; messages: Omit<OutRecord, 'topic'>[] }[] {
  const topics = new Map<string, Omit<OutRecord, 'topic'>[]>();
  for (const { record: r } of batch) {
    let list = topics.get(r.topic);
    if (!list) topics.set(r.topic, (list = []));
    list.push({ key: r.key, value: r.value, partition: r.partition, headers: r.headers, timestamp: r.timestamp });
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
