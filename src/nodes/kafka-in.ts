/**
 * streamkit-kafka-in: a consumer-group member that sends one message per record (or per fetched batch) and commits
 * a record's offset only once every message descending from it has completed in the flow.
 */
import type { Node, NodeAPI } from 'node-red';
import {
  Backpressure, KafkaSink, KafkaSource, VALUE_FORMATS, type ConsumedRecord, type KafkaError, type KafkaSourceOptions, type RawRecord,
  type RecordHandle, type SourceState,
} from '../engine';
import { acquireCompletion, releaseCompletion } from './shared/completion';
import type { KafkaBrokerNode, KafkaInConfig } from './shared/config';
import { describeError, refuseConfig, translator } from './shared/i18n';
import type { Msg } from './shared/properties';
import { StatusReporter, unreachable, type Tone } from './shared/status';

const TONE: Record<SourceState, Tone> = {
  connecting: 'warn', connected: 'ok', rebalancing: 'warn', paused: 'warn', reconnecting: 'warn', unreachable: 'warn', error: 'error',
  closed: 'ok',
};

export = function (RED: NodeAPI) {
  function KafkaInNode(this: Node, config: KafkaInConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    const broker = RED.nodes.getNode(config.broker) as KafkaBrokerNode | null;
    let options: KafkaSourceOptions;
    try {
      if (!broker) throw new Error(t('errors.no-broker'));
      if (!broker.connection) throw new Error(broker.problem);
      options = sourceOptions(config);
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    const connection = broker.connection;
    connection.acquire();
    const completion = acquireCompletion(RED);
    const deadLetters = config.deadLetter
      ? new KafkaSink(() => connection.producer(), { acks: -1, compression: 0, lingerMs: 0, batchSize: 500, maxBuffered: 10000 }) : undefined;
    if (deadLetters) options.deadLetter = { sink: deadLetters, topic: config.deadLetterTopic.trim() };

    // Every message gets an id of its own: its descendants keep it, and the completion tracker follows them.
    const idPrefix = `${RED.util.generateId()}.`;
    let seq = 0;
    const emit = (msg: Msg, onComplete: () => void, hand: (m: Msg) => void) => {
      const id = idPrefix + (seq++).toString(36);
      msg._msgid = id;
      completion.track(id, node, onComplete);
      hand(msg);
      completion.release(id);
    };
    const send = (m: Msg) => node.send(m);

    let source: KafkaSource;
    const status = new StatusReporter(node, t, () => {
      const parts = [source.state === 'unreachable' ? unreachable(t, source.lastError?.message) : t(`status.${source.state}`)];
      if (source.state !== 'error') parts.push(t('status.lag', { count: source.lag() }), t('status.inFlight', { count: source.tracker.inFlight }));
      else if (source.lastError) parts.push(source.lastError.reason);
      return parts;
    }, () => ({ inFlight: source.tracker.inFlight, lag: source.lag() }), () => TONE[source.state]);
    source = new KafkaSource(() => connection.consumer({ groupId: config.groupId }), options, {
      emit: (records: ConsumedRecord | ConsumedRecord[], handle: RecordHandle) => {
        status.rate.mark(Array.isArray(records) ? records.length : 1);
        status.sent();
        emit(Array.isArray(records) ? batchMessage(records) : recordMessage(records), () => source.complete(handle), send);
      },
      poison: (err, done) => {
        // Catch nodes get the raw record; the report counts as completed when they are done with it.
        const text = status.failure(err).message;
        emit(rawMessage(err.raw), done, (m) => node.error(text, m));
      },
      state: (state: SourceState, err?: KafkaError) => {
        if (err && (state === 'error' || state === 'reconnecting' || state === 'unreachable')) {
          const text = describeError(t, err);
          if (state === 'error') node.error(text);
          else node.warn(text);
        }
        status.refresh();
      },
      warn: (err: KafkaError) => node.warn(describeError(t, err)),
    });
    status.refresh();
    source.start();

    node.on('close', (_removed: boolean, done: () => void) => {
      status.close();
      // Records still in the flow get most of Node-RED's close timeout to complete; what did is committed.
      const timeout = Math.max(500, Number((RED.settings as { nodeCloseTimeout?: number }).nodeCloseTimeout ?? 15000) - 3000);
      void source.close(timeout).then(async (left) => {
        if (left > 0) node.warn(t('warnings.closed-in-flight', { count: left }));
        completion.forget(node);
        releaseCompletion(RED);
        if (deadLetters) await deadLetters.close(1000);
        await connection.release();
      }).catch((err: unknown) => node.error(describeError(t, err))).finally(() => done());
    });
  }
  RED.nodes.registerType('streamkit-kafka-in', KafkaInNode as never);
};

function sourceOptions(c: KafkaInConfig): KafkaSourceOptions {
  const topics = c.topicType === 'regex' ? new RegExp(c.topics) : String(c.topics ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(topics) && topics.length === 0) throw new Error('no topic: give one or more topic names');
  if (!c.groupId || !String(c.groupId).trim()) throw new Error('a consumer group id is required');
  for (const f of [c.keyFormat, c.valueFormat]) if (!VALUE_FORMATS.includes(f)) throw new Error(`unknown format "${f}"`);
  if (c.deadLetter && !String(c.deadLetterTopic ?? '').trim()) throw new Error('the dead-letter topic is empty');
  const maxInFlight = Number(c.maxInFlight ?? 1000);
  const resumeAt = Number(c.resumeAt ?? 500);
  Backpressure.check(maxInFlight, resumeAt);
  return {
    topics,
    fromBeginning: c.start !== 'latest',
    keyFormat: c.keyFormat,
    valueFormat: c.valueFormat,
    output: c.output === 'batch' ? 'batch' : 'record',
    maxInFlight,
    resumeAt,
    commitIntervalMs: 1000,
  };
}

/** DESIGN §2: topic, payload, key, partition, offset (string), timestamp (ms), headers. */
function recordMessage(r: ConsumedRecord): Msg {
  return { topic: r.topic, payload: r.value, key: r.key, partition: r.partition, offset: r.offset, timestamp: r.timestamp,
    headers: r.headers } as Msg;
}

/** One fetched batch (one partition): msg.payload holds the records, each message-shaped. */
function batchMessage(records: ConsumedRecord[]): Msg {
  return { topic: records[0].topic, partition: records[0].partition, payload: records.map(recordMessage) } as Msg;
}

/** An undecodable record as Catch nodes get it: key and value as the raw Buffers. */
function rawMessage(r: RawRecord): Msg {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String) : String(v);
  return { topic: r.topic, payload: r.value, key: r.key, partition: r.partition, offset: r.offset, timestamp: Number(r.timestamp),
    headers } as Msg;
}
