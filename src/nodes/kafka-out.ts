/**
 * streamkit-kafka-out: sends each message as a Kafka record and calls `done` only once the broker acknowledged it;
 * failures go to Catch nodes with the message.
 */
import type { Node, NodeAPI } from 'node-red';
import {
  KafkaError, KafkaSink, RELEASE_WAIT_MS, compileGetter, encodeHeaders, encodeKey, encodeValue, partitionOf, type OutRecord,
} from '../engine';
import type { KafkaBrokerNode, KafkaOutConfig } from './shared/config';
import { describeError, refuseConfig, translator } from './shared/i18n';
import { onInput } from './shared/input';
import { NOT_COMPILED } from './shared/jsonata';
import { compileProperty, recordsOf, type Msg, type PropertyReader } from './shared/properties';
import { StatusReporter, unreachable } from './shared/status';

const ACKS = { all: -1, leader: 1, none: 0 } as const;
const COMPRESSION = { none: 0, gzip: 1, snappy: 2 } as const;
const OVERFLOW_WARNING_MS = 10000;

export = function (RED: NodeAPI) {
  function KafkaOutNode(this: Node, config: KafkaOutConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    const broker = RED.nodes.getNode(config.broker) as KafkaBrokerNode | null;
    let value: PropertyReader;
    let key: PropertyReader;
    let partition: (msg: Msg) => unknown;
    let sink: KafkaSink;
    try {
      if (!broker) throw new Error(t('errors.no-broker'));
      if (!broker.connection) throw new Error(broker.problem);
      value = compileProperty(RED, node, config.valueProp || 'payload', config.valuePropType);
      key = compileProperty(RED, node, config.keyProp || 'key', config.keyPropType);
      partition = partitionReader(config);
      if (!(config.acks in ACKS)) throw new Error(`unknown acks "${config.acks}"`);
      if (!(config.compression in COMPRESSION)) throw new Error(`unknown compression "${config.compression}"`);
      if (config.idempotent && config.acks !== 'all') throw new Error('an idempotent producer needs acks from all replicas');
      const connection = broker.connection;
      sink = new KafkaSink(() => connection.producer(config.idempotent === true), {
        acks: ACKS[config.acks], compression: COMPRESSION[config.compression],
        lingerMs: whole(config.linger, 0, 'linger'), batchSize: whole(config.batchSize, 1, 'batch size'),
        maxBuffered: whole(config.maxBuffered, 1, 'buffer size'),
      }, (state, err) => {
        // Once per spell of unreachable brokers; a refused login or TLS failure is an error of the configuration.
        if (state === 'retrying' && err) (err.retriable ? node.warn : node.error).call(node, describeError(t, err));
        status.refresh();
      });
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    const connection = broker.connection!;
    connection.acquire();
    // Not connected (yet): a ring, yellow while connecting or the brokers cannot be reached, red when they refuse.
    const status = new StatusReporter(node, t, () => {
      const parts = [];
      if (sink.buffered > 0) parts.push(t('status.buffered', { count: sink.buffered }));
      if (sink.state === 'connecting') parts.push(t('status.connecting'));
      else if (sink.state === 'retrying') parts.push(unreachable(t, sink.lastError?.message));
      return parts;
    }, () => ({ buffered: sink.buffered, inFlight: sink.buffered }),
    () => (sink.state === 'ready' ? 'ok' : sink.state === 'retrying' && sink.lastError?.retriable === false ? 'error' : 'warn'));
    status.refresh();
    sink.connect();

    let lastOverflowWarning = 0;
    /** The record for one message, or one element of a batch; throws a KafkaError when it cannot be one. */
    const toRecord = (m: Msg, v: unknown, k: unknown): OutRecord => {
      const topic = config.topic || m.topic;
      if (typeof topic !== 'string' || topic === '') throw new KafkaError('bad-message', t('errors.no-topic'));
      const ts = m.timestamp instanceof Date ? m.timestamp.getTime() : m.timestamp;
      return {
        topic, value: encodeValue(v), key: encodeKey(k), partition: partitionOf(partition(m)), headers: encodeHeaders(m.headers),
        timestamp: typeof ts === 'number' && Number.isFinite(ts) ? String(Math.trunc(ts)) : undefined,
      };
    };
    const read = (m: Msg): OutRecord | Promise<OutRecord> => {
      const v = value.get ? value.get(m) : NOT_COMPILED;
      const k = key.get ? key.get(m) : NOT_COMPILED;
      if (v !== NOT_COMPILED && k !== NOT_COMPILED) return toRecord(m, v, k);
      return Promise.all([value.read(m), key.read(m)]).then(([rv, rk]) => toRecord(m, rv, rk));
    };
    const acknowledged = (err?: KafkaError) => {
      if (!err) return status.sent();
      if (err.reason === 'buffer-full' && Date.now() - lastOverflowWarning > OVERFLOW_WARNING_MS) {
        lastOverflowWarning = Date.now();
        node.warn(t('warnings.buffer-full', { count: sink.stats.overflow, max: sink.options.maxBuffered }));
      }
    };

    // The handler returns as soon as the records are queued: acknowledgements complete the message later (all of
    // a batch's records; the first failure is the message's error).
    onInput(node, (msg, _send, done) => {
      const items = config.batch && Array.isArray(msg.payload) ? recordsOf(msg)! : [msg];
      status.rate.mark(items.length);
      let pending = items.length;
      let failure: unknown;
      const settle = (err?: unknown) => {
        if (err !== undefined && failure === undefined) failure = err;
        if (--pending === 0) done(failure === undefined ? undefined : status.failure(failure));
      };
      if (pending === 0) return done();
      const from = (i: number): void | Promise<void> => {
        for (; i < items.length; i++) {
          let r: OutRecord | Promise<OutRecord>;
          try {
            r = read(items[i]);
          } catch (err) {
            settle(err);
            continue;
          }
          if (r instanceof Promise) {
            const next = i + 1;
            return r.then((rec) => sink.send(rec, (e) => { acknowledged(e); settle(e); }), settle).then(() => from(next));
          }
          sink.send(r, (e) => { acknowledged(e); settle(e); });
        }
      };
      return from(0);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      status.close();
      // Acknowledgements get most of Node-RED's close timeout while they come; disconnecting at most RELEASE_WAIT_MS.
      const timeout = Math.max(500, Number((RED.settings as { nodeCloseTimeout?: number }).nodeCloseTimeout ?? 15000) - 3000 - RELEASE_WAIT_MS);
      void sink.close(timeout).then(async (left) => {
        // Not failed: done() is never called for them, so a source upstream that commits only completed work (kafka
        // in) delivers them again; failing them would complete them and let it commit records never written.
        if (left > 0) node.warn(t('warnings.closed-undelivered', { count: left }));
        await connection.release();
      }).finally(() => done());
    });
  }
  RED.nodes.registerType('streamkit-kafka-out', KafkaOutNode as never);
};

function partitionReader(c: KafkaOutConfig): (msg: Msg) => unknown {
  if (c.partitionType === 'num') {
    const p = partitionOf(c.partition);
    return () => p;
  }
  if (c.partitionType === 'msg') return compileGetter(c.partition || 'partition') as (msg: Msg) => unknown;
  return () => undefined;
}

function whole(v: unknown, min: number, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}
