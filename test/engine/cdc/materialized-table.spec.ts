/** The materialized table: the current row per primary key, changes with `before` from the table, idempotent replay. */
import assert from 'node:assert/strict';
import {
  ChangeDecoder, EngineError, MaterializedTable, UNAVAILABLE_PLACEHOLDER, type CdcRecord, type MaterializedChange,
} from '../../../src/engine';
import { TYPED, TYPED_KEY, framed, typedChange, typedDecoded, typedWire } from '../../fixtures/debezium';

type Row = Record<string, unknown>;
const table = { db: 'shop', schema: 'public', table: 'items' };
const rec = (op: CdcRecord['op'], key: Row | null, after: Row | null, before: Row | null = null, t: CdcRecord['table'] = table): CdcRecord => ({
  op, key, before, after, table: t, eventTime: 1, connectorTime: 2, tsNs: null, snapshot: 'false', position: null,
  transaction: null, headers: {},
});
const row = (id: number, name: string, extra: Row = {}) => ({ id, name, qty: id * 10, ...extra });
const change = (op: MaterializedChange['op'], key: Row | null, before: Row | null, after: Row | null): MaterializedChange =>
  ({ op, table: 'shop.public.items', key, before, after });
/** The tombstone's table as the decoder names it from a key schema or a topic: no database. */
const tombTable = { db: null, schema: 'public', table: 'items' };

describe('engine: materialized table', () => {
  it('keeps the current row per key, and says what each record changed with before from the table', () => {
    const m = new MaterializedTable();
    assert.deepEqual(m.apply(rec('r', { id: 1 }, row(1, 'a'))), [change('r', { id: 1 }, null, row(1, 'a'))]);
    assert.deepEqual(m.apply(rec('c', { id: 2 }, row(2, 'b'))), [change('c', { id: 2 }, null, row(2, 'b'))]);
    // REPLICA IDENTITY DEFAULT: the source sends no before (or the key only); the table has the full row.
    assert.deepEqual(m.apply(rec('u', { id: 1 }, row(1, 'a2'), { id: 1 })), [change('u', { id: 1 }, row(1, 'a'), row(1, 'a2'))]);
    assert.deepEqual(m.apply(rec('d', { id: 2 }, null, { id: 2 })), [change('d', { id: 2 }, row(2, 'b'), null)]);
    assert.deepEqual(m.rows(), [row(1, 'a2')]);
    assert.equal(m.size, 1);
  });

  it('a tombstone after its delete changes nothing; a tombstone alone deletes (unwrap "tombstone" mode)', () => {
    const m = new MaterializedTable();
    m.apply(rec('c', { id: 1 }, row(1, 'a')));
    m.apply(rec('c', { id: 2 }, row(2, 'b')));
    m.apply(rec('d', { id: 1 }, null));
    assert.deepEqual(m.apply(rec('tombstone', { id: 1 }, null, null, tombTable)), []);
    assert.deepEqual(m.apply(rec('tombstone', { id: 2 }, null, null, tombTable)), [change('d', { id: 2 }, row(2, 'b'), null)]);
    assert.equal(m.size, 0);
  });

  it('a primary-key change (delete, tombstone, create) moves the row to its new key', () => {
    const m = new MaterializedTable();
    m.apply(rec('c', { id: 1 }, row(1, 'a')));
    const out = [
      m.apply(rec('d', { id: 1 }, null, { id: 1 })),
      m.apply(rec('tombstone', { id: 1 }, null, null, tombTable)),
      m.apply(rec('c', { id: 5 }, row(5, 'a'))),
    ];
    assert.deepEqual(out, [[change('d', { id: 1 }, row(1, 'a'), null)], [], [change('c', { id: 5 }, null, row(5, 'a'))]]);
    assert.deepEqual(m.lookup({ id: 1 }), null);
    assert.deepEqual(m.lookup(5), row(5, 'a'));
  });

  it('truncate clears the table and says so', () => {
    const m = new MaterializedTable();
    m.apply(rec('c', { id: 1 }, row(1, 'a')));
    m.apply(rec('c', { id: 1 }, row(1, 'x'), null, { db: 'shop', schema: 'public', table: 'other' }));
    assert.deepEqual(m.apply(rec('t', null, null)), [{ op: 't', table: 'shop.public.items', key: null, before: null, after: null }]);
    assert.deepEqual(m.rows('items'), []);
    assert.deepEqual(m.rows('other'), [row(1, 'x')]);
  });

  it('an upsert (flat row without op) is a create or an update by whether the key was there', () => {
    const m = new MaterializedTable();
    assert.equal(m.apply(rec('upsert', { id: 1 }, row(1, 'a')))?.[0].op, 'c');
    assert.deepEqual(m.apply(rec('upsert', { id: 1 }, row(1, 'b'))), [change('u', { id: 1 }, row(1, 'a'), row(1, 'b'))]);
  });

  it('keeps a column the source could not send (unchanged TOASTed value placeholder)', () => {
    const m = new MaterializedTable();
    m.apply(rec('c', { id: 1 }, row(1, 'a', { doc: 'long text', blob: Buffer.from('xyz') })));
    const [c] = m.apply(rec('u', { id: 1 }, row(1, 'b', { doc: UNAVAILABLE_PLACEHOLDER, blob: Buffer.from(UNAVAILABLE_PLACEHOLDER) }))) ?? [];
    assert.deepEqual(c.after, row(1, 'b', { doc: 'long text', blob: Buffer.from('xyz') }));
    const custom = new MaterializedTable({ placeholder: '??' });
    custom.apply(rec('c', { id: 1 }, row(1, 'a')));
    assert.equal(custom.apply(rec('u', { id: 1 }, row(1, '??')))?.[0].after?.name, 'a');
  });

  it('messages, transaction and heartbeat records change nothing', () => {
    const m = new MaterializedTable();
    for (const op of ['m', 'tx', 'heartbeat'] as const) assert.deepEqual(m.apply(rec(op, null, null, null, null)), []);
  });

  describe('replay', () => {
    it('skips a record at or below the last position applied from its stream, and counts it', () => {
      const m = new MaterializedTable();
      const at = (offset: number | string, stream = 'topic/0') => ({ stream, offset });
      assert.ok(m.apply(rec('c', { id: 1 }, row(1, 'a')), at(10)));
      assert.ok(m.apply(rec('u', { id: 1 }, row(1, 'b')), at(11)));
      assert.equal(m.apply(rec('c', { id: 1 }, row(1, 'a')), at(10)), null, 'a replayed create does not bring back the old row');
      assert.equal(m.apply(rec('u', { id: 1 }, row(1, 'b')), at('11')), null);
      assert.ok(m.apply(rec('c', { id: 2 }, row(2, 'c')), at(3, 'topic/1')), 'each partition has its own position');
      assert.deepEqual(m.rows(), [row(1, 'b'), row(2, 'c')]);
      assert.deepEqual(m.stats, { applied: 3, skipped: 2 });
    });

    it('compares offsets beyond 2^53 exactly', () => {
      const m = new MaterializedTable();
      m.apply(rec('c', { id: 1 }, row(1, 'a')), { stream: 's', offset: '9007199254740993' });
      assert.equal(m.apply(rec('c', { id: 1 }, row(1, 'z')), { stream: 's', offset: '9007199254740992' }), null);
      assert.ok(m.apply(rec('c', { id: 1 }, row(1, 'z')), { stream: 's', offset: 9007199254740994n }));
    });

    it('a full replay of a stream after a restore changes nothing', () => {
      const events = [rec('r', { id: 1 }, row(1, 'a')), rec('c', { id: 2 }, row(2, 'b')), rec('u', { id: 1 }, row(1, 'c')),
        rec('d', { id: 2 }, null), rec('tombstone', { id: 2 }, null, null, tombTable), rec('t', null, null), rec('c', { id: 3 }, row(3, 'd'))];
      const m = new MaterializedTable();
      events.forEach((e, i) => m.apply(e, { stream: 'p0', offset: i }));
      const restored = new MaterializedTable();
      restored.restore(JSON.parse(JSON.stringify(m.snapshot())));
      events.forEach((e, i) => assert.equal(restored.apply(e, { stream: 'p0', offset: i }), null));
      assert.deepEqual(restored.rows(), [row(3, 'd')]);
    });
  });

  it('refuses a row event without a key (a table without primary key) and changes nothing', () => {
    const m = new MaterializedTable();
    assert.throws(() => m.apply(rec('c', null, row(1, 'a')), { stream: 's', offset: 1 }),
      (e: EngineError) => e.reason === 'missing-key' && /shop\.public\.items has no primary key/.test(e.message));
    assert.equal(m.size, 0);
    assert.ok(m.apply(rec('c', { id: 1 }, row(1, 'a')), { stream: 's', offset: 1 }), 'the refused record did not take its position');
  });

  describe('lookup', () => {
    const m = new MaterializedTable();
    m.apply(rec('c', { id: 1 }, row(1, 'a')));
    m.apply(rec('c', { a: 1, b: 'x' }, { a: 1, b: 'x', v: 1 }, null, { db: 'shop', schema: 'sales', table: 'pairs' }));

    it('finds a row by its key in a named table (table, schema.table or db.schema.table)', () => {
      for (const name of ['items', 'public.items', 'shop.public.items']) assert.deepEqual(m.lookup({ id: 1 }, name), row(1, 'a'));
      assert.deepEqual(m.lookup({ b: 'x', a: 1 }, 'pairs'), { a: 1, b: 'x', v: 1 }, 'key columns in any order');
      assert.equal(m.lookup({ id: 9 }, 'items'), null);
      assert.equal(m.lookup({ id: 1 }, 'nowhere'), null);
    });

    it('takes a single-column key as its value; asks for the table when several are kept', () => {
      assert.deepEqual(m.lookup(1, 'items'), row(1, 'a'));
      assert.throws(() => m.lookup({ id: 1 }), (e: EngineError) => e.reason === 'bad-lookup' && /2 tables/.test(e.message));
      assert.throws(() => m.lookup(1, 'pairs'), (e: EngineError) => e.reason === 'bad-lookup' && /a, b/.test(e.message));
    });
  });

  it('snapshots to JSON and restores every table, row, int64 and byte column', () => {
    const d = new ChangeDecoder();
    const m = new MaterializedTable();
    const r = d.decode({ value: framed(typedChange('c', typedWire), TYPED), key: framed({ id: 1 }, TYPED_KEY) });
    m.apply(r, { stream: 'dbserver1.public.typed/0', offset: 41 });
    const json = JSON.stringify(m.snapshot());
    const back = new MaterializedTable();
    back.restore(JSON.parse(json));
    assert.deepEqual(back.lookup({ id: 1 }, 'typed'), typedDecoded);
    assert.equal(back.apply(r, { stream: 'dbserver1.public.typed/0', offset: 41 }), null);
    assert.throws(() => back.restore({ v: 9 }), /not a snapshot/);
  });
});
