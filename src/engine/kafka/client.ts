/**
 * KafkaConnection: one kafkajs client for one set of connection settings, shared by every source and sink that uses
 * them. Producers are shared too (one per idempotence setting), connected when first needed; `release()` by the last
 * user disconnects them. Consumers belong to one source each (a consumer is a group member of its own).
 *
 * kafkajs is loaded on first use, so the engine costs nothing to load for users without Kafka.
 */
import type { Kafka, LogEntry, Producer, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { ConsumerLike } from './consumer';
import { invalidConfig } from '../errors';
import type { ProducerLike } from './producer';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface KafkaConnectionOptions {
  /** `host:port` strings. */
  brokers: string[];
  clientId: string;
  /** TLS: false, true (system CAs), or node:tls options (a CA, client certificate, …). */
  ssl: boolean | ConnectionOptions;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  /** Where kafkajs' own log lines go. */
  log?: (level: LogLevel, message: string) => void;
}

export interface ConsumerOptions {
  groupId: string;
  /** The broker long-poll wait and the pause between fetches while every partition is paused. */
  maxWaitTimeMs?: number;
}

/** kafkajs retries: long enough to ride out a broker restart; consumers that crash anyway are restarted. */
const RETRY = { initialRetryTime: 300, maxRetryTime: 10000, retries: 10, restartOnFailure: async () => true };
/**
 * The clusters of producers and consumers (connecting, metadata): a few quick attempts, so that a node soon says why
 * the brokers cannot be reached (kafka out's sink and kafka in's source connect again with their own backoff); their
 * requests keep RETRY.
 */
const CLUSTER_RETRY = { initialRetryTime: 300, maxRetryTime: 1000, retries: 2 };
/** How long the last user's `release` waits for the producers to disconnect (a closing node counts on it). */
export const RELEASE_WAIT_MS = 2000;
const LOG_LEVELS: Record<number, LogLevel> = { 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' };

/** Parses a broker list: `host:port` entries separated by commas or white space. */
export function parseBrokers(text: string): string[] {
  const list = String(text ?? '').split(/[\s,]+/).filter(Boolean);
  if (list.length === 0) throw invalidConfig('no broker address: give one or more host:port');
  for (const b of list) {
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw invalidConfig(`"${b}" is not a host:port broker address`);
  }
  return list;
}

let snappyRegistered = false;

export class KafkaConnection {
  private readonly kafka: Kafka;
  private readonly producers = new Map<boolean, { producer: Producer; connected: Promise<Producer>; ready: boolean }>();
  private users = 0;

  constructor(readonly options: KafkaConnectionOptions) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const kafkajs = require('kafkajs') as typeof import('kafkajs');
    if (!snappyRegistered) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy] = require('kafkajs-snappy');
      snappyRegistered = true;
    }
    const log = options.log;
    this.kafka = new kafkajs.Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ssl: options.ssl,
      sasl: options.sasl as SASLOptions | undefined,
      connectionTimeout: options.connectionTimeoutMs,
      authenticationTimeout: options.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      logLevel: kafkajs.logLevel.INFO,
      logCreator: () => ({ namespace, level, log: entry }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...extra } = entry as { message: string } & Record<string, unknown>;
        log?.(LOG_LEVELS[level] ?? 'debug', `kafkajs ${namespace}: ${message} ${JSON.stringify(extra)}`);
      },
      retry: CLUSTER_RETRY,
    });
  }

  /** A user (a node) starts using the connection. */
  acquire(): void {
    this.users++;
  }

  /**
   * A user stops; the last one disconnects the shared producers, waiting at most `waitMs` (a producer whose
   * requests hang on a broker that stopped answering finishes disconnecting in the background). A producer still
   * connecting is disconnected again if its connection succeeds later.
   */
  async release(waitMs = RELEASE_WAIT_MS): Promise<void> {
    if (--this.users > 0) return;
    const producers = [...this.producers.values()];
    this.producers.clear();
    const disconnect = (p: Producer) => p.disconnect().catch(() => undefined);
    for (const p of producers) if (!p.ready) p.connected.then(disconnect, () => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(producers.map((p) => disconnect(p.producer))),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); }),
    ]);
    clearTimeout(timer);
  }

  /** A new consumer (a group member) for one source. */
  consumer(o: ConsumerOptions): ConsumerLike {
    return this.kafka.consumer({
      groupId: o.groupId,
      retry: RETRY,
      maxWaitTimeInMs: o.maxWaitTimeMs ?? 500,
    }) as unknown as ConsumerLike;
  }

  /** The shared producer, connected; a failed connection is tried again by the next call. */
  producer(idempotent = false): Promise<ProducerLike> {
    let p = this.producers.get(idempotent);
    if (!p) {
      const producer = this.kafka.producer({ idempotent, retry: { ...RETRY, retries: idempotent ? Number.MAX_SAFE_INTEGER : RETRY.retries } });
      const entry = { producer, connected: producer.connect().then(() => { entry.ready = true; return producer; }), ready: false };
      this.producers.set(idempotent, entry);
      entry.connected.catch(() => { if (this.producers.get(idempotent) === entry) this.producers.delete(idempotent); });
      p = entry;
    }
    return p.connected as Promise<ProducerLike>;
  }
}
