/**
 * streamkit-debezium: Debezium change events (from kafka in: value in msg.payload, key in msg.key, headers in
 * msg.headers) → canonical records, on one output, one per operation or one per table; optionally a
 * materialized table that answers `msg.lookup`. Decoding, routing and the table are the engine's.
 */
import type { Node, NodeAPI } from 'node-red';
import {
  ChangeDecoder, EngineError, MaterializedTable, createRouter, qualifiedName, registry,
  type CdcRecord, type MaterializedChange, type Router, type StreamPosition,
} from '../engine';
import type { DebeziumNodeConfig } from './shared/config';
import { refuseConfig, translator } from './shared/i18n';
import { onInput, sendEach, type Send } from './shared/input';
import { isEos } from './shared/messages';
import { recordsOf, type Msg } from './shared/properties';
import { StatusReporter } from './shared/status';

export = function (RED: NodeAPI) {
  function DebeziumNode(this: Node, config: DebeziumNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = translator(RED);
    let decoder: ChangeDecoder;
    let router: Router;
    let table: MaterializedTable | null = null;
    try {
      decoder = new ChangeDecoder({ format: config.format || 'auto', fieldPrefix: config.fieldPrefix || '__', columnTypes: columnTypes(config.columnTypes) });
      router = createRouter(config.routing || 'single', config.tables);
      if (config.materialize === true) table = new MaterializedTable();
    } catch (err) {
      refuseConfig(node, t, err);
      return;
    }
    const handoverKey = JSON.stringify([config.format, config.fieldPrefix, config.columnTypes]);
    if (table) {
      const parked = registry.take(node.id, handoverKey);
      if (parked !== undefined) table.restore(parked);
    }

    let skipped = 0;
    const status = new StatusReporter(node, t, () => {
      const parts = table ? [t('status.rows', { count: table.size })] : [];
      if (skipped > 0) parts.push(t('status.replayed', { count: skipped }));
      return parts;
    }, () => (table ? { buffered: table.size } : {}));
    status.refresh();

    // Each message goes out as soon as it is made, in a send() of its own (they share nothing: no clone needed).
    let send: Send = () => {};
    const emit = (port: number, m: Msg) => {
      sendEach(send, [m], port, router.outputs);
      status.sent();
    };

    /** Decodes one Kafka record (a message, or an element of a batch) and routes what it yields. */
    const handleRecord = (rec: Msg) => {
      const kafkaTopic = typeof rec.topic === 'string' ? rec.topic : undefined;
      const r = decoder.decode({ value: rec.payload, key: rec.key, headers: rec.headers as Record<string, unknown>, topic: kafkaTopic });
      status.rate.mark();
      if (!table) {
        emit(router.port(r.op, r.table), asRecordMessage(rec, r));
        return;
      }
      const changes = table.apply(r, streamPosition(rec, kafkaTopic));
      if (changes === null) { skipped++; return; }
      // Messages and transaction events change no row: they pass as records.
      if (!MaterializedTable.changesRows(r)) emit(router.port(r.op, r.table), asRecordMessage(rec, r));
      else changes.forEach((c, i) => emit(router.port(c.op, r.table), asChangeMessage(i === 0 ? rec : { ...rec }, r, c)));
    };

    const lookup = (msg: Msg) => {
      if (!table) throw new EngineError('bad-lookup', t('errors.lookup-needs-table'));
      msg.payload = table.lookup(msg.lookup, typeof msg.table === 'string' ? msg.table : undefined);
      emit(router.port('lookup', null), msg);
    };

    const drained = onInput(node, (msg, sendNow, done) => {
      send = sendNow;
      let failure: unknown;
      try {
        // End of stream goes out on every output: one send(), which gives each output its own copy.
        if (isEos(msg)) { sendNow(new Array(router.outputs).fill(msg)); status.sent(); }
        else if (msg.reset) table?.clear();
        else if (msg.lookup !== undefined) lookup(msg);
        else {
          const batch = recordsOf(msg);
          if (!batch) handleRecord(msg);
          else for (const rec of batch) {
            try { handleRecord(rec); } catch (err) { node.error(status.failure(err).message, rec); }
          }
        }
      } catch (err) {
        failure = err;
      }
      done(failure === undefined ? undefined : status.failure(failure));
    });

    node.on('close', (removed: boolean, done: () => void) => {
      status.close();
      void drained().then(() => {
        if (table && !removed) registry.park(node.id, handoverKey, table.snapshot());
        done();
      });
    });
  }
  RED.nodes.registerType('streamkit-debezium', DebeziumNode as never);
};

/** The editor's JSON text of column types; empty means none. */
function columnTypes(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new EngineError('invalid-config', `column types are not JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new EngineError('invalid-config', 'column types must be a JSON object');
  return v as Record<string, string>;
}

/** Where kafka in read the record: its topic-partition and offset (for idempotent replay). */
function streamPosition(rec: Msg, topic: string | undefined): StreamPosition | undefined {
  const { partition, offset } = rec as { partition?: unknown; offset?: unknown };
  if (topic === undefined || partition === undefined || partition === null) return undefined;
  if (typeof offset !== 'string' && typeof offset !== 'number' && typeof offset !== 'bigint') return undefined;
  return { stream: `${topic}/${String(partition)}`, offset };
}

/** The record in msg.payload; topic `db.schema.table`, key the key struct, timestamp the commit time. */
function asRecordMessage(msg: Msg, r: CdcRecord): Msg {
  msg.payload = r;
  msg.topic = qualifiedName(r.table) || msg.topic;
  msg.key = r.key;
  if (r.eventTime !== null) msg.timestamp = r.eventTime;
  return msg;
}

function asChangeMessage(msg: Msg, r: CdcRecord, c: MaterializedChange): Msg {
  msg.payload = { op: c.op, key: c.key, before: c.before, after: c.after };
  msg.topic = c.table || msg.topic;
  msg.key = c.key;
  if (r.eventTime !== null) msg.timestamp = r.eventTime;
  return msg;
}
