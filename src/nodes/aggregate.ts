/** streamkit-aggregate: keyed running aggregates without windows. */
import type { Node, NodeAPI } from 'node-red';
import { KeyedAggregator, registry, toMillis } from '../engine';
import type { AggregateNodeConfig } from './shared/config';
import { refuseConfig, translator } from './shared/i18n';
import { compileKey, compileProperty, recordKey, type Msg } from './shared/properties';
import { forEachRecord, recordReaders, type RecordReaders } from './shared/records';
import { StatusReporter } from './shared/status';
import { onInput, sendEach, type Done, type Send } from './shared/input';
import { isEos } from './shared/messages';
import { NOT_COMPILED } from './shared/jsonata';

export = function (RED: NodeAPI) {
  function AggregateNode(this: Node, config: AggregateNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    const missingKey = t('errors.missing-key');
    let out: Msg[] = [];
    const collect = (r: { key: string; aggregates: unknown }) => {
      out.push({ payload: r.aggregates, key: r.key, topic: r.key, timestamp: Date.now() } as Msg);
    };
    let agg: KeyedAggregator;
    let readers: RecordReaders;
    let intervalMs = 0;
    try {
      const ttlMs = config.ttl ? toMillis(config.ttl, config.ttlUnits) : 0;
      if (config.emit === 'interval') {
        intervalMs = toMillis(config.interval, config.intervalUnits);
        if (!(intervalMs > 0)) throw new Error(`interval must be a positive duration, got ${String(config.interval)}`);
      }
      agg = new KeyedAggregator({ aggregates: config.aggregates, emit: config.emit, resetAfterEmit: config.resetAfterEmit, ttlMs }, collect);
      readers = recordReaders(
        compileProperty(RED, node, config.valueProp || 'payload', config.valuePropType),
        compileKey(RED, node, config.keyProp, config.keyPropType));
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    const handoverKey = JSON.stringify([config.aggregates, config.valueProp, config.valuePropType, config.keyProp, config.keyPropType]);
    const parked = registry.take(node.id, handoverKey);
    if (parked !== undefined) agg.restore(parked);

    const status = new StatusReporter(node, t, () => [t('status.keys', { count: agg.size })], () => ({ buffered: agg.size }));
    status.refresh();
    const flushOut = (send: Send) => {
      if (out.length === 0) return;
      const msgs = out;
      out = [];
      status.sent(msgs.length);
      sendEach(send, msgs);
    };
    const timers: ReturnType<typeof setInterval>[] = [];
    if (intervalMs > 0) timers.push(setInterval(() => { agg.flush(); flushOut((m) => node.send(m as never)); }, intervalMs));
    if (config.ttl) {
      const ttlMs = toMillis(config.ttl, config.ttlUnits);
      timers.push(setInterval(() => agg.expire(), Math.min(60000, Math.max(100, Math.floor(ttlMs / 2)))));
    }

    const reportRecord = (err: unknown, rec: Msg) => node.error(status.failure(err).message, rec);
    const apply = (_rec: Msg, fields: unknown[]) => {
      agg.add(recordKey(fields[1], missingKey), fields[0]);
      status.rate.mark();
    };

    const complete = (send: Send, done: Done, failure: Error | undefined) => {
      flushOut(send);
      done(failure && status.failure(failure));
    };
    const resetKey = (k: unknown) => agg.reset(k === undefined || k === null || k === '' ? undefined : String(k));
    // Synchronous while every field reads synchronously; a JSONata evaluation makes that message asynchronous.
    const drained = onInput(node, (msg, send, done) => {
      if (msg.reset) {
        const key = readers.readers[1];
        const k = key.get ? key.get(msg) : NOT_COMPILED;
        if (k === NOT_COMPILED) return key.read(msg).then((v) => { resetKey(v); complete(send, done, undefined); });
        resetKey(k);
      } else if (isEos(msg)) {
        agg.flush();
        out.push(msg);
      } else {
        const r = forEachRecord(msg, readers, apply, reportRecord);
        if (r instanceof Promise) return r.then((f) => complete(send, done, f));
        return complete(send, done, r);
      }
      complete(send, done, undefined);
    });
    node.on('close', (removed: boolean, done: () => void) => {
      for (const tm of timers) clearInterval(tm);
      status.close();
      void drained().then(() => {
        if (!removed) registry.park(node.id, handoverKey, agg.snapshot());
        else if (intervalMs > 0) { agg.flush(); flushOut((m) => node.send(m as never)); }
        done();
      });
    });
  }
  RED.nodes.registerType('streamkit-aggregate', AggregateNode as never);
};
