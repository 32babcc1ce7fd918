/** streamkit-debezium on a real Node-RED runtime: decoding kafka in's messages, routing, the materialized table. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  attach, buildFlow, errorText, errors, expectRefused, helper, lastStatus, send, settle, start, statuses, withConfig,
  EOS, type Conf, type Msg, type Running,
} from './util';
import { CUSTOMERS, CUSTOMERS_KEY, TX_KEY, TX_VALUE, TYPED, TYPED_KEY, docs, framed, jsonText, typedChange, typedDecoded, typedWire } from '../fixtures/debezium';

const flow = (over: Conf = {}) => buildFlow('debezium', over);
const TOPIC = 'PostgreSQL_server.public.customers';
let offset = 0;
/** A message as kafka in sends it: value, key and headers as the broker has them, and where it was read. */
const kafka = (value: unknown, key: unknown = framed({ id: 1 }, CUSTOMERS_KEY), extra: Conf = {}): Msg =>
  ({ payload: value, key, topic: TOPIC, partition: 0, offset: String(offset++), timestamp: 42, headers: {}, ...extra });
const customer = (id: number, first: string, op = 'c', before: unknown = null) =>
  framed({ ...docs.create, op, before, after: { ...docs.create.after, id, first_name: first } });
const keyOf = (id: number) => framed({ id }, CUSTOMERS_KEY);
const del = (id: number) => framed({ ...docs.delete, before: { id } });

describe('streamkit-debezium', function () {
  afterEach(() => helper.unload());

  describe('decoding', () => {
    it('sends the change record in msg.payload, the table as msg.topic, the key and the commit time', async () => {
      const r = await start(flow());
      const m = kafka(framed(docs.create));
      send(r, m);
      const [out] = await r.out[0].wait(1);
      assert.deepEqual(out.payload.after, { id: 1, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' });
      assert.equal(out.payload.op, 'c');
      assert.equal(out.topic, 'postgres.public.customers');
      assert.deepEqual(out.key, { id: 1 });
      assert.equal(out.timestamp, 1559033904863, 'source.ts_ms, not the Kafka timestamp');
      assert.equal(out.partition, 0, 'the other properties of the message are kept');
      assert.equal(out._msgid, m._msgid);
    });

    it('decodes Buffers with every typed column exact', async () => {
      const r = await start(flow());
      send(r, kafka(Buffer.from(framed(typedChange('c', typedWire), TYPED)), Buffer.from(framed({ id: 1 }, TYPED_KEY))));
      const [out] = await r.out[0].wait(1);
      assert.deepEqual(out.payload.after, typedDecoded);
      assert.equal(out.payload.after.big, 9007199254740993n);
    });

    it('sends a tombstone (null value) with its key, keeping the Kafka timestamp', async () => {
      const r = await start(flow());
      send(r, kafka(null));
      const [out] = await r.out[0].wait(1);
      assert.deepEqual([out.payload.op, out.key, out.timestamp, out.topic], ['tombstone', { id: 1 }, 42, 'public.customers']);
    });

    it('takes the payload-only form with column types, and flattened rows', async () => {
      const r = await start(flow({ columnTypes: '{"ts": "MicroTimestamp"}' }));
      send(r, kafka(jsonText({ ...docs.create, after: { id: 1, ts: 1709214306123456 } }), jsonText({ id: 1 })));
      send(r, kafka(jsonText({ id: 2, __op: 'u', __table: 'customers', __source_ts_ms: 5 }), jsonText({ id: 2 })));
      const [a, b] = await r.out[0].wait(2);
      assert.equal(a.payload.after.ts, '2024-02-29T13:45:06.123456Z');
      assert.deepEqual([b.payload.op, b.payload.after, b.timestamp, b.topic], ['u', { id: 2 }, 5, 'public.customers']);
    });

    it('decodes a batch (msg.payload = array of records) into one message per record', async () => {
      const r = await start(flow());
      send(r, { payload: [kafka(customer(1, 'A')), kafka('not json'), kafka(customer(2, 'B'))] });
      const out = await r.out[0].wait(2);
      assert.deepEqual(out.map((m) => m.payload.after.first_name), ['A', 'B']);
      const [caught] = await r.caught.wait(1);
      assert.equal(caught.payload, 'not json', 'the failed record itself goes to Catch');
      assert.match(errorText(caught.error), /not JSON/);
    });
  });

  describe('bad input', () => {
    const cases: [string, unknown, RegExp][] = [
      ['text that is not JSON', '{"op": ', /not JSON/],
      ['a plain JSON object', '{"temperature": 21}', /not a Debezium change event/],
      ['an unknown op', framed({ ...docs.create, op: 'x' }), /unknown operation "x"/],
      ['a payload its schema does not describe', framed({ ...docs.create, after: { ...docs.create.after, id: 'one' } }), /does not match its schema.*after\.id/],
    ];
    for (const [what, value, text] of cases) {
      it(`reports ${what} to Catch with the original message, counts it, shows red and carries on`, async () => {
        const r = await start(flow());
        const bad = kafka(value);
        send(r, bad);
        const [caught] = await r.caught.wait(1);
        assert.equal(caught._msgid, bad._msgid);
        assert.equal(caught.payload, value, 'the original payload');
        assert.equal(caught.topic, TOPIC);
        assert.match(errorText(caught.error), text);
        assert.equal(lastStatus(r.node)?.fill, 'red');
        assert.match(String(lastStatus(r.node)?.text), /errors/);
        send(r, kafka(framed(docs.update)));
        const [ok] = await r.out[0].wait(1);
        assert.equal(ok.payload.op, 'u');
      });
    }

    it('calls done for every message, failed ones with their error', async () => {
      const r = await start(flow());
      const msgs = [kafka(framed(docs.create)), kafka('x'), kafka(null), EOS()];
      send(r, ...msgs);
      await r.completed.wait(3);
      await r.caught.wait(1);
      assert.deepEqual(r.completed.msgs.map((m) => m._msgid).sort(), [msgs[0], msgs[2], msgs[3]].map((m) => m._msgid).sort());
    });

    for (const [what, conf] of [
      ['column types that are not JSON', { columnTypes: '{nope' }],
      ['an unknown column type', { columnTypes: '{"a": "Money"}' }],
      ['routing by table without tables', { routing: 'table', tables: [] }],
      ['an unknown format', { format: 'avro' }],
    ] as [string, Conf][]) {
      it(`refuses ${what}`, async () => expectRefused(await start(flow(conf))));
    }
  });

  describe('routing', () => {
    it('one output per operation: create, update, delete, read, truncate, then the rest', async () => {
      const r = await start(flow({ routing: 'operation' }));
      send(r, kafka(customer(1, 'A')), kafka(framed(docs.update)), kafka(del(1)), kafka(null), kafka(customer(3, 'R', 'r')),
        kafka(framed(docs.truncate), null), kafka(framed(docs.txBegin, TX_VALUE), framed({ id: '571:53195829' }, TX_KEY)));
      const got = await Promise.all([0, 1, 2, 3, 4].map((i) => r.out[i].wait(1)));
      assert.deepEqual(got.map(([m]) => m.payload.op), ['c', 'u', 'd', 'r', 't']);
      const rest = await r.out[5].wait(2);
      assert.deepEqual(rest.map((m) => m.payload.op), ['tombstone', 'tx']);
    });

    it('one output per table named, and a last one for the others', async () => {
      const r = await start(flow({ routing: 'table', tables: ['typed', 'postgres.public.customers'] }));
      send(r, kafka(customer(1, 'A')), kafka(framed(typedChange('c', typedWire), TYPED), framed({ id: 1 }, TYPED_KEY)),
        kafka(framed({ ...docs.create, source: { ...docs.create.source, table: 'orders' } })));
      const [[typed], [cust], [other]] = await Promise.all([0, 1, 2].map((i) => r.out[i].wait(1)));
      assert.deepEqual([typed.topic, cust.topic, other.topic], ['streamkit.public.typed', 'postgres.public.customers', 'postgres.public.orders']);
    });

    it('passes end-of-stream on every output', async () => {
      const r = await start(flow({ routing: 'operation' }));
      send(r, EOS());
      const got = await Promise.all(r.out.map((o) => o.wait(1)));
      for (const [m] of got) assert.deepEqual(m.control, { type: 'eos' });
    });
  });

  describe('materialized table', () => {
    const mat = (over: Conf = {}) => flow({ materialize: true, ...over });

    it('emits {op, key, before, after} with before from the table, under REPLICA IDENTITY DEFAULT too', async () => {
      const r = await start(mat());
      send(r, kafka(customer(1, 'Anne')), kafka(framed(docs.update)), kafka(del(1)), kafka(null));
      const out = await r.out[0].wait(3);
      const anne = { ...docs.create.after };
      const marie = { ...anne, first_name: 'Anne Marie' };
      assert.deepEqual(out.map((m) => m.payload), [
        { op: 'c', key: { id: 1 }, before: null, after: anne },
        { op: 'u', key: { id: 1 }, before: anne, after: marie },
        { op: 'd', key: { id: 1 }, before: marie, after: null },
      ]);
      assert.deepEqual([out[2].topic, out[2].key, out[2].timestamp], ['postgres.public.customers', { id: 1 }, 1559033904863]);
      await settle();
      assert.equal(r.out[0].msgs.length, 3, 'the tombstone after the delete changes nothing');
      send(r, { lookup: 1 });
      const [, , , none] = await r.out[0].wait(4);
      assert.equal(none.payload, null);
    });

    it('follows a primary-key change and a truncate', async () => {
      const r = await start(mat());
      send(r, kafka(customer(1, 'A')), kafka(customer(2, 'B')));
      send(r, kafka(del(1), keyOf(1), { headers: { '__debezium.newkey': '{"id":5}' } }), kafka(null, keyOf(1)), kafka(customer(5, 'A'), keyOf(5)));
      await r.out[0].wait(4);
      send(r, { lookup: 5 }, { lookup: { id: 1 } });
      const [, , , , l5, l1] = await r.out[0].wait(6);
      assert.equal(l5.payload.first_name, 'A');
      assert.equal(l1.payload, null);
      send(r, kafka(framed(docs.truncate), null), { lookup: 2 });
      const [, , , , , , t, l2] = await r.out[0].wait(8);
      assert.deepEqual(t.payload, { op: 't', key: null, before: null, after: null });
      assert.equal(l2.payload, null);
    });

    it('skips records at or below the last offset applied from their partition, and shows how many', async () => {
      const r = await start(mat());
      const first = [kafka(customer(1, 'A')), kafka(customer(1, 'B', 'u'))];
      const again = first.map((m) => ({ ...m }));
      send(r, ...first);
      await r.out[0].wait(2);
      send(r, ...again, kafka(customer(1, 'C', 'u')));
      const out = await r.out[0].wait(3);
      assert.deepEqual(out[2].payload.before.first_name, 'B');
      await settle();
      assert.equal(r.out[0].msgs.length, 3, 'the replayed records sent nothing');
      assert.deepEqual(errors(r.node).map((e) => errorText(e.err)), []);
      await new Promise((res) => setTimeout(res, 1100));
      assert.match(String(lastStatus(r.node)?.text), /replayed/, 'the status counts replayed records');
    });

    it('answers a lookup on the last output when routing, names the table when several are kept, and empties on reset', async () => {
      const r = await start(mat({ routing: 'operation' }));
      send(r, kafka(customer(1, 'A')), kafka(framed(typedChange('c', typedWire), TYPED), framed({ id: 1 }, TYPED_KEY)));
      await r.out[0].wait(2);
      send(r, { lookup: { id: 1 }, table: 'typed' }, { lookup: 1 });
      const [found] = await r.out[5].wait(1);
      assert.deepEqual(found.payload, typedDecoded);
      const [caught] = await r.caught.wait(1);
      assert.match(errorText(caught.error), /2 tables are materialized/);
      send(r, { reset: true }, { lookup: 1, table: 'customers' });
      const [, none] = await r.out[5].wait(2);
      assert.equal(none.payload, null);
    });

    it('reports a lookup without the materialized table, and rows of a table without primary key', async () => {
      const r = await start(flow());
      send(r, { lookup: 1 });
      const [c1] = await r.caught.wait(1);
      assert.match(errorText(c1.error), /lookup-needs-table/);
      await helper.unload();
      const m = await start(mat());
      send(m, kafka(customer(1, 'A'), null));
      const [c2] = await m.caught.wait(1);
      assert.match(errorText(c2.error), /postgres\.public\.customers has no primary key/);
    });

    it('keeps the table across a redeploy that leaves the decoding settings unchanged, and only then', async () => {
      const tf = mat();
      let r: Running = await start(tf);
      send(r, kafka(customer(1, 'A')));
      await r.out[0].wait(1);
      const tf2 = withConfig(tf, { name: 'renamed', tables: ['t'] });
      await helper.setFlows(tf2.flow as never, 'nodes');
      r = attach(tf2);
      send(r, { lookup: 1 });
      const [kept] = await r.out[0].wait(1);
      assert.equal(kept.payload.first_name, 'A');
      const tf3 = withConfig(tf2, { columnTypes: '{"x": "Date"}' });
      await helper.setFlows(tf3.flow as never, 'nodes');
      r = attach(tf3);
      send(r, { lookup: 1 });
      const [gone] = await r.out[0].wait(1);
      assert.equal(gone.payload, null);
    });
  });

  it('shows a green status with the rate', async () => {
    const r = await start(flow());
    send(r, kafka(framed(docs.create)));
    await r.out[0].wait(1);
    const s = statuses(r.node)[0];
    assert.equal(s.fill, 'green');
    assert.match(String(s.text), /rate/);
    assert.deepEqual(errors(r.node), []);
  });

  it('decodes the documentation\'s customers envelope through its exact schema text', async () => {
    const r = await start(flow());
    send(r, kafka(framed(docs.create, CUSTOMERS)));
    const [m] = await r.out[0].wait(1);
    assert.equal(m.payload.tsNs, '1559033904863123000');
  });
});

describe('streamkit-debezium: catalogs', () => {
  const root = path.join(__dirname, '..', '..');
  const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
  const keys = (o: object, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
  const used = [
    ...[...read('nodes/debezium.html').matchAll(/(?:data-i18n="(?:\[\w+\])?|_\(')([\w.:-]+)/g)].map((m) => m[1]),
    ...[...read('src/nodes/debezium.ts').matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]),
    ...['c', 'u', 'd', 'r', 't', 'other'].map((o) => `outputs.${o}`),
    ...['not-debezium', 'unknown-op', 'schema-mismatch', 'missing-key', 'bad-lookup', 'invalid-config'].map((r) => `errors.${r}`),
  ].filter((k) => !k.startsWith('node-red:') && !k.endsWith('.'));

  for (const lang of ['en-US', 'zh-CN']) {
    it(`${lang} has every text the editor and the runtime use, and a help page`, () => {
      const catalog = new Set(keys(JSON.parse(read(`locales/${lang}/debezium.json`))));
      assert.deepEqual(used.filter((k) => !catalog.has(k)), []);
      assert.match(read(`locales/${lang}/debezium.html`), /data-help-name="streamkit-debezium"/);
    });
  }

  it('zh-CN has the keys of en-US', () => {
    const en = keys(JSON.parse(read('locales/en-US/debezium.json')));
    const zh = new Set(keys(JSON.parse(read('locales/zh-CN/debezium.json'))));
    assert.deepEqual(en.filter((k) => !zh.has(k)), []);
  });
});
