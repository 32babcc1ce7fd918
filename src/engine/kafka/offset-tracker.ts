/**
 * Which consumed offsets may be committed: per topic-partition, the records handed to the flow in offset order and
 * which of them completed. The committable position is the offset after the highest *contiguous* completed one, so
 * a record that is still in the flow holds back every later offset of its partition, however many completed.
 *
 * Offsets stay the decimal strings Kafka clients use (int64 does not fit a JS number exactly); only a commit adds 1.
 */

export interface TopicPartition { topic: string; partition: number }
export interface TopicPartitionOffset extends TopicPartition { offset: string }

/** The records of one emission (a single record, or one message carrying a batch), completed together. */
export interface RecordHandle {
  readonly log: PartitionLog;
  readonly seq: number;
  readonly count: number;
}

/** Compares two non-negative decimal offsets. */
export function compareOffsets(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

/** The emitted records of one topic-partition in one assignment. */
export class PartitionLog {
  /** Emitted offsets from `base` on; `done[i]` says whether offsets[i] completed. */
  private offsets: string[] = [];
  private done: boolean[] = [];
  private head = 0;
  private base = 0;
  /** The highest offset emitted, and the highest contiguous completed one. */
  lastEmitted: string | undefined;
  lastCompleted: string | undefined;
  lastCommitted: string | undefined;
  detached = false;

  constructor(readonly topic: string, readonly partition: number) {}

  /** Whether this offset was already emitted (a fetch after a rebalance starts again from the committed offset). */
  seen(offset: string): boolean {
    return this.lastEmitted !== undefined && compareOffsets(offset, this.lastEmitted) <= 0;
  }

  push(offset: string): number {
    this.offsets.push(offset);
    this.done.push(false);
    this.lastEmitted = offset;
    return this.base + this.offsets.length - 1;
  }

  complete(seq: number, count: number): void {
    for (let i = seq - this.base, end = i + count; i < end; i++) if (i >= 0) this.done[i] = true;
    let h = this.head;
    while (h < this.done.length && this.done[h]) h++;
    if (h === this.head) return;
    this.lastCompleted = this.offsets[h - 1];
    this.head = h;
    // Drop the released prefix once it is large, so a long run costs no growing memory.
    if (h >= 1024 && h * 2 >= this.offsets.length) {
      this.offsets = this.offsets.slice(h);
      this.done = this.done.slice(h);
      this.base += h;
      this.head = 0;
    }
  }

  /** The offset to commit (the next one to consume), when it moved past the last commit. */
  committable(): string | undefined {
    if (this.lastCompleted === undefined) return undefined;
    const next = nextOffset(this.lastCompleted);
    return this.lastCommitted === next ? undefined : next;
  }

  /** Records emitted and not completed yet. */
  get pending(): number {
    return this.offsets.length - this.head;
  }
}

export class OffsetTracker {
  private readonly logs = new Map<string, PartitionLog>();
  /** Emitted records not completed yet, across partitions (including those of partitions since revoked). */
  inFlight = 0;

  log(topic: string, partition: number): PartitionLog {
    const key = `${partition}:${topic}`;
    let log = this.logs.get(key);
    if (!log) {
      log = new PartitionLog(topic, partition);
      this.logs.set(key, log);
    }
    return log;
  }

  /** Records `offsets` (in order, from one partition) as emitted together. */
  emit(log: PartitionLog, offsets: readonly string[]): RecordHandle {
    let seq = -1;
    for (let i = 0; i < offsets.length; i++) {
      const s = log.push(offsets[i]);
      if (i === 0) seq = s;
    }
    this.inFlight += offsets.length;
    return { log, seq, count: offsets.length };
  }

  emitOne(log: PartitionLog, offset: string): RecordHandle {
    this.inFlight++;
    return { log, seq: log.push(offset), count: 1 };
  }

  /** The records of `h` completed. Records of a partition no longer assigned only leave the in-flight count. */
  complete(h: RecordHandle): void {
    this.inFlight -= h.count;
    if (!h.log.detached) h.log.complete(h.seq, h.count);
  }

  /**
   * A new assignment: partitions kept keep their logs (records still in the flow can still be committed, and those
   * fetched again are recognised), partitions lost are forgotten — the new owner reads them from the last commit.
   */
  assign(assigned: readonly TopicPartition[]): void {
    const keep = new Set(assigned.map((tp) => `${tp.partition}:${tp.topic}`));
    for (const [key, log] of this.logs) {
      if (!keep.has(key)) {
        log.detached = true;
        this.logs.delete(key);
      }
    }
  }

  /** The positions to commit now: every assigned partition whose completed prefix moved since its last commit. */
  committable(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const log of this.logs.values()) {
      const offset = log.committable();
      if (offset !== undefined) out.push({ topic: log.topic, partition: log.partition, offset });
    }
    return out;
  }

  /** Records that `positions` were committed. */
  committed(positions: readonly TopicPartitionOffset[]): void {
    for (const p of positions) {
      const log = this.logs.get(`${p.partition}:${p.topic}`);
      if (log && (log.lastCommitted === undefined || compareOffsets(p.offset, log.lastCommitted) > 0)) log.lastCommitted = p.offset;
    }
  }

  /** The assigned partitions and their logs. */
  partitions(): PartitionLog[] {
    return [...this.logs.values()];
  }
}
