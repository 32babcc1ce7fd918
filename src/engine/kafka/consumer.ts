/**
 * KafkaSource: a consumer-group member that hands records to a flow and commits only completed work.
 *
 * - Records go out in offset order, one by one or as one batch per fetched partition batch, each emission with a
 *   RecordHandle; the flow's completion of an emission is reported back with `complete(handle)`.
 * - Commits (kafkajs auto-commit off) carry, per partition, the offset after the highest contiguous completed record
 *   (OffsetTracker): never ahead of the flow. They run every `commitIntervalMs`, and on close.
 * - Backpressure: at `maxInFlight` records in flight the source pauses its partitions and waits inside the batch
 *   (heartbeating, and handing the batch back when the group rebalances) until the flow is down to `resumeAt`; the
 *   rest of the batch is emitted then, or fetched again after a rebalance.
 * - A record that cannot be decoded is reported with its raw bytes (`poison`) and, with a dead-letter sink, copied
 *   there; it counts as completed when both are done, so it never blocks its partition.
 * - Failures: kafkajs restarts the consumer on retriable errors; anything else (and a failed start) starts a new
 *   consumer after a growing backoff, until closed. Every state change is reported for the status; brokers that
 *   cannot be reached are one `unreachable` state until a consumer joins the group again (`lastError` says why).
 */
import { Backpressure } from './backpressure';
import { decodeBytes, decodeHeaders, type Headers, type ValueFormat } from './codec';
import { KafkaError, KafkaRecordError, toKafkaError, type RawRecord } from './errors';
import { OffsetTracker, type PartitionLog, type RecordHandle, type TopicPartition, type TopicPartitionOffset } from './offset-tracker';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: unknown;
  value: unknown;
  headers: Headers;
  /** Record timestamp, ms since the epoch. */
  timestamp: number;
}

/** What KafkaSource needs of a kafkajs message batch. */
export interface FetchedBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: { offset: string; key: Buffer | null; value: Buffer | null; timestamp: string; headers?: Record<string, unknown> }[];
}

export interface BatchPayload {
  batch: FetchedBatch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** The part of a kafkajs Consumer KafkaSource uses (fakes implement it in the unit tests). */
export interface ConsumerLike {
  connect(): Promise<void>;
  subscribe(s: { topics: (string | RegExp)[]; fromBeginning: boolean }): Promise<void>;
  run(c: { autoCommit: false; eachBatchAutoResolve: false; eachBatch(p: BatchPayload): Promise<void> }): Promise<void>;
  pause(tps: { topic: string }[]): void;
  resume(tps: { topic: string }[]): void;
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  disconnect(): Promise<void>;
  on(event: string, listener: (e: { payload: Record<string, unknown> }) => void): unknown;
  events: { GROUP_JOIN: string; CRASH: string; REBALANCING: string };
}

/** A place dead letters go (a KafkaSink). */
export interface DeadLetterSink {
  send(record: { topic: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | string | (Buffer | string)[]> },
    done: (err?: KafkaError) => void): void;
}

export interface KafkaSourceOptions {
  topics: string[] | RegExp;
  /** Where a group without a committed offset starts: the earliest record (true) or new records only. */
  fromBeginning: boolean;
  keyFormat: ValueFormat;
  valueFormat: ValueFormat;
  /** `record`: one emission per record; `batch`: one per fetched batch (up to the room left). */
  output: 'record' | 'batch';
  maxInFlight: number;
  resumeAt: number;
  commitIntervalMs: number;
  deadLetter?: { sink: DeadLetterSink; topic: string };
}

export type SourceState = 'connecting' | 'connected' | 'rebalancing' | 'paused' | 'reconnecting' | 'unreachable' | 'error' | 'closed';

export interface SourceHandlers {
  /** One record (output `record`) or the records of one batch (output `batch`). */
  emit(records: ConsumedRecord | ConsumedRecord[], handle: RecordHandle): void;
  /** A record that could not be decoded; call `done` once the flow has finished with the report. */
  poison(err: KafkaRecordError, done: () => void): void;
  state(state: SourceState, err?: KafkaError): void;
  /** A failure the source recovers from by itself (a commit refused during a rebalance, a dead letter lost). */
  warn(err: KafkaError): void;
}

const HEARTBEAT_WHILE_PAUSED_MS = 1000;
const RESTART_BACKOFF_MS = [1000, 2000, 5000, 10000, 30000];

export class KafkaSource {
  readonly tracker = new OffsetTracker();
  readonly backpressure: Backpressure;
  state: SourceState = 'connecting';
  lastError: KafkaError | undefined;
  /** Records emitted, records reported as undecodable, commits made. */
  readonly stats = { records: 0, poison: 0, commits: 0, restarts: 0 };
  private consumer: ConsumerLike | null = null;
  private topics: string[] = [];
  private readonly highWatermarks = new Map<PartitionLog, string>();
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private committing: Promise<void> | null = null;
  private closing = false;
  private failures = 0;
  private drained: (() => void) | null = null;

  constructor(private readonly createConsumer: () => ConsumerLike, readonly options: KafkaSourceOptions,
    private readonly on: SourceHandlers) {
    this.backpressure = new Backpressure(options.maxInFlight, options.resumeAt);
  }

  /** Connects, joins the group and starts consuming; failures are retried in the background until `close`. */
  start(): void {
    void this.connect();
    this.commitTimer = setInterval(() => void this.commit(), this.options.commitIntervalMs);
    this.commitTimer.unref?.();
  }

  /** The flow has finished with the records of `h`. */
  complete(h: RecordHandle): void {
    this.tracker.complete(h);
    if (this.backpressure.update(this.tracker.inFlight)) {
      this.pauseFetching(false);
      if (this.state === 'paused') this.setState('connected');
    }
    if (this.drained && this.tracker.inFlight === 0) this.drained();
  }

  /** Records in the partitions still to be completed: high watermark − last emitted − 1 + in flight. */
  lag(): number {
    let lag = 0;
    for (const log of this.tracker.partitions()) {
      const hw = this.highWatermarks.get(log);
      if (hw === undefined) continue;
      const next = log.lastEmitted === undefined ? 0 : Number(log.lastEmitted) + 1;
      lag += Math.max(0, Number(hw) - next) + log.pending;
    }
    return lag;
  }

  /**
   * Stops fetching, waits up to `timeoutMs` for the records in flight to complete, commits what completed, leaves
   * the group and disconnects. Resolves the number of records still in flight (not committed).
   */
  async close(timeoutMs: number): Promise<number> {
    this.closing = true;
    clearInterval(this.commitTimer);
    clearTimeout(this.restartTimer);
    this.backpressure.release();
    this.pauseFetching(true);
    if (this.tracker.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, timeoutMs));
        this.drained = () => { clearTimeout(timer); resolve(); };
      });
      this.drained = null;
    }
    await this.commit();
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.disconnect().catch(() => undefined);
    this.setState('closed');
    return this.tracker.inFlight;
  }

  /** Commits the completed positions (one commit at a time; a refused commit is retried at the next one). */
  commit(): Promise<void> {
    if (this.committing) return this.committing;
    const consumer = this.consumer;
    const positions = this.tracker.committable();
    if (!consumer || positions.length === 0 || (this.state !== 'connected' && this.state !== 'paused')) return Promise.resolve();
    this.committing = consumer.commitOffsets(positions).then(
      () => { this.tracker.committed(positions); this.stats.commits++; },
      (err) => this.on.warn(toKafkaError(err)),
    ).finally(() => { this.committing = null; });
    return this.committing;
  }

  private setState(s: SourceState, err?: KafkaError): void {
    if (err) this.lastError = err;
    // Each failure is reported, except the brokers being unreachable again: once per spell (the latest reason is kept).
    if (s === this.state && (!err || s === 'unreachable')) return;
    this.state = s;
    this.on.state(s, err);
  }

  private async connect(): Promise<void> {
    if (this.state !== 'unreachable') this.setState(this.stats.restarts > 0 ? 'reconnecting' : 'connecting');
    const consumer = this.createConsumer();
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.joined(e.payload.memberAssignment as Record<string, number[]>));
    consumer.on(consumer.events.REBALANCING, () => {
      if (consumer !== this.consumer) return;
      void this.commit();
      this.setState('rebalancing');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (consumer !== this.consumer || this.closing) return;
      const err = toKafkaError(e.payload.error);
      if (e.payload.restart) this.setState(err.reason === 'connection' ? 'unreachable' : 'reconnecting', err);
      else this.restart(consumer, err);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: Array.isArray(this.options.topics) ? this.options.topics : [this.options.topics],
        fromBeginning: this.options.fromBeginning });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => this.eachBatch(p) });
    } catch (err) {
      if (consumer === this.consumer && !this.closing) this.restart(consumer, toKafkaError(err));
    }
  }

  /** A new consumer after a backoff (the old one could not start, or crashed for good). */
  private restart(consumer: ConsumerLike, err: KafkaError): void {
    this.setState(err.reason === 'connection' ? 'unreachable' : err.retriable ? 'reconnecting' : 'error', err);
    this.consumer = null;
    void consumer.disconnect().catch(() => undefined);
    const delay = RESTART_BACKOFF_MS[Math.min(this.failures++, RESTART_BACKOFF_MS.length - 1)];
    this.restartTimer = setTimeout(() => {
      if (this.closing) return;
      this.stats.restarts++;
      void this.connect();
    }, delay);
  }

  private joined(assignment: Record<string, number[]>): void {
    const assigned: TopicPartition[] = [];
    for (const [topic, partitions] of Object.entries(assignment ?? {})) for (const partition of partitions) assigned.push({ topic, partition });
    this.tracker.assign(assigned);
    for (const log of [...this.highWatermarks.keys()]) if (log.detached) this.highWatermarks.delete(log);
    this.topics = Object.keys(assignment ?? {});
    this.failures = 0;
    // A consumer kafkajs restarted forgot that it was paused.
    if (this.backpressure.paused || this.closing) this.pauseFetching(true);
    this.setState(this.backpressure.paused ? 'paused' : 'connected');
  }

  private pauseFetching(pause: boolean): void {
    const c = this.consumer;
    if (!c || this.topics.length === 0) return;
    const tps = this.topics.map((topic) => ({ topic }));
    try {
      if (pause) c.pause(tps);
      else if (!this.closing) c.resume(tps);
    } catch { /* not running yet: the next join applies the state */ }
  }

  private async eachBatch(p: BatchPayload): Promise<void> {
    const { batch } = p;
    const log = this.tracker.log(batch.topic, batch.partition);
    this.highWatermarks.set(log, batch.highWatermark);
    const messages = batch.messages;
    const perRecord = this.options.output === 'record';
    let resolved: string | undefined;
    let i = 0;
    while (i < messages.length && !this.closing && p.isRunning() && !p.isStale()) {
      const room = this.backpressure.room(this.tracker.inFlight);
      if (room === 0) {
        if (!(await this.waitForRoom(p))) break;
        continue;
      }
      if (perRecord) {
        const m = messages[i++];
        if (!log.seen(m.offset)) {
          let rec: ConsumedRecord | undefined;
          try { rec = this.decode(batch, m); } catch (err) { this.poison(log, batch, m, err); }
          if (rec) this.on.emit(rec, this.tracker.emitOne(log, m.offset));
        }
        resolved = m.offset;
        continue;
      }
      let records: ConsumedRecord[] = [];
      let offsets: string[] = [];
      while (i < messages.length && records.length < room) {
        const m = messages[i++];
        resolved = m.offset;
        if (log.seen(m.offset)) continue;
        try {
          records.push(this.decode(batch, m));
          offsets.push(m.offset);
        } catch (err) {
          // Emissions cover contiguous stretches of the log: what came before the bad record goes first.
          if (records.length) this.on.emit(records, this.tracker.emit(log, offsets));
          records = [];
          offsets = [];
          this.poison(log, batch, m, err);
        }
      }
      if (records.length) this.on.emit(records, this.tracker.emit(log, offsets));
    }
    if (resolved !== undefined) p.resolveOffset(resolved);
  }

  /** Paused: waits for the low mark, heartbeating; false when the batch has to be handed back (stop, rebalance). */
  private async waitForRoom(p: BatchPayload): Promise<boolean> {
    this.pauseFetching(true);
    this.setState('paused');
    const room = this.backpressure.wait();
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const beat = new Promise<'beat'>((resolve) => { timer = setTimeout(() => resolve('beat'), HEARTBEAT_WHILE_PAUSED_MS); });
      const r = await Promise.race([room.then(() => 'room' as const), beat]);
      clearTimeout(timer);
      if (this.closing || !p.isRunning()) return false;
      if (r === 'room') return true;
      try {
        await p.heartbeat();
      } catch {
        return false;
      }
    }
  }

  /** The record as the flow gets it; throws when its key or value cannot be decoded as configured. */
  private decode(batch: FetchedBatch, m: FetchedBatch['messages'][number]): ConsumedRecord {
    const rec: ConsumedRecord = {
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: decodeBytes(m.key, this.options.keyFormat),
      value: decodeBytes(m.value, this.options.valueFormat),
      headers: decodeHeaders(m.headers as Parameters<typeof decodeHeaders>[0]),
      timestamp: Number(m.timestamp),
    };
    this.stats.records++;
    return rec;
  }

  private poison(log: PartitionLog, batch: FetchedBatch, m: FetchedBatch['messages'][number], cause: unknown): void {
    this.stats.poison++;
    const raw: RawRecord = { topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key, value: m.value,
      headers: m.headers ?? {}, timestamp: m.timestamp };
    const err = new KafkaRecordError(`record ${batch.topic}/${batch.partition}@${m.offset} cannot be decoded: ${(cause as Error)?.message ?? cause}`,
      raw, cause);
    const handle = this.tracker.emitOne(log, m.offset);
    const dl = this.options.deadLetter;
    let waiting = dl ? 2 : 1;
    const done = () => { if (--waiting === 0) this.complete(handle); };
    if (dl) {
      dl.sink.send({ topic: dl.topic, key: m.key, value: m.value, headers: deadLetterHeaders(raw, err) }, (e) => {
        if (e) this.on.warn(e);
        done();
      });
    }
    this.on.poison(err, done);
  }
}

function deadLetterHeaders(raw: RawRecord, err: KafkaRecordError): Record<string, Buffer | string | (Buffer | string)[]> {
  const h: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [k, v] of Object.entries(raw.headers)) {
    if (Buffer.isBuffer(v) || typeof v === 'string') h[k] = v;
    else if (Array.isArray(v)) h[k] = v as (Buffer | string)[];
  }
  h['streamkit-error'] = err.message;
  h['streamkit-topic'] = raw.topic;
  h['streamkit-partition'] = String(raw.partition);
  h['streamkit-offset'] = raw.offset;
  return h;
}
