/**
 * The runtime adapter shared by the tumbling, sliding and session window nodes: config → WindowOperator,
 * messages → records, outputs → messages, status, redeploy handover and close. Only the window spec differs.
 */
import type { Node, NodeAPI } from 'node-red';
import {
  EngineError, WindowOperator, configKey, parseTimestamp, registry, toMillis,
  type WindowOperatorOptions, type WindowOutput, type WindowSpec,
} from '../../engine';
import type { WindowNodeConfig } from './config';
import { eosMessage, isEos, resultMessage } from './messages';
import { onInput, type Send } from './input';
import { compileKey, compileProperty, recordsOf, type Msg } from './properties';
import { StatusReporter } from './status';
import { describeError, refuseConfig, translator } from './i18n';


export function registerWindowNode(RED: NodeAPI, type: string, catalog: string,
  windowSpec: (c: WindowNodeConfig) => WindowSpec): void {
  function WindowNode(this: Node, config: WindowNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED, catalog);
    // Outputs are collected while the engine runs synchronously, then sent as one send() call.
    let results: Msg[] = [];
    let lates: Msg[] = [];
    const collect = (o: WindowOutput<Msg>) => {
      if (o.kind === 'late') {
        const m = o.ref ?? ({ payload: o.value, key: o.key, timestamp: o.ts } as Msg);
        m.late = { watermark: o.watermark, reason: o.reason };
        lates.push(m);
      } else if (o.kind === 'eos') results.push(eosMessage());
      else results.push(resultMessage(o));
    };
    let options: WindowOperatorOptions;
    let readers: ReturnType<typeof compileReaders>;
    let op: WindowOperator<Msg>;
    try {
      options = operatorOptions(config, windowSpec(config));
      readers = compileReaders(RED, node, config);
      op = new WindowOperator<Msg>(options, collect);
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    const latePort = config.lateOutput !== 'drop';
    const handoverKey = `${configKey(options)}|${JSON.stringify([config.valueProp, config.valuePropType, config.keyProp,
      config.keyPropType, config.timeProp, config.timePropType, config.timestampUnit, config.onMissingTimestamp])}`;

    const parked = registry.take(node.id, handoverKey);
    if (parked !== undefined) op.restore(parked);

    const status = new StatusReporter(node, t, () => {
      const parts = [t('status.windows', { count: op.openWindows })];
      const late = op.stats.late + op.stats.lateDropped;
      if (late > 0) parts.push(t('status.late', { count: late }));
      return parts;
    });
    status.refresh();

    const flush = (send: Send) => {
      if (results.length === 0 && lates.length === 0) return;
      const out: (Msg[] | null)[] = [results.length ? results : null];
      if (latePort) out.push(lates.length ? lates : null);
      results = [];
      lates = [];
      send(out);
    };

    const tickMs = tickInterval(options);
    const ticker = tickMs > 0 ? setInterval(() => { op.tick(); flush((m) => node.send(m as never)); }, tickMs) : null;

    /** Applies one record; reports (and swallows) what the engine refuses. */
    const applyRecord = (rec: Msg, value: unknown, key: unknown, time: unknown) => {
      try {
        let ts = NaN;
        if (options.timeMode !== 'processing') {
          if ((time === undefined || time === null) && config.onMissingTimestamp === 'processingTime') ts = Date.now();
          else ts = parseTimestamp(time, config.timestampUnit || 'ms');
        }
        if (key === undefined || key === null || key === '') throw new EngineError('missing-key', t('errors.missing-key'));
        op.process(String(key), ts, value, rec, typeof rec.sourceId === 'string' ? rec.sourceId : undefined);
        status.rate.mark();
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        status.error();
        node.error(describeError(t, err), rec);
      }
    };

    const drained = onInput(node, readers.sync, async (msg, send, done) => {
      if (isEos(msg)) op.eos();
      else if (msg.reset) op = new WindowOperator<Msg>(options, collect);
      else {
        for (const rec of recordsOf(msg) ?? [msg]) {
          if (readers.sync) applyRecord(rec, readers.value.get!(rec), readers.key.get!(rec), readers.time.get!(rec));
          else applyRecord(rec, await readers.value.read(rec), await readers.key.read(rec), await readers.time.read(rec));
        }
      }
      flush(send);
      status.refresh();
      done();
    });

    node.on('close', (removed: boolean, done: () => void) => {
      if (ticker) clearInterval(ticker);
      status.close();
      void drained().then(() => {
        if (!removed) registry.park(node.id, handoverKey, op.snapshot());
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
    lateOutput: c.lateOutput === 'drop' ? 'drop' : 'side',
    emit: c.emit === 'update' ? 'onUpdate' : 'onClose',
    retractions: c.retractions === true,
  };
}

export function durationField(v: number | undefined, unit: string | undefined, name: string): number {
  const r = toMillis(v, unit);
  if (!Number.isFinite(r)) throw new Error(`${name} is not a number`);
  return r;
}

function compileReaders(RED: NodeAPI, node: Node, c: WindowNodeConfig) {
  const value = compileProperty(RED, node, c.valueProp || 'payload', c.valuePropType);
  const key = compileKey(RED, node, c.keyProp, c.keyPropType);
  const time = compileProperty(RED, node, c.timeProp || 'timestamp', c.timePropType);
  return { value, key, time, sync: !!(value.get && key.get && time.get) };
}

/** Processing time fires from the wall clock; idleness is evaluated on ticks too. */
function tickInterval(o: WindowOperatorOptions): number {
  if (o.timeMode === 'processing') {
    const w = o.window;
    const shortest = w.type === 'session' ? w.gap : w.type === 'sliding' ? Math.min(w.size, w.slide) : w.size;
    return Math.min(1000, Math.max(10, Math.floor(shortest / 10)));
  }
  return o.idleTimeoutMs ? Math.min(1000, Math.max(10, Math.floor(o.idleTimeoutMs / 2))) : 0;
}
