/** Debezium change events → canonical records: every message form of Debezium's documentation, and bad input. */
import assert from 'node:assert/strict';
import { ChangeDecoder, EngineError, type CdcRecord } from '../../../src/engine';
import {
  CUSTOMERS, CUSTOMERS_KEY, TX_KEY, TX_VALUE, TYPED, TYPED_KEY, docs, framed, jsonText, typedChange, typedDecoded, typedWire,
} from '../../fixtures/debezium';

const key1 = framed({ id: 1 }, CUSTOMERS_KEY);
const decode = (value: unknown, key: unknown = key1, more: { headers?: Record<string, unknown>; topic?: string } = {}, d = new ChangeDecoder()) =>
  d.decode({ value, key, ...more });
const fails = (reason: string, fn: () => unknown, detail?: RegExp) => assert.throws(fn, (e: EngineError) => {
  assert.ok(e instanceof EngineError, `an EngineError, got ${String(e)}`);
  assert.equal(e.reason, reason, e.message);
  if (detail) assert.match(e.message, detail);
  return true;
});
/** The envelope fields common to the documentation's examples. */
const docsTable = { db: 'postgres', schema: 'public', table: 'customers' };

describe('engine: Debezium decoder — the documentation\'s PostgreSQL messages', () => {
  for (const [form, schema] of [['with schemas', CUSTOMERS], ['payload only', null]] as const) {
    describe(form, () => {
      const value = (p: unknown) => framed(p, schema);
      const key = schema ? key1 : jsonText({ id: 1 });

      it('decodes a create into the canonical record (SPEC §7.10)', () => {
        const r = decode(value(docs.create), key);
        assert.deepEqual(r, {
          op: 'c', key: { id: 1 }, before: null,
          after: { id: 1, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' },
          table: docsTable, eventTime: 1559033904863, connectorTime: 1559033904863, tsNs: '1559033904863123000',
          snapshot: 'true', position: { lsn: 24023128, txId: 555 }, transaction: null, headers: {},
        } satisfies CdcRecord);
      });

      it('keeps ts_ns beyond 2^53 exact (1465584025523514964 is not 1465584025523515000)', () => {
        const r = decode(value({ ...docs.update, source: { ...docs.update.source, ts_ns: 1465584025523514964n } }), key);
        assert.equal(r.tsNs, '1465584025523514964');
      });

      it('decodes an update under REPLICA IDENTITY DEFAULT: before holds the key only', () => {
        const r = decode(value(docs.update), key);
        assert.equal(r.op, 'u');
        assert.deepEqual(r.before, { id: 1 });
        assert.equal(r.after?.first_name, 'Anne Marie');
        assert.equal(r.snapshot, 'false');
        assert.equal(r.eventTime, 1559033904863);
        assert.equal(r.connectorTime, 1465584025523);
      });

      it('decodes a delete, and its tombstone (the same key, a null value) as op "tombstone"', () => {
        const d = new ChangeDecoder();
        const del = decode(value(docs.delete), key, {}, d);
        assert.deepEqual([del.op, del.before, del.after, del.position], ['d', { id: 1 }, null, { lsn: 46523128, txId: 556 }]);
        for (const empty of [null, undefined, '', Buffer.alloc(0)]) {
          const t = decode(empty, key, { topic: 'PostgreSQL_server.public.customers' }, d);
          assert.equal(t.op, 'tombstone');
          assert.deepEqual(t.key, { id: 1 });
          assert.deepEqual([t.before, t.after], [null, null]);
          assert.deepEqual(t.table, { db: null, schema: 'public', table: 'customers' });
        }
      });

      it('decodes a truncate: no key, no before or after', () => {
        const r = decode(value(docs.truncate), null);
        assert.deepEqual([r.op, r.key, r.before, r.after], ['t', null, null, null]);
        assert.deepEqual(r.table, docsTable);
      });

      it('decodes a primary-key change: delete with __debezium.newkey, tombstone, create with __debezium.oldkey', () => {
        const d = new ChangeDecoder();
        const k2 = schema ? framed({ id: 2 }, CUSTOMERS_KEY) : jsonText({ id: 2 });
        const del = decode(value(docs.delete), key, { headers: { '__debezium.newkey': Buffer.from('{"id":2}') } }, d);
        const tomb = decode(null, key, { headers: { '__debezium.newkey': '{"id":2}' }, topic: 'PostgreSQL_server.public.customers' }, d);
        const cre = decode(value({ ...docs.create, after: { ...docs.create.after, id: 2 } }), k2, { headers: { '__debezium.oldkey': '{"id":1}' } }, d);
        assert.deepEqual([del.op, tomb.op, cre.op], ['d', 'tombstone', 'c']);
        assert.deepEqual(del.headers, { '__debezium.newkey': '{"id":2}' }, 'header bytes become text');
        assert.deepEqual([del.key, tomb.key, cre.key], [{ id: 1 }, { id: 1 }, { id: 2 }]);
        assert.deepEqual(cre.headers, { '__debezium.oldkey': '{"id":1}' });
      });
    });
  }

  it('decodes logical-decoding messages (op "m"): transactional and not, content as bytes with schemas', () => {
    const messageSchema = {
      ...CUSTOMERS,
      fields: [...(CUSTOMERS.fields as object[]), { type: 'struct', optional: true, name: 'io.debezium.connector.postgresql.Message', field: 'message',
        fields: [{ type: 'string', optional: false, field: 'prefix' }, { type: 'bytes', optional: false, field: 'content' }] }],
    };
    const key = framed({ prefix: 'foo' }, { type: 'struct', optional: false, name: 'io.debezium.connector.postgresql.MessageKey',
      fields: [{ type: 'string', optional: false, field: 'prefix' }] });
    const tx = decode(framed(docs.message, messageSchema), key);
    assert.deepEqual([tx.op, tx.key, tx.message], ['m', { prefix: 'foo' }, { prefix: 'foo', content: Buffer.from('Ymfy', 'base64') }]);
    assert.deepEqual(tx.table, { db: 'postgres', schema: null, table: null });
    assert.deepEqual(tx.position, { lsn: 46523128, txId: 556 });
    const nonTx = decode(framed(docs.messageNonTx, null), jsonText({ prefix: 'foo' }));
    assert.deepEqual([nonTx.op, nonTx.message, nonTx.position], ['m', { prefix: 'foo', content: 'Ymfy' }, { lsn: 46523128, txId: null }]);
  });

  it('decodes transaction metadata BEGIN and END events, with and without schemas', () => {
    const key = framed({ id: '571:53195829' }, TX_KEY);
    const begin = decode(framed(docs.txBegin, TX_VALUE), key);
    assert.deepEqual(begin, {
      op: 'tx', key: { id: '571:53195829' }, before: null, after: null, table: null, eventTime: 1486500577125,
      connectorTime: null, tsNs: null, snapshot: 'false', position: null, headers: {},
      transaction: { id: '571:53195829', status: 'BEGIN', eventCount: null, dataCollections: null },
    } satisfies CdcRecord);
    for (const value of [framed(docs.txEnd, TX_VALUE), jsonText(docs.txEnd)]) {
      const end = decode(value, jsonText({ id: '571:53195832' }));
      assert.deepEqual(end.transaction, {
        id: '571:53195832', status: 'END', eventCount: 2,
        dataCollections: [{ dataCollection: 's1.a', eventCount: 1 }, { dataCollection: 's2.a', eventCount: 1 }],
      });
      assert.equal(end.eventTime, 1486500577691);
    }
  });

  it('reads a data event enriched with its transaction, numbers quoted as in the documentation', () => {
    const r = decode(jsonText(docs.enriched), jsonText({ pk: '2' }));
    assert.deepEqual(r.transaction, { id: '571:53195832', totalOrder: 1, dataCollectionOrder: 1 });
    assert.equal(r.connectorTime, 1580390884335);
    assert.deepEqual(r.table, { db: 'postgres', schema: 's1', table: 'a' });
  });

  it('reads the documentation\'s snapshot flag as a boolean and Debezium\'s as an enum string', () => {
    assert.equal(decode(framed(docs.create)).snapshot, 'true');
    assert.equal(decode(framed({ ...docs.create, source: { ...docs.create.source, snapshot: 'last' } }, null)).snapshot, 'last');
    assert.equal(decode(framed({ ...docs.create, op: 'r' }, null)).op, 'r');
  });

  it('decodes a MySQL event: the binlog position, db.table', () => {
    const r = decode(jsonText({
      before: null, after: { id: 1004, first_name: 'Anne' }, op: 'c', ts_ms: 1465491411815,
      source: { version: '3.7.0.Final', connector: 'mysql', name: 'mysql-server-1', ts_ms: 0, snapshot: false, db: 'inventory',
        table: 'customers', server_id: 0, gtid: null, file: 'mysql-bin.000003', pos: 154, row: 0, thread: 7, query: 'INSERT …' },
    }), jsonText({ id: 1004 }));
    assert.deepEqual(r.position, { file: 'mysql-bin.000003', pos: 154, row: 0, gtid: null, serverId: 0 });
    assert.deepEqual(r.table, { db: 'inventory', schema: null, table: 'customers' });
  });

  it('refuses the documentation\'s key-schema notation ("name"/"index"/"schema"), which the JSON converter never writes (SPEC §D9)', () => {
    const docsKey = '{"schema":{"type":"struct","name":"PostgreSQL_server.public.customers.Key","optional":false,'
      + '"fields":[{"name":"id","index":"0","schema":{"type":"INT32","optional":"false"}}]},"payload":{"id":"1"}}';
    fails('schema-mismatch', () => decode(framed(docs.create), docsKey), /field without a name/);
  });
});

describe('engine: Debezium decoder — the unwrap transform (ExtractNewRecordState)', () => {
  const rowSchema = (extra: object[]) => ({
    type: 'struct', optional: false, name: 'dbserver1.public.customers.Value',
    fields: [{ type: 'int32', optional: false, field: 'id' }, { type: 'string', optional: true, field: 'email' }, ...extra],
  });
  const meta = [
    { type: 'string', optional: true, field: '__op' }, { type: 'string', optional: true, field: '__table' },
    { type: 'int64', optional: true, field: '__lsn' }, { type: 'int64', optional: true, field: '__source_ts_ms' },
    { type: 'string', optional: true, field: '__deleted' },
  ];

  it('add.fields=op,table,lsn,source.ts_ms with delete rewrite: the row, op, event time and position; metadata taken out', () => {
    const r = decode(framed({ id: 1, email: 'a@b', __op: 'u', __table: 'customers', __lsn: 24023128, __source_ts_ms: 1559033904863, __deleted: 'false' },
      rowSchema(meta)), key1);
    assert.deepEqual([r.op, r.before, r.after, r.eventTime], ['u', null, { id: 1, email: 'a@b' }, 1559033904863]);
    assert.deepEqual(r.position, { lsn: 24023128, txId: null });
    assert.deepEqual(r.table, { db: null, schema: 'public', table: 'customers' }, 'schema from the value schema name');
  });

  it('a rewritten delete (__deleted "true") is op "d" with the row as before', () => {
    const r = decode(jsonText({ id: 1, email: null, __op: 'd', __deleted: 'true' }), jsonText({ id: 1 }));
    assert.deepEqual([r.op, r.before, r.after], ['d', { id: 1, email: null }, null]);
    const noOp = decode(jsonText({ pk: 2, cola: null, __deleted: 'true' }), jsonText({ pk: 2 }));
    assert.deepEqual([noOp.op, noOp.before], ['d', { pk: 2, cola: null }]);
  });

  it('accepts the documentation\'s quoted metadata ("__lsn": "123456789") and a renamed prefix', () => {
    const r = decode(jsonText({ id: 7, meta_op: 'c', meta_table: 'MY_TABLE', meta_lsn: '123456789', meta_source_ts_ms: '123456789' }),
      jsonText({ id: 7 }), {}, new ChangeDecoder({ fieldPrefix: 'meta_' }));
    assert.deepEqual([r.op, r.after, r.eventTime, r.position], ['c', { id: 7 }, 123456789, { lsn: 123456789, txId: null }]);
    assert.equal(r.table?.table, 'MY_TABLE');
  });

  it('a flat row without __op is an upsert; without schema or metadata it needs format "unwrap"', () => {
    const flat = jsonText({ field1: 'newvalue1', field2: 'newvalue2' });
    fails('not-debezium', () => decode(flat, jsonText({ field1: 'newvalue1' })), /no unwrap metadata/);
    const r = decode(flat, jsonText({ field1: 'newvalue1' }), { topic: 'dbserver1.public.t' }, new ChangeDecoder({ format: 'unwrap' }));
    assert.deepEqual([r.op, r.after, r.table], ['upsert', { field1: 'newvalue1', field2: 'newvalue2' }, { db: null, schema: 'public', table: 't' }]);
    const withSchema = decode(framed({ id: 1, email: 'x' }, rowSchema([])), key1);
    assert.equal(withSchema.op, 'upsert', 'a schema marks it as Connect data');
  });

  it('format "envelope" refuses flat rows', () => {
    fails('not-debezium', () => decode(jsonText({ id: 1, __op: 'c' }), key1, {}, new ChangeDecoder({ format: 'envelope' })), /envelope/);
    fails('not-debezium', () => decode(framed({ id: 1, email: 'x' }, rowSchema([])), key1, {}, new ChangeDecoder({ format: 'envelope' })));
  });

  it('tombstone mode: the delete is a null value, decoded as a tombstone of its key', () => {
    assert.equal(decode(null, key1).op, 'tombstone');
  });
});

describe('engine: Debezium decoder — typed columns (SPEC §7.9)', () => {
  it('decodes every column type of the issue from a Debezium 3.7 message', () => {
    const r = decode(framed(typedChange('c', typedWire), TYPED), framed({ id: 1 }, TYPED_KEY));
    assert.deepEqual(r.after, typedDecoded);
    assert.equal(typeof r.after?.big, 'bigint');
    assert.equal(r.tsNs, '1796021980699055000');
  });

  it('without schemas leaves decimals as base64 and times as integers, unless columnTypes says what they are', () => {
    const plain = decode(framed(typedChange('c', typedWire), null), jsonText({ id: 1 }));
    assert.equal(plain.after?.amount, 'ALxhTg==');
    assert.equal(plain.after?.ts, 1709214306123456);
    assert.equal(plain.after?.big, 9007199254740993n, 'int64 stays exact without a schema too');
    const hinted = decode(framed(typedChange('c', typedWire), null), jsonText({ id: 1 }), {}, new ChangeDecoder({
      columnTypes: { amount: 'Decimal(3)', d: 'Date', tm: 'MicroTime', 'typed.ts': 'MicroTimestamp', 'public.typed.j': 'Json',
        b: 'bytes', n: 'VariableScaleDecimal', t3: 'io.debezium.time.Time', ts3: 'timestamp', 'other.r': 'Date' },
    }));
    assert.deepEqual(hinted.after, { ...typedDecoded, r: 3.14 });
  });

  it('notes a Json column whose text is not JSON and keeps the text', () => {
    const r = decode(framed(typedChange('c', { ...typedWire, j: '{broken' }), TYPED), framed({ id: 1 }, TYPED_KEY));
    assert.equal(r.after?.j, '{broken');
    assert.deepEqual(r.warnings, ['after.j: not valid JSON, kept as text']);
    assert.equal(decode(framed(typedChange('c', typedWire), TYPED)).warnings, undefined);
  });

  it('decodes Buffers, already-parsed objects and text alike', () => {
    const text = framed(typedChange('u', typedWire, { id: 1 }), TYPED);
    const fromBuffer = decode(Buffer.from(text), Buffer.from(framed({ id: 1 }, TYPED_KEY)));
    assert.deepEqual(fromBuffer.after, typedDecoded);
    const parsed = JSON.parse(text.replace('9007199254740993', '"x"')) as { payload: { after: { big: unknown } } };
    parsed.payload.after.big = 12;
    const fromObject = decode(parsed, { schema: TYPED_KEY, payload: { id: 1 } });
    assert.deepEqual(fromObject.after, { ...typedDecoded, big: 12 });
  });

  it('reuses a schema for every message that repeats its text, and tells interleaved tables apart', () => {
    const d = new ChangeDecoder();
    const other = { ...CUSTOMERS, name: 'PostgreSQL_server.inventory.other.Envelope' };
    for (let i = 0; i < 3; i++) {
      const t = decode(framed(typedChange('c', { ...typedWire, id: i }), TYPED), framed({ id: i }, TYPED_KEY), {}, d);
      assert.equal(t.after?.amount, '12345.678');
      const c = decode(framed({ ...docs.create, after: { ...docs.create.after, id: i } }, other), key1, {}, d);
      assert.equal(c.after?.id, i);
    }
  });
});

describe('engine: Debezium decoder — reading by a cached schema', () => {
  const typed = (row: object, op: 'c' | 'u' = 'c') => framed(typedChange(op, { ...typedWire, ...row }), TYPED);
  const typedKey = framed({ id: 1 }, TYPED_KEY);

  it('gives the same records when a schema text comes again (read straight from the text) as the first time (parsed)', () => {
    const d = new ChangeDecoder();
    const messages: [string, string | null][] = [[typed({}), typedKey], [framed(docs.create), key1], [framed(docs.update), key1],
      [framed(docs.delete), key1], [framed(docs.truncate), null], [framed(docs.txEnd, TX_VALUE), framed({ id: '571:53195832' }, TX_KEY)]];
    const first = messages.map(([value, key]) => d.decode({ value, key }));
    const again = messages.map(([value, key]) => d.decode({ value, key }));
    assert.deepEqual(again, first);
    assert.deepEqual(first[0].after, typedDecoded);
  });

  it('falls back to parsing for text the converter would not write (fields in another order, a field left out), notes counted once', () => {
    const d = new ChangeDecoder();
    decode(typed({}), typedKey, {}, d);
    const reordered = typed({}).replace('"before":null,"after":', '"after":').replace(',"source":{', ',"before":null,"source":{');
    assert.notEqual(reordered, typed({}));
    assert.deepEqual(decode(reordered, typedKey, {}, d).after, typedDecoded);
    // b comes after j: the note of j is made before the read gives up, and made again by the parse
    const noBytes = typed({ j: '{broken' }).replace('"b":"3q2+7w==",', '');
    const r = decode(noBytes, typedKey, {}, d);
    assert.deepEqual(r.after, { ...typedDecoded, b: null, j: '{broken' });
    assert.deepEqual(r.warnings, ['after.j: not valid JSON, kept as text']);
  });

  it('refuses a payload its schema does not describe on the fast path too, and keeps going', () => {
    const d = new ChangeDecoder();
    decode(typed({}), typedKey, {}, d);
    fails('schema-mismatch', () => decode(typed({ id: 'one' }), typedKey, {}, d), /after\.id/);
    fails('schema-mismatch', () => decode(typed({ flag: 1 }), typedKey, {}, d), /after\.flag/);
    // metadata that no record takes is still checked against its schema
    const typedWith = (change: Record<string, unknown>) => framed({ ...typedChange('c', typedWire), ...change }, TYPED);
    const source = typedChange('c', typedWire).source as Record<string, unknown>;
    fails('schema-mismatch', () => decode(typedWith({ ts_ns: 1.5 }), typedKey, {}, d), /at ts_ns: expected an int64/);
    fails('schema-mismatch', () => decode(typedWith({ source: { ...source, version: 3 } }), typedKey, {}, d), /at source\.version: expected a string/);
    fails('schema-mismatch', () => decode(typedWith({ source: { ...source, name: null } }), typedKey, {}, d), /source\.name: a required value is null/);
    fails('not-debezium', () => decode(typedWith({ source: { ...source, sequence: '\u0000' } }).replace('\\u0000', '\\x'), typedKey, {}, d), /invalid escape/);
    assert.equal(decode(typedWith({ source: { ...source, sequence: 'a\tb' } }), typedKey, {}, d).op, 'c');
    fails('not-debezium', () => decode(typed({}).slice(0, -3), typedKey, {}, d), /not JSON/);
    fails('not-debezium', () => decode(`${typed({})} x`, typedKey, {}, d));
    assert.deepEqual(decode(typed({ t: 'ok' }, 'u'), typedKey, {}, d).after, { ...typedDecoded, t: 'ok' });
  });

  it('reads a null payload after a cached schema as a tombstone, and a null key payload as no key', () => {
    const d = new ChangeDecoder();
    decode(framed(docs.create), key1, {}, d);
    assert.equal(decode(`{"schema":${JSON.stringify(CUSTOMERS)},"payload":null}`, key1, {}, d).op, 'tombstone');
    assert.equal(decode(framed(docs.truncate), `{"schema":${JSON.stringify(CUSTOMERS_KEY)},"payload":null}`, {}, d).key, null);
  });
});

describe('engine: Debezium decoder — bad input', () => {
  const bad: [string, string, () => unknown, RegExp?][] = [
    ['text that is not JSON', 'not-debezium', () => decode('{"before": nul'), /not JSON/],
    ['a JSON array', 'not-debezium', () => decode('[1,2]'), /array/],
    ['a JSON number', 'not-debezium', () => decode('42')],
    ['an unknown op', 'unknown-op', () => decode(framed({ ...docs.create, op: 'x' })), /"x"/],
    ['an unknown op without schemas', 'unknown-op', () => decode(jsonText({ ...docs.create, op: 'z' }))],
    ['a string where the schema says int32', 'schema-mismatch', () => decode(framed({ ...docs.create, after: { ...docs.create.after, id: 'one' } })), /after\.id/],
    ['a missing required field', 'schema-mismatch', () => decode(framed({ ...docs.create, after: { id: 1, first_name: 'A', last_name: 'K' } })), /after\.email/],
    ['a field the schema does not have', 'schema-mismatch', () => decode(framed({ ...docs.create, after: { ...docs.create.after, age: 3 } })), /"age"/],
    ['an envelope without source', 'not-debezium', () => decode(jsonText({ op: 'c', after: {}, source: 'x' }), key1)],
    ['a create without after', 'not-debezium', () => decode(jsonText({ ...docs.create, after: null })), /without "after"/],
    ['a null value without a key', 'not-debezium', () => decode(null, null), /tombstone/],
    ['text after the JSON value', 'not-debezium', () => decode(`${framed(docs.create)}x`)],
    ['a key that is not an object', 'not-debezium', () => decode(framed(docs.create), '"k"')],
  ];
  for (const [what, reason, fn, detail] of bad) it(`refuses ${what} (${reason})`, () => fails(reason, fn, detail));

  it('keeps decoding after a refused message, with the schema it had cached', () => {
    const d = new ChangeDecoder();
    assert.equal(decode(framed(docs.create), key1, {}, d).op, 'c');
    fails('schema-mismatch', () => decode(framed({ ...docs.create, after: { ...docs.create.after, id: 'x' } }), key1, {}, d));
    fails('not-debezium', () => decode('{', key1, {}, d));
    assert.equal(decode(framed(docs.update), key1, {}, d).after?.first_name, 'Anne Marie');
  });

  it('refuses invalid options', () => {
    assert.throws(() => new ChangeDecoder({ format: 'xml' as never }), /format/);
    assert.throws(() => new ChangeDecoder({ columnTypes: { a: 'Nonsense' } }), /unknown column type/);
    assert.throws(() => new ChangeDecoder({ columnTypes: { a: 'Date(3)' } }), /only Decimal/);
    assert.throws(() => new ChangeDecoder({ fieldPrefix: '' }), /prefix/);
  });
});
