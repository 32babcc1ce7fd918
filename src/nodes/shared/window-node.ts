/**
 * The runtime adapter shared by the tumbling, sliding and session window nodes: config → WindowOperator,
 * messages → records, outputs → messages, status, redeploy handover and close. Only the window spec differs.
 */
import type { Node, NodeAPI } from 'node-red';
import {
  WindowOperator, configKey, registry, timestampExtractor, toMillis,
  type WindowOperatorOptions, type WindowOutput, type WindowSpec,
} from '../../engine';
import type { WindowNodeConfig } from './config';
import { eosMessage, isEos, resultMessage } from './messages';
import { onInput, sendEach, type Done, type Send } from './input';
import { compileKey, compileProperty, recordKey, type Msg } from './properties';
import { forEachRecord, recordReaders, type RecordReaders } from './records';
import { StatusReporter } from './status';
import { refuseConfig, translator } from './i18n';

export function registerWindowNode(RED: NodeAPI, type: string,
  windowSpec: (c: WindowNodeConfig) => WindowSpec): void {
  function WindowNode(this: Node, config: WindowNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    const missingKey = t('errors.missing-key');
    // Outputs are collected while the engine runs synchronously, then sent as one send() call.
    let results: Msg[] = [];
    /** The message being handled: an incoming EOS is forwarded as it is. */
    let currentInput: Msg | undefined;
    let lates: Msg[] = [];
    const collect = (o: WindowOutput<Msg>) => {
      if (o.kind === 'late') {
        const m = o.ref ?? ({ payload: o.value, key: o.key, timestamp: o.ts } as Msg);
        m.late = { watermark: o.watermark, reason: o.reason };
        lates.push(m);
      } else if (o.kind === 'eos') results.push(currentInput && isEos(currentInput) ? currentInput : eosMessage());
      else results.push(resultMessage(o));
    };
    let options: WindowOperatorOptions;
    let readers: RecordReaders;
    let op: WindowOperator<Msg>;
    try {
      options = operatorOptions(config, windowSpec(config));
      readers = compileReaders(RED, node, config);
      op = new WindowOperator<Msg>(options, collect);
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    const latePort = options.lateOutput === 'side';
    const handoverKey = `${configKey(options)}|${JSON.stringify([config.valueProp, config.valuePropType, config.keyProp,
      config.keyPropType, config.timeProp, config.timePropType, config.timestampUnit, config.onMissingTimestamp])}`;

    const parked = registry.take(node.id, handoverKey);
    if (parked !== undefined) op.restore(parked);

    const status = new StatusReporter(node, t, () => {
      const parts = [t('status.windows', { count: op.openWindows })];
      const late = op.stats.late + op.stats.lateDropped;
      if (late > 0) parts.push(t('status.late', { count: late }));
      return parts;
    }, () => ({ late: op.stats.late + op.stats.lateDropped, buffered: op.openWindows }));
    status.refresh();

    const outputs = latePort ? 2 : 1;
    const flush = (send: Send) => {
      if (results.length === 0 && lates.length === 0) return;
      const r = results;
      const l = lates;
      status.sent(r.length + (latePort ? l.length : 0));
      results = [];
      lates = [];
      sendEach(send, r, 0, outputs);
      if (latePort) sendEach(send, l, 1, outputs);
    };

    const tickMs = op.tickIntervalMs;
    const ticker = tickMs > 0 ? setInterval(() => { op.tick(); flush((m) => node.send(m as never)); }, tickMs) : null;

    const eventTime = timestampExtractor(config.timestampUnit || 'ms', config.onMissingTimestamp);
    const processingTime = options.timeMode === 'processing';
    const applyRecord = (rec: Msg, fields: unknown[]) => {
      const ts = processingTime ? NaN : eventTime(fields[2]);
      op.process(recordKey(fields[1], missingKey), ts, fields[0], rec, typeof rec.sourceId === 'string' ? rec.sourceId : undefined);
      status.rate.mark();
    };
    const reportRecord = (err: unknown, rec: Msg) => node.error(status.failure(err).message, rec);

    const complete = (send: Send, done: Done, failure: Error | undefined) => {
      flush(send);
      done(failure && status.failure(failure));
    };
    // Synchronous while every field reads synchronously; a JSONata evaluation makes that message asynchronous.
    const drained = onInput(node, (msg, send, done) => {
      let r: ReturnType<typeof forEachRecord> = undefined;
      currentInput = msg;
      if (isEos(msg)) op.eos();
      else if (msg.reset) op = new WindowOperator<Msg>(options, collect);
      else r = forEachRecord(msg, readers, applyRecord, reportRecord);
      currentInput = undefined;
      if (r instanceof Promise) return r.then((f) => complete(send, done, f));
      complete(send, done, r);
    });

    node.on('close', (removed: boolean, done: () => void) => {
      if (ticker) clearInterval(ticker);
      status.close();
      void drained().then(() => {
        // An ended stream has released all its state: the next deploy starts a fresh one.
        if (!removed) { if (!op.finished) registry.park(node.id, handoverKey, op.snapshot()); }
        else if (config.drainOnRemove !== false) {
          op.eos();
          flush((m) => node.send(m as never));
        }
        done();
      });
    });
  }
  RED.nodes.registerType(type, WindowNode as never);
}

function operatorOptions(c: WindowNodeConfig, window: WindowSpec): WindowOperatorOptions {
  const ms = (v: number | undefined, u: string | undefined, name: string) =>
    (v === undefined || (v as unknown) === '' ? 0 : durationField(v, u, name));
  return {
    window,
    aggregates: c.aggregates,
    timeMode: c.timeMode === 'processing' ? 'processing' : 'event',
    maxOutOfOrderness: ms(c.maxOutOfOrderness, c.maxOutOfOrdernessUnits, 'max out-of-orderness'),
    allowedLateness: ms(c.allowedLateness, c.allowedLatenessUnits, 'allowed lateness'),
    idleTimeoutMs: ms(c.idleTimeout, c.idleTimeoutUnits, 'idle timeout'),
    // Processing time has no late output port: only records after EOS can be late there, and they are counted.
    lateOutput: c.lateOutput === 'drop' || c.timeMode === 'processing' ? 'drop' : 'side',
    emit: c.emit === 'update' ? 'onUpdate' : 'onClose',
    retractions: c.retractions === true,
  };
}

export function durationField(v: number | undefined, unit: string | undefined, name: string): number {
  const r = toMillis(v, unit);
  if (!Number.isFinite(r)) throw new Error(`${name} is not a number`);
  return r;
}

function compileReaders(RED: NodeAPI, node: Node, c: WindowNodeConfig): RecordReaders {
  return recordReaders(
    compileProperty(RED, node, c.valueProp || 'payload', c.valuePropType),
    compileKey(RED, node, c.keyProp, c.keyPropType),
    compileProperty(RED, node, c.timeProp || 'timestamp', c.timePropType));
}
