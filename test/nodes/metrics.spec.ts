/**
 * Every StreamKit node joins the runtime-wide metrics registry while it runs (through its status reporter):
 * records in, messages out and errors, plus what only it counts; it leaves the registry when it stops.
 * The admin endpoint that serves these counts is tested against a real runtime in test/runtime/.
 */
import assert from 'node:assert/strict';
import { EOS, TYPES, buildFlow, helper, isEosMsg, rec, settle, start, type Kind, type Msg } from './util';
import { docs, jsonText } from '../fixtures/debezium';

// The registry the built node files share (dist/engine.js), not a second copy compiled from src/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { metrics } = require('../../dist/engine.js') as typeof import('../../src/engine');

const countsOf = (id: string) => metrics.list().find((s) => s.node.id === id)?.read();

/** Node-specific counts each kind reports beyond in, out and errors. */
const EXTRA: Record<Kind, string[]> = {
  filter: [],
  map: [],
  aggregate: ['buffered'],
  tumbling: ['late', 'buffered'],
  sliding: ['late', 'buffered'],
  session: ['late', 'buffered'],
  debezium: [],
};

/** Two records each kind takes without an error (by default `rec('a', 100, 5)` and `rec('b', 200, 7)`). */
const RECORDS: Partial<Record<Kind, () => Msg[]>> = {
  debezium: () => [1, 2].map((id) => ({ payload: jsonText({ ...docs.create, after: { ...docs.create.after, id } }), key: jsonText({ id }) })),
};

describe('metrics of every node type', () => {
  afterEach(() => helper.unload());

  for (const kind of Object.keys(TYPES) as Kind[]) {
    it(`${kind}: counts records in and messages out as they arrive downstream, and leaves the registry when stopped`, async () => {
      const r = await start(buildFlow(kind, { name: 'counted' }));
      const before = countsOf(r.node.id);
      assert.ok(before, 'the running node is in the registry');
      assert.deepEqual(metrics.list().find((s) => s.node.id === r.node.id)!.node, { id: r.node.id, type: TYPES[kind], name: 'counted', flow: r.tf.tab });
      for (const m of RECORDS[kind]?.() ?? [rec('a', 100, 5), rec('b', 200, 7)]) r.node.receive(m);
      r.node.receive(EOS());
      await r.out[0].waitWhere(isEosMsg, 1);
      await settle();
      const arrived = r.out.reduce((n, o) => n + o.msgs.length, 0);
      const c = countsOf(r.node.id)!;
      assert.ok(c.in >= 2, `in counts the records (${c.in})`);
      assert.equal(c.out, arrived, 'out counts every message sent');
      assert.equal(c.errors, 0);
      assert.deepEqual(Object.keys(c).filter((k) => !['in', 'out', 'errors'].includes(k)).sort(), EXTRA[kind].sort());
      await helper.unload();
      assert.equal(countsOf(r.tf.id), undefined, 'a stopped node is no longer exported');
    });
  }

  for (const kind of ['tumbling', 'sliding', 'session', 'aggregate'] as Kind[]) {
    it(`${kind}: counts a bad record as an error`, async () => {
      const r = await start(buildFlow(kind));
      r.node.receive({ payload: 'not a number', key: 'a', timestamp: 100 } as Msg);
      await r.caught.wait(1);
      assert.equal(countsOf(r.node.id)!.errors, 1);
    });
  }

  it('windows count late records and open windows', async () => {
    const r = await start(buildFlow('tumbling', { size: 1, sizeUnits: 's' }));
    r.node.receive(rec('a', 100, 1));
    r.node.receive(rec('b', 1500, 1));
    r.node.receive(rec('a', 5000, 1));
    r.node.receive(rec('a', 200, 1));
    await r.out[1].wait(1);
    const c = countsOf(r.node.id)!;
    assert.equal(c.late, 1);
    assert.equal(c.buffered, 1, 'only the window of t = 5000 is open');
  });
});
