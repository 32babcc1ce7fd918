/**
 * Keyed running aggregates without windows: per key, the same accumulators as the window operator, emitted on
 * every update or every interval (optionally resetting after each emit), with an idle-key TTL.
 */
import { Acc, AggregateSet } from './accumulator';
import { EngineError, invalidConfig } from '../errors';
import { fromJsonSafe, toJsonSafe } from '../state/json-safe';
import type { AggregateName, AggregateValues } from '../types';
import { compareKeys } from '../util/math';

export interface KeyedAggregatorOptions {
  aggregates?: AggregateName[];
  emit?: 'update' | 'interval';
  resetAfterEmit?: boolean;
  /** Keys idle this long (by `now`) are forgotten by `expire()`; 0 = never. */
  ttlMs?: number;
  now?: () => number;
}

export interface KeyedResult { key: string; aggregates: AggregateValues }

interface KeyEntry { acc: Acc; lastSeen: number; dirty: boolean }

export class KeyedAggregator {
  readonly agg: AggregateSet;
  readonly stats = { in: 0, out: 0, errors: 0, expired: 0 };
  private readonly keys = new Map<string, KeyEntry>();
  private readonly onUpdate: boolean;
  private readonly now: () => number;
  private readonly ttlMs: number;
  private seq = 0;

  constructor(private readonly options: KeyedAggregatorOptions, private readonly out: (r: KeyedResult) => void) {
    this.agg = new AggregateSet(options.aggregates);
    if (options.emit !== undefined && options.emit !== 'update' && options.emit !== 'interval') {
      throw invalidConfig(`unknown emit mode "${String(options.emit)}"`);
    }
    const ttl = options.ttlMs ?? 0;
    if (typeof ttl !== 'number' || !(ttl >= 0)) throw invalidConfig(`ttl must be ≥ 0 ms, got ${String(ttl)}`);
    this.ttlMs = ttl;
    this.onUpdate = options.emit !== 'interval';
    this.now = options.now ?? Date.now;
  }

  get size(): number { return this.keys.size; }

  /** Adds a value; throws an EngineError (changing nothing) for a missing key or a value the aggregates cannot take. */
  add(key: string, value: unknown): void {
    this.stats.in++;
    try {
      if (key === null || key === undefined) throw new EngineError('missing-key', 'the record has no key');
      this.agg.check(value);
    } catch (e) {
      this.stats.errors++;
      throw e;
    }
    const k = String(key);
    let e = this.keys.get(k);
    // The clock is only needed for the TTL; first/last follow arrival order either way (ties by seq).
    const t = this.ttlMs > 0 ? this.now() : 0;
    if (!e) { e = { acc: this.agg.create(), lastSeen: t, dirty: false }; this.keys.set(k, e); }
    this.agg.add(e.acc, value, t, this.seq++);
    e.lastSeen = t;
    if (this.onUpdate) this.emit(k, e);
    else e.dirty = true;
  }

  /** Interval mode: emits every key changed since the last flush, in key order. */
  flush(): void {
    const dirty = [...this.keys].filter(([, e]) => e.dirty).sort((a, b) => compareKeys(a[0], b[0]));
    for (const [k, e] of dirty) {
      e.dirty = false;
      this.emit(k, e);
      if (this.options.resetAfterEmit) e.acc = this.agg.create();
    }
  }

  reset(key?: string): void {
    if (key === undefined) this.keys.clear();
    else this.keys.delete(String(key));
  }

  /** Forgets keys idle for at least the TTL. Returns how many were forgotten. */
  expire(): number {
    const ttl = this.ttlMs;
    if (ttl <= 0) return 0;
    const t = this.now();
    let n = 0;
    for (const [k, e] of this.keys) if (t - e.lastSeen >= ttl) { this.keys.delete(k); n++; }
    this.stats.expired += n;
    return n;
  }

  snapshot(): unknown {
    return toJsonSafe({ seq: this.seq, keys: [...this.keys].map(([k, e]) => [k, this.agg.toJSON(e.acc), e.lastSeen, e.dirty]) });
  }

  restore(snapshot: unknown): void {
    const s = fromJsonSafe<{ seq: number; keys: [string, unknown[], number, boolean][] }>(snapshot);
    this.seq = s.seq;
    this.keys.clear();
    for (const [k, acc, lastSeen, dirty] of s.keys) this.keys.set(k, { acc: this.agg.fromJSON(acc), lastSeen, dirty });
  }

  private emit(key: string, e: KeyEntry): void {
    this.stats.out++;
    this.out({ key, aggregates: this.agg.result(e.acc) });
  }
}
