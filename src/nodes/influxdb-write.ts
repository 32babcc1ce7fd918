/**
 * streamkit-influxdb-write: messages → points → batches to InfluxDB. A message is done only when InfluxDB
 * acknowledged every line of it; lines the server refuses go to Catch with the message; the buffer is bounded
 * (hold back done() or drop the oldest) and handed to the next instance on redeploy.
 */
import type { Node, NodeAPI } from 'node-red';
import {
  ClientTransport, EngineError, InfluxWriter, LineTicket, MessageTicket, PRECISIONS, PointMapper, ServerProbe, registry,
  type ParkedLines, type PointInput, type Precision, type RetryOptions, type TicketOutcome, type TimeSource, type WriteTarget,
} from '../engine';
import type { InfluxConfigNode, InfluxConnection, InfluxWriteNodeConfig } from './shared/config';
import { refuseConfig, translator, type Translate } from './shared/i18n';
import { onInput, type Done } from './shared/input';
import { isEos } from './shared/messages';
import { compileKey, compileProperty, type Msg } from './shared/properties';
import { recordReaders, type RecordReaders } from './shared/records';
import { StatusReporter, brief, unreachable } from './shared/status';
import { durationField } from './shared/window-node';

/** Node-RED waits 15 s for a closing node; flushing may take most of that. */
const CLOSE_FLUSH_MS = 10000;
const RECENT_MS = 10000;
const HANDOVER_KEY = 'influx-lines/1';
const TIME_SOURCES: TimeSource[] = ['start', 'end', 'timestamp', 'now'];

const list = (s: unknown): string[] => String(s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

function positive(v: unknown, name: string, integer = false): number {
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
  return n;
}

function nonNegative(v: unknown, name: string): number {
  const n = v === undefined || v === '' ? 0 : Number(v);
  if (!(n >= 0)) throw new Error(`${name} must not be negative, got ${String(v)}`);
  return n;
}

/** Lines a closing node could not write (node removed, or the next instance refused its configuration). */
function failParked(parked: ParkedLines, text: string): void {
  for (const { entries } of parked.targets) for (const e of entries) e.ticket.settle('failed', text, e.context);
}

export = function (RED: NodeAPI) {
  function InfluxWriteNode(this: Node, config: InfluxWriteNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    let conn: InfluxConnection;
    let mapper: PointMapper;
    let readers: RecordReaders;
    let writer: InfluxWriter;
    let transport: ClientTransport;
    let retry: RetryOptions;
    const lossy = new Set<string>();
    let droppedSinceWarning = 0;
    let retryStreak = 0;
    const precision = (config.precision || 'ms') as Precision;
    try {
      const cfg = RED.nodes.getNode(config.influxdb) as InfluxConfigNode | null;
      if (!cfg) throw new Error(t('errors.no-connection'));
      conn = cfg.settings();
      if (!PRECISIONS.includes(precision)) throw new Error(`unknown precision "${String(config.precision)}"`);
      const timeFrom = (config.timeFrom || 'start') as TimeSource;
      if (!TIME_SOURCES.includes(timeFrom)) throw new Error(`unknown time source "${String(config.timeFrom)}"`);
      if (config.overflow !== undefined && config.overflow !== 'block' && config.overflow !== 'drop-oldest') {
        throw new Error(`unknown overflow policy "${String(config.overflow)}"`);
      }
      const batchSize = positive(config.batchSize ?? 1000, 'the batch size', true);
      mapper = new PointMapper({
        measurement: config.measurement ?? '', keyTag: config.keyTag ?? 'key', tagProps: list(config.tagProps),
        integerFields: list(config.integerFields), timeFrom, precision, v2: conn.version === 'v2',
        onLossy: (name) => {
          if (lossy.size < 100 && !lossy.has(name)) { lossy.add(name); node.warn(t('warnings.lossy', { name: JSON.stringify(name) })); }
        },
      });
      readers = recordReaders(
        compileProperty(RED, node, config.fieldsProp || 'payload', config.fieldsPropType),
        compileKey(RED, node, config.keyProp, config.keyPropType));
      const retryMin = positive(config.retryMinDelay ?? 1, 'the first retry delay') * 1000;
      const retryMax = positive(config.retryMaxDelay ?? 30, 'the longest retry delay') * 1000;
      if (retryMax < retryMin) throw new Error('the longest retry delay is shorter than the first');
      transport = new ClientTransport({ ...conn.connection, batchSize });
      retry = {
        minDelayMs: retryMin, maxDelayMs: retryMax, base: 2, jitterMs: Math.min(1000, retryMin / 5),
        maxRetryTimeMs: nonNegative(config.maxRetryTime, 'the retry time limit') * 1000,
      };
      writer = new InfluxWriter(transport, {
        batchSize,
        maxInFlight: positive(config.maxInFlight ?? 4, 'the number of parallel requests', true),
        flushIntervalMs: nonNegative(durationField(config.flushInterval ?? 1, config.flushIntervalUnits || 's', 'the flush interval'), 'the flush interval'),
        maxLines: positive(config.maxLines ?? 100000, 'the buffer size', true),
        overflow: config.overflow === 'drop-oldest' ? 'drop-oldest' : 'block',
        retry,
      }, undefined, {
        dropped: (n) => { droppedSinceWarning += n; },
        retrying: (text, delayMs) => {
          if (retryStreak++ === 0) node.warn(t('warnings.retrying', { error: text, seconds: Math.ceil(delayMs / 1000) }));
          status.refresh();
        },
      });
    } catch (err) {
      refuseConfig(node, t, err);
      const parked = registry.take(node.id, HANDOVER_KEY) as ParkedLines | undefined;
      if (parked) failParked(parked, t('errors.refused'));
      return;
    }

    const parked = registry.take(node.id, HANDOVER_KEY) as ParkedLines | undefined;
    if (parked) writer.adopt(parked);

    // Whether the server can be reached, known before the first message: a ring until it answers.
    let warned = false;
    const probe = new ServerProbe(() => transport.ping(), retry, () => {
      if (probe.state === 'unreachable' && !warned) {
        warned = true;
        node.warn(t('warnings.unreachable', { error: probe.lastError }));
      }
      status.refresh();
    });
    // Metrics: in = points taken in (the status rate), written, buffered, retries, dropped; errors = failed messages.
    const status = new StatusReporter(node, t, () => details(writer, probe, t), () => ({
      buffered: writer.buffered, written: writer.stats.written, retries: writer.stats.retries, dropped: writer.stats.dropped,
    }), () => (writer.nextRetryAt !== undefined || probe.state !== 'reachable' ? 'warn' : 'ok'));
    status.refresh();
    probe.start();
    const ticker = setInterval(() => {
      if (writer.nextRetryAt === undefined) retryStreak = 0;
      if (droppedSinceWarning > 0) {
        node.warn(t('warnings.dropped', { count: droppedSinceWarning, total: writer.stats.dropped }));
        droppedSinceWarning = 0;
      }
    }, 1000);
    ticker.unref?.();

    const finish = (o: TicketOutcome, done: Done) => {
      if (o.written > 0) probe.reached();
      if (o.rejected.length > 0) done(status.failure(new EngineError('write-rejected', [...o.rejected, ...o.failed].join('; '))));
      else if (o.failed.length > 0) done(status.failure(new EngineError('write-failed', o.failed.join('; '))));
      else done();
    };

    // Messages of one line (most) share their ticket: the line carries its message's done().
    const oneLine = new LineTicket(finish);

    let defaultTarget: WriteTarget | undefined;
    const targetOf = (msg: Msg): WriteTarget => {
      const overridden = msg.org !== undefined || msg.bucket !== undefined || msg.database !== undefined || msg.retentionPolicy !== undefined;
      if (!overridden && defaultTarget) return defaultTarget;
      const t = resolveTarget(msg);
      if (!overridden) defaultTarget = t;
      return t;
    };
    const resolveTarget = (msg: Msg): WriteTarget => {
      const pick = (own: unknown, node: string, conf: string, what: string): string => {
        const v = own === undefined || own === null || own === '' ? (node || conf) : own;
        if (typeof v !== 'string' || v === '') throw new EngineError('bad-point', t('errors.no-target', { what }));
        return v;
      };
      if (conn.version === 'v2') {
        return { org: pick(msg.org, config.org, conn.org, 'org'), bucket: pick(msg.bucket, config.bucket, conn.bucket, 'bucket'), precision };
      }
      const rp = msg.retentionPolicy ?? (config.retentionPolicy || conn.retentionPolicy);
      if (typeof rp !== 'string') throw new EngineError('bad-point', t('errors.no-target', { what: 'retentionPolicy' }));
      return { database: pick(msg.database, config.database, conn.database, 'database'), retentionPolicy: rp || undefined, precision };
    };

    // Mapping is synchronous: one input object serves every message.
    const input: PointInput = { value: undefined };
    const write = (msg: Msg, value: unknown, key: unknown, done: Done): void | Promise<void> => {
      let target: WriteTarget;
      let mapped;
      try {
        target = targetOf(msg);
        input.value = value;
        input.key = key;
        input.measurement = msg.measurement;
        input.window = msg.window;
        input.timestamp = msg.timestamp;
        mapped = mapper.map(input, Date.now());
      } catch (err) {
        done(status.failure(err));
        return;
      }
      for (const e of mapped.errors) node.error(status.failure(e).message, msg);
      status.rate.mark(mapped.lines.length);
      const ticket = mapped.lines.length === 1 ? oneLine : new MessageTicket(mapped.lines.length, finish, done);
      if (writer.full) {
        const { lines, points, stamped } = { lines: mapped.lines.slice(), points: mapped.points.slice(), stamped: mapped.stamped };   // the mapper reuses its result
        return writer.whenRoom().then(() => writer.add(target, lines, stamped, ticket, points, done));
      }
      writer.add(target, mapped.lines, mapped.stamped, ticket, mapped.points, done);
    };

    const fields: unknown[] = [undefined, undefined];
    // Held back (a promise) only while the buffer is full or a JSONata property is evaluated: later messages then
    // wait in order, and their done() with them, which is what makes an upstream source slow down.
    const drained = onInput(node, (msg, _send, done) => {
      if (isEos(msg)) {
        void writer.flush().then(() => done());
        return;
      }
      if (!readers.fill(msg, fields)) return write(msg, fields[0], fields[1], done);
      return Promise.all(readers.readers.map((r) => r.read(msg))).then(([v, k]) => write(msg, v, k, done));
    });

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(ticker);
      probe.stop();
      status.close();
      // Messages waiting for room go in now; then a last flush, shorter when InfluxDB is failing and the lines
      // can go to the next instance instead.
      writer.release();
      void drained().then(async () => {
        const budget = removed || writer.nextRetryAt === undefined ? CLOSE_FLUSH_MS : 0;
        const left = await writer.close(Date.now() + budget);
        transport.dispose();
        const count = left.targets.reduce((n, x) => n + x.entries.length, 0);
        if (count > 0 && !removed) {
          registry.park(node.id, HANDOVER_KEY, left);
          node.log(t('warnings.handedOver', { count }));
        } else if (count > 0) {
          node.warn(t('warnings.notWritten', { count }));
          failParked(left, t('errors.removed'));
        }
        done();
      });
    });
  }
  RED.nodes.registerType('streamkit-influxdb-write', InfluxWriteNode as never);
};

function details(w: InfluxWriter, probe: ServerProbe, t: Translate): string[] {
  const parts: string[] = [];
  if (probe.state === 'connecting') parts.push(t('status.connecting'));
  else if (probe.state === 'unreachable') parts.push(unreachable(t, probe.lastError));
  if (w.buffered > 0) parts.push(t('status.buffered', { count: w.buffered }));
  const next = w.nextRetryAt;
  if (next !== undefined) parts.push(t('status.retrying', { seconds: Math.max(0, Math.ceil((next - Date.now()) / 1000)) }));
  const e = w.lastError;
  if (e && (next !== undefined || Date.now() - e.at < RECENT_MS)) parts.push(t('status.lastError', { error: brief(e.text) }));
  return parts;
}
