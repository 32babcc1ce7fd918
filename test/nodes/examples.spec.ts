/**
 * The example flows in examples/ (Import > Examples): each deploys into a real Node-RED runtime with only core
 * nodes and StreamKit, every node starts, nothing reports an error; the demo produces window results.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node, NodeInitializer } from 'node-red';
import { errors, helper, nodes, type Msg } from './util';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

/** Core nodes the examples use, from the Node-RED under test. */
function coreNodes(): NodeInitializer[] {
  const nodeRed = path.dirname(require.resolve(`${process.env.STREAMKIT_NODE_RED || 'node-red'}/package.json`));
  const core = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [nodeRed] }));
  return ['common/20-inject.js', 'common/21-debug.js', 'common/25-catch.js', 'common/90-comment.js', 'function/10-function.js']
    .map((f) => require(path.join(core, 'core', f)) as NodeInitializer);
}

type FlowNode = { id: string; type: string; name?: string; wires?: string[][] };
const read = (file: string): FlowNode[] => JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
const byName = (flow: FlowNode[], name: string): string => {
  const n = flow.find((x) => x.name === name);
  assert.ok(n, `the example has a node named "${name}"`);
  return n.id;
};

describe('examples', () => {
  const all = [...Object.values(nodes), ...coreNodes()];
  before((done) => { helper.startServer(done); });
  after((done) => { helper.stopServer(done); });
  afterEach(() => helper.unload());

  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
  it('has one example flow per node type, and a demo', () => {
    const types = new Set(files.flatMap((f) => read(f).map((n) => n.type)));
    for (const t of ['filter', 'map', 'tumbling-window', 'sliding-window', 'session-window', 'aggregate', 'kafka-in', 'kafka-out', 'debezium', 'influxdb-write']) {
      assert.ok(types.has(`streamkit-${t}`), `an example uses streamkit-${t}`);
    }
    assert.ok(files.includes('demo-sensor-stream.json'));
  });

  for (const file of files) {
    it(`deploys ${file}: every node starts, none reports an error, a comment says what it shows`, async () => {
      const flow = read(file);
      assert.ok(flow.some((n) => n.type === 'comment'), 'a comment node explains the example');
      await helper.load(all, flow as never);
      for (const n of flow.filter((x) => x.type !== 'tab')) {
        const node = helper.getNode(n.id) as Node | null;
        assert.ok(node, `${n.type} ${n.name ?? n.id} started`);
        assert.deepEqual(errors(node).map((e) => String(e.err)), [], `${n.type} ${n.name ?? n.id} reported no error`);
      }
    });
  }

  it('runs the demo: simulated sensors → filter → windows → aggregate produce results', async () => {
    const flow = read('demo-sensor-stream.json');
    await helper.load(all, flow as never);
    const seen = (name: string): Msg[] => {
      const got: Msg[] = [];
      (helper.getNode(byName(flow, name)) as Node).on('input', (m: object) => { got.push(m as Msg); });
      return got;
    };
    const tumbling = seen('5 s averages');
    const sliding = seen('last 30 s, every 5 s');
    const stats = seen('running stats');
    const generator = helper.getNode(byName(flow, 'simulate 5 sensors')) as Node;
    for (let i = 0; i < 60; i++) generator.receive({});
    await new Promise((r) => setTimeout(r, 100));
    (helper.getNode(byName(flow, 'end of stream')) as Node).receive({});
    await new Promise((r) => setTimeout(r, 300));
    const results = (ms: Msg[]) => ms.filter((m) => m.window);
    assert.ok(results(tumbling).length > 0, 'the tumbling window sent results');
    assert.ok(results(sliding).length > 0, 'the sliding window sent results');
    assert.ok(stats.some((m) => typeof m.payload?.avg === 'number'), 'the aggregate sent running statistics');
    for (const m of results(tumbling)) {
      assert.equal(m.window.end - m.window.start, 5000);
      assert.ok(m.payload.count > 0 && Number.isFinite(m.payload.avg), 'each result carries its aggregates');
    }
    for (const n of flow.filter((x) => x.type.startsWith('streamkit-'))) {
      assert.deepEqual(errors(helper.getNode(n.id) as Node).map((e) => String(e.err)), [], `${n.type} reported no error`);
    }
  });
  it('runs the debezium example: decoded rows per operation, a materialized table and a lookup', async () => {
    const flow = read('debezium-cdc.json');
    await helper.load(all, flow as never);
    const seen = (name: string): Msg[] => {
      const got: Msg[] = [];
      (helper.getNode(byName(flow, name)) as Node).on('input', (m: object) => { got.push(m as Msg); });
      return got;
    };
    const inserted = seen('inserted');
    const deleted = seen('deleted (key only: REPLICA IDENTITY DEFAULT)');
    const table = seen('table changes and lookups');
    (helper.getNode(byName(flow, 'send the changes')) as Node).receive({});
    await new Promise((r) => setTimeout(r, 200));
    (helper.getNode(byName(flow, 'look up account 1')) as Node).receive({ lookup: 1 });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(inserted.map((m) => [m.payload.after.owner, m.payload.after.balance]), [['Anne', '123.45'], ['Bob', '5.00']]);
    assert.deepEqual(deleted.map((m) => m.payload.before), [{ id: 2 }]);
    assert.deepEqual(table.map((m) => m.payload.op ?? m.payload.owner), ['c', 'c', 'u', 'd', 'Anne']);
    assert.deepEqual(table[3].payload.before.owner, 'Bob', 'the table knew the deleted row');
    assert.equal(table[4].payload.balance, '99.90');
  });

  it('runs the click-stream example: sessions per user → summary, single-click sessions, running session length', async () => {
    const flow = read('clickstream-sessions.json');
    await helper.load(all, flow as never);
    const seen = (name: string): Msg[] => {
      const got: Msg[] = [];
      (helper.getNode(byName(flow, name)) as Node).on('input', (m: object) => { if (!(m as Msg).control) got.push(m as Msg); });
      return got;
    };
    const sessions = seen('sessions');
    const bounces = seen('single-click sessions');
    const length = seen('session length (s)');
    const window = helper.getNode(byName(flow, 'sessions (gap 10 s)')) as Node;
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    for (const [key, s, payload] of [['ana', 0, '/'], ['ben', 1, '/'], ['ana', 3, '/product'], ['ana', 7, '/cart'], ['ana', 30, '/']] as const) {
      window.receive({ key, timestamp: t0 + s * 1000, payload });
    }
    await new Promise((r) => setTimeout(r, 100));
    (helper.getNode(byName(flow, 'end of stream')) as Node).receive({});
    await new Promise((r) => setTimeout(r, 200));
    const byUser = (u: string) => sessions.filter((m) => m.payload.user === u).map((m) => m.payload);
    assert.deepEqual(byUser('ana'), [
      { user: 'ana', clicks: 3, pages: 3, entry: '/', exit: '/cart', seconds: 7 },
      { user: 'ana', clicks: 1, pages: 1, entry: '/', exit: '/', seconds: 0 },
    ]);
    assert.deepEqual(byUser('ben'), [{ user: 'ben', clicks: 1, pages: 1, entry: '/', exit: '/', seconds: 0 }]);
    assert.deepEqual(bounces.map((m) => m.payload.user).sort(), ['ana', 'ben']);
    const last = length[length.length - 1].payload;
    assert.deepEqual([last.count, last.max], [3, 7]);
    assert.ok(Math.abs(last.avg - 7 / 3) < 1e-9);
  });
});
