/**
 * The real pipeline: PostgreSQL (wal_level=logical) → Debezium's PostgreSQL connector in Kafka Connect → Kafka →
 * streamkit-kafka-in → streamkit-debezium, in Node-RED (the test helper). Three connectors read the same tables:
 * the JSON converter with schemas, without schemas (the node told the column types), and with the unwrap
 * transform (ExtractNewRecordState) in delete rewrite mode. SQL makes a snapshot, inserts, updates under REPLICA
 * IDENTITY DEFAULT and FULL, deletes (with tombstones), a primary-key change and a truncate; the rows each
 * variant decodes must equal what SQL wrote, and every materialized table must end equal to SELECT *.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Node, NodeInitializer } from 'node-red';
import { initHelper } from '../../helpers/node-red';
import { requireService } from '../../helpers/services';
import { brokerNode, createTopic, flowNodes, kafkaIn, unique } from '../kafka/kafka';
import { until } from '../../helpers/wait';
import {
  PIPELINE_VARS, comparable, connectorConfig, itemsDdl, itemsRows, removeConnector, sql, startConnector, type PipelineEnv,
} from './pipeline';

const helper = initHelper();
type Msg = Record<string, any>;
type Row = Record<string, unknown>;

const run = `${Date.now().toString(36)}${process.pid}`;
const ITEMS = `dbz_items_${run}`;
const EVENTS = `dbz_events_${run}`;
const MOOD = `dbz_mood_${run}`;
const COLUMN_TYPES = JSON.stringify({ amount: 'Decimal(3)', d: 'Date', tm: 'MicroTime', ts: 'MicroTimestamp', j: 'Json', b: 'bytes' });

interface Variant {
  name: 'schemas' | 'schemaless' | 'unwrap';
  prefix: string;
  connector: Record<string, string>;
  node: Record<string, unknown>;
}
const VARIANTS: Variant[] = [
  { name: 'schemas', prefix: `sk_on_${run}`, node: {}, connector: { 'provide.transaction.metadata': 'true' } },
  { name: 'schemaless', prefix: `sk_off_${run}`, node: { columnTypes: COLUMN_TYPES },
    connector: { 'key.converter.schemas.enable': 'false', 'value.converter.schemas.enable': 'false' } },
  { name: 'unwrap', prefix: `sk_unwrap_${run}`, node: {}, connector: {
    transforms: 'unwrap', 'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite', 'transforms.unwrap.add.fields': 'op,table,lsn,source.ts_ms' } },
];
const slotOf = (v: Variant) => `${v.prefix}_slot`;
const connectorOf = (v: Variant) => `${v.prefix}-connector`;
const topicOf = (v: Variant, table: string) => `${v.prefix}.public.${table}`;

/** Rows 1–3 exist before the connectors start (the snapshot); 3 is all NULL but its key. */
const SNAPSHOT_ROWS = `INSERT INTO ${ITEMS} VALUES
  (1, 9007199254740993, 12345.678, 3.14, true, 'héllo "wörld"' || E'\\n' || 'line 2', 'v1', '2024-02-29', '13:45:06.123456',
   '2024-02-29 13:45:06.123456', '2024-02-29 13:45:06.123456+02', '{"a": [1, 2.5, null], "b": {"c": "d"}}',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', '\\x00ff10'),
  (2, -9223372036854775808, -0.001, -1.5, false, '', 'v2', '1969-07-20', '00:00:00', '1969-07-20 20:17:40', '1970-01-01 00:00:00+00',
   '[]', '00000000-0000-0000-0000-000000000000', 'sad', '\\x'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  INSERT INTO ${EVENTS} VALUES (1, 'one');`;

/**
 * The PostgreSQL transaction of an event: Debezium's id is `txId:LSN` where the LSN is the event's own, so the events
 * of one transaction (BEGIN, data, END) share only the part before the colon.
 */
const txOf = (m: Msg): string => String(m.payload.transaction.id).split(':')[0];

const nodeConfig = { format: 'auto', fieldPrefix: '__', columnTypes: '', routing: 'single', tables: [], materialize: false };

describe('debezium (real pipeline): PostgreSQL → Debezium → Kafka → kafka in → debezium node', function () {
  this.timeout(300000);
  let env: PipelineEnv;
  const started: Variant[] = [];
  /** What SQL had after each step, in the decoder's form. */
  const sqlSaw: Record<string, Row> = {};
  const got: Record<string, { raw: Msg[]; decoded: Msg[]; table: Msg[] }> = {};
  const caught: Msg[] = [];
  let finalItems: Row[];
  let finalEvents: Row[];

  const row = (id: number) => itemsRows(env, ITEMS, `id = ${id}`)[0];

  before(async function () {
    env = requireService(this, 'debezium', PIPELINE_VARS) as PipelineEnv;
    await new Promise<void>((resolve) => { helper.startServer(() => resolve()); });

    sql(env, `${itemsDdl(ITEMS, MOOD)} CREATE TABLE ${EVENTS} (id int PRIMARY KEY, note text);`);
    sql(env, SNAPSHOT_ROWS);
    for (const id of [1, 2, 3]) sqlSaw[`snapshot ${id}`] = row(id);

    for (const v of VARIANTS) {
      for (const t of [topicOf(v, ITEMS), topicOf(v, EVENTS), `${v.prefix}.transaction`]) await createTopic(env.KAFKA_BROKERS, t, 1);
      await startConnector(env, connectorOf(v), connectorConfig(env, {
        'topic.prefix': v.prefix, 'slot.name': slotOf(v), 'table.include.list': `public.${ITEMS},public.${EVENTS}`,
        'snapshot.mode': 'initial', ...v.connector,
      }));
      started.push(v);
    }

    // The flow: per variant, kafka in → a decoding debezium node and a materialized one; a Catch for every error.
    const flow: Msg[] = [{ id: 'tab', type: 'tab' }, brokerNode('b', env.KAFKA_BROKERS),
      // A node on a tab needs x/y, or Node-RED takes it for a config node.
      { id: 'catch', type: 'catch', z: 'tab', x: 100, y: 100, scope: null, uncaught: false, wires: [['caught']] }, { id: 'caught', type: 'helper', z: 'tab' }];
    for (const v of VARIANTS) {
      const topics = [topicOf(v, ITEMS), topicOf(v, EVENTS), ...(v.name === 'schemas' ? [`${v.prefix}.transaction`] : [])].join(',');
      flow.push(
        kafkaIn(`in-${v.name}`, 'b', topics, unique('dbz'), [[`raw-${v.name}`, `dec-${v.name}`, `mat-${v.name}`]], { valueFormat: 'string', keyFormat: 'string' }),
        { id: `dec-${v.name}`, type: 'streamkit-debezium', z: 'tab', ...nodeConfig, ...v.node, wires: [[`decoded-${v.name}`]] },
        { id: `mat-${v.name}`, type: 'streamkit-debezium', z: 'tab', ...nodeConfig, ...v.node, materialize: true, wires: [[`table-${v.name}`]] },
        ...['raw', 'decoded', 'table'].map((s) => ({ id: `${s}-${v.name}`, type: 'helper', z: 'tab' })),
      );
    }
    const debezium = require(path.join(__dirname, '..', '..', '..', 'nodes', 'debezium.js')) as NodeInitializer;
    await helper.load([...flowNodes(), debezium], flow as never);
    (helper.getNode('caught') as Node).on('input', (m: object) => { caught.push(m as Msg); });
    for (const v of VARIANTS) {
      got[v.name] = { raw: [], decoded: [], table: [] };
      for (const s of ['raw', 'decoded', 'table'] as const) (helper.getNode(`${s}-${v.name}`) as Node).on('input', (m: object) => { got[v.name][s].push(m as Msg); });
    }

    // The changes, each statement its own transaction; what SQL holds after each is kept for the comparisons.
    sql(env, `INSERT INTO ${ITEMS} (id, big, amount, r, flag, t, v, d, tm, ts, tstz, j, u, m, b) VALUES
      (4, 42, 0.5, 0.25, true, 'four', 'v4', '2000-01-01', '23:59:59.999999', '2000-01-01 00:00:00.000001', '2000-01-01 12:00:00-05',
       '{"n": 4}', 'c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a44', 'ok', '\\x04'),
      (5, 5, 5, 5, false, 'five', 'v5', '2005-05-05', '05:05:05', '2005-05-05 05:05:05', '2005-05-05 05:05:05+00', '"five"', NULL, 'sad', '\\x05')`);
    for (const id of [4, 5]) sqlSaw[`insert ${id}`] = row(id);
    sql(env, `UPDATE ${ITEMS} SET t = 'updated under DEFAULT', amount = 99.5, big = 9007199254740995 WHERE id = 1`);
    sqlSaw['update 1'] = row(1);
    sql(env, `ALTER TABLE ${ITEMS} REPLICA IDENTITY FULL`);
    sql(env, `UPDATE ${ITEMS} SET t = 'updated under FULL', j = '{"x": {"y": [true, false]}}', ts = '2030-12-31 23:59:59.5' WHERE id = 2`);
    sqlSaw['update 2'] = row(2);
    sql(env, `DELETE FROM ${ITEMS} WHERE id = 3`);
    sql(env, `ALTER TABLE ${ITEMS} REPLICA IDENTITY DEFAULT`);
    sql(env, `DELETE FROM ${ITEMS} WHERE id = 5`);
    sql(env, `UPDATE ${ITEMS} SET id = 40 WHERE id = 4`);
    sqlSaw['insert 40'] = row(40);
    sql(env, `INSERT INTO ${EVENTS} VALUES (2, 'two'), (3, 'three')`);
    sql(env, `TRUNCATE ${EVENTS}`);
    sql(env, `INSERT INTO ${EVENTS} VALUES (10, 'after the truncate')`);
    sql(env, `UPDATE ${ITEMS} SET t = 'done' WHERE id = 1`);
    sqlSaw['done 1'] = row(1);
    finalItems = itemsRows(env, ITEMS);
    finalEvents = JSON.parse(sql(env, `SELECT coalesce(json_agg(e ORDER BY id), '[]') FROM ${EVENTS} e`)) as Row[];

    const isDone = (m: Msg) => m.payload?.after?.t === 'done';
    const isLastEvent = (m: Msg) => m.payload?.after?.id === 10;
    // The transaction topic is read apart from the tables': its END events may come after the last change.
    const ended = (msgs: Msg[]) => msgs.filter((m) => m.payload.transaction?.totalOrder !== undefined && m.payload.transaction !== null)
      .every((d) => msgs.some((t) => t.payload.op === 'tx' && t.payload.transaction.status === 'END' && txOf(t) === txOf(d)));
    await until(() => VARIANTS.every((v) => got[v.name].decoded.some(isDone) && got[v.name].decoded.some(isLastEvent)
      && got[v.name].table.some(isDone) && got[v.name].table.some(isLastEvent) && ended(got[v.name].decoded)), 120000,
    'every variant to see the last changes');
  });

  after(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => { helper.stopServer(() => resolve()); });
    if (!env) return;
    for (const v of started) await removeConnector(env, connectorOf(v), slotOf(v));
    sql(env, `DROP TABLE IF EXISTS ${ITEMS}, ${EVENTS}; DROP TYPE IF EXISTS ${MOOD};`);
  });

  /** The decoded messages of the items table, in Kafka order. */
  const itemsOf = (v: Variant) => got[v.name].decoded.filter((m) => m.payload.table?.table === ITEMS);
  const summary = (msgs: Msg[]) => msgs.map((m) => `${m.payload.op} ${m.payload.key?.id ?? ''}`.trim());

  it('reports no error anywhere', () => {
    assert.deepEqual(caught.map((m) => String(m.error?.message)), []);
  });

  for (const v of VARIANTS) {
    describe(`${v.name}: ${v.name === 'schemas' ? 'JSON converter with schemas' : v.name === 'schemaless' ? 'JSON converter without schemas, column types given' : 'ExtractNewRecordState, delete rewrite'}`, () => {
      it('sees the snapshot, inserts, updates, deletes and the primary-key change in commit order', () => {
        const expected = v.name === 'unwrap'
          // The transform drops tombstones in rewrite mode; deletes are rows with __deleted = "true".
          ? ['r 1', 'r 2', 'r 3', 'c 4', 'c 5', 'u 1', 'u 2', 'd 3', 'd 5', 'd 4', 'c 40', 'u 1']
          : ['r 1', 'r 2', 'r 3', 'c 4', 'c 5', 'u 1', 'u 2', 'd 3', 'tombstone 3', 'd 5', 'tombstone 5', 'd 4', 'tombstone 4', 'c 40', 'u 1'];
        const items = itemsOf(v);
        assert.deepEqual([...summary(items.slice(0, 3)).sort(), ...summary(items.slice(3))], expected);
      });

      it('decodes every row exactly as SQL wrote it: bigint beyond 2^53, numeric, real, dates, times, timestamps, jsonb, uuid, enum, bytea', () => {
        const items = itemsOf(v);
        const after = (op: string, id: number, nth = 0) => items.filter((m) => m.payload.op === op && m.payload.key.id === id)[nth]?.payload.after;
        for (const id of [1, 2, 3]) assert.deepEqual(comparable(after('r', id)), sqlSaw[`snapshot ${id}`], `snapshot row ${id}`);
        for (const id of [4, 5]) assert.deepEqual(comparable(after('c', id)), sqlSaw[`insert ${id}`], `inserted row ${id}`);
        assert.deepEqual(comparable(after('u', 1)), sqlSaw['update 1']);
        assert.deepEqual(comparable(after('u', 2)), sqlSaw['update 2']);
        assert.deepEqual(comparable(after('c', 40)), sqlSaw['insert 40']);
        assert.deepEqual(comparable(after('u', 1, 1)), sqlSaw['done 1']);
        assert.equal(after('r', 1).big, 9007199254740993n, 'int64 beyond 2^53 as an exact BigInt');
        assert.equal(after('r', 2).big, -9223372036854775808n);
      });

      it('gives before as the REPLICA IDENTITY sent it: nothing under DEFAULT, the full row under FULL', () => {
        const items = itemsOf(v);
        const before = (op: string, id: number) => items.find((m) => m.payload.op === op && m.payload.key.id === id)?.payload.before;
        const keyOnly = (id: number) => Object.fromEntries(Object.keys(sqlSaw['snapshot 1']).map((k) => [k, k === 'id' ? id : null]));
        if (v.name !== 'unwrap') {
          assert.equal(before('u', 1), null, 'update under DEFAULT');
          assert.deepEqual(comparable(before('u', 2)), sqlSaw['snapshot 2'], 'update under FULL');
        }
        assert.deepEqual(comparable(before('d', 3)), sqlSaw['snapshot 3'], 'delete under FULL');
        assert.deepEqual(comparable(before('d', 5)), keyOnly(5), 'delete under DEFAULT: the key, the other columns null');
        assert.deepEqual(comparable(before('d', 4)), keyOnly(4));
      });

      if (v.name !== 'unwrap') {
        it('marks the primary-key change with __debezium.newkey and __debezium.oldkey, and the deletes with tombstones of their key', () => {
          const items = itemsOf(v);
          const d4 = items.find((m) => m.payload.op === 'd' && m.payload.key.id === 4)!;
          const c40 = items.find((m) => m.payload.op === 'c' && m.payload.key.id === 40)!;
          assert.deepEqual(JSON.parse(d4.payload.headers['__debezium.newkey']), { id: 40 });
          assert.deepEqual(JSON.parse(c40.payload.headers['__debezium.oldkey']), { id: 4 });
          const next = items[items.indexOf(d4) + 1];
          assert.deepEqual([next.payload.op, next.key], ['tombstone', { id: 4 }]);
        });
      }

      it('sends the table as msg.topic, the key as msg.key and the commit time as msg.timestamp', () => {
        const [m] = itemsOf(v).filter((x) => x.payload.op === 'c');
        assert.equal(m.topic, v.name === 'unwrap' ? `public.${ITEMS}` : `${env.PGDATABASE}.public.${ITEMS}`);
        assert.deepEqual(m.key, { id: 4 });
        assert.equal(m.timestamp, m.payload.eventTime);
        assert.ok(Math.abs(m.timestamp - Date.now()) < 300000, 'the commit time is recent');
        if (v.name !== 'unwrap') assert.ok(m.payload.connectorTime >= m.payload.eventTime, 'the connector processed it after the commit');
        assert.equal(typeof m.payload.position.lsn, 'number');
      });

      it('sees the truncate', () => {
        const ops = got[v.name].decoded.filter((m) => m.payload.table?.table === EVENTS).map((m) => m.payload.op);
        // The unwrap transform drops truncate events (SPEC §7.8).
        assert.deepEqual(ops, v.name === 'unwrap' ? ['r', 'c', 'c', 'c'] : ['r', 'c', 'c', 't', 'c']);
      });

      it('ends with a materialized table equal to SELECT *, and before taken from it whatever the source sent', async () => {
        const mat = helper.getNode(`mat-${v.name}`) as Node;
        const answers: Msg[] = [];
        (helper.getNode(`table-${v.name}`) as Node).on('input', (m: object) => { if ((m as Msg).lookup !== undefined) answers.push(m as Msg); });
        for (const r of finalItems) mat.receive({ lookup: { id: r.id }, table: ITEMS } as never);
        for (const id of [3, 4, 5]) mat.receive({ lookup: id, table: ITEMS } as never);
        for (const id of [1, 2, 3, 10]) mat.receive({ lookup: id, table: EVENTS } as never);
        await until(() => answers.length === finalItems.length + 7, 10000, 'the lookups');
        assert.deepEqual(answers.slice(0, finalItems.length).map((m) => comparable(m.payload)), finalItems);
        assert.deepEqual(answers.slice(finalItems.length, finalItems.length + 3).map((m) => m.payload), [null, null, null]);
        const events = answers.slice(finalItems.length + 3).map((m) => m.payload).filter((r) => r !== null);
        if (v.name === 'unwrap') {
          // Without the truncate, the rows it removed stay in a table materialized from the transform's output.
          assert.deepEqual(events.map((e) => e.id), [1, 2, 3, 10]);
        } else {
          assert.deepEqual(events, finalEvents);
        }
        const changes = got[v.name].table.filter((m) => m.topic?.endsWith(ITEMS));
        const change = (op: string, id: number) => changes.find((m) => m.payload.op === op && m.payload.key.id === id)!.payload;
        assert.deepEqual(comparable(change('d', 5).before), sqlSaw['insert 5'], 'the full row deleted under DEFAULT');
        assert.deepEqual(comparable(change('u', 1).before), sqlSaw['snapshot 1'], 'the full row updated under DEFAULT');
        assert.deepEqual(comparable(change('d', 4).before), sqlSaw['insert 4'], 'the primary-key change moves the full row');
        assert.deepEqual(comparable(change('c', 40).after), sqlSaw['insert 40']);
      });

      it('replays idempotently: every record again changes nothing', async () => {
        const mat = helper.getNode(`mat-${v.name}`) as Node;
        const before = got[v.name].table.length;
        for (const m of got[v.name].raw) mat.receive({ ...m, _msgid: undefined } as never);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(got[v.name].table.length, before, 'no change sent');
        const answers: Msg[] = [];
        (helper.getNode(`table-${v.name}`) as Node).on('input', (m: object) => { answers.push(m as Msg); });
        mat.receive({ lookup: 1, table: ITEMS } as never);
        await until(() => answers.length === 1, 5000, 'the lookup');
        assert.deepEqual(comparable(answers[0].payload), sqlSaw['done 1']);
      });
    });
  }

  it('schemas: transaction metadata — BEGIN and END around each transaction, data events carry their transaction', () => {
    const v = VARIANTS[0];
    const tx = got[v.name].decoded.filter((m) => m.payload.op === 'tx');
    const data = got[v.name].decoded.filter((m) => m.payload.transaction?.totalOrder !== undefined && m.payload.transaction !== null);
    assert.ok(tx.length >= 2 && data.length > 0);
    for (const d of data) {
      const id = txOf(d);
      const mine = data.filter((x) => txOf(x) === id);
      const end = tx.find((t) => t.payload.transaction.status === 'END' && txOf(t) === id)?.payload.transaction;
      assert.ok(tx.some((t) => t.payload.transaction.status === 'BEGIN' && txOf(t) === id), `BEGIN of ${id}`);
      assert.ok(end, `END of ${id}`);
      assert.equal(end.eventCount, mine.length, 'END counts the data events of its transaction');
      assert.deepEqual(mine.map((x) => x.payload.transaction.totalOrder), mine.map((_, i) => i + 1));
      assert.deepEqual(end.dataCollections.map((c: Row) => c.dataCollection), [...new Set(mine.map((x) => `public.${x.payload.table.table}`))]);
    }
  });
});
