/**
 * Message completion on a real Node-RED runtime (4.1 and 5), as kafka in uses it to commit only finished records:
 * the messaging hooks (src/nodes/shared/completion.ts) must report a message complete exactly when every message
 * descending from it has finished — over several wires, nodes that send several messages per input, no wires,
 * nodes that never call done, and errors handled by Catch nodes.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Node, NodeAPI, NodeInitializer } from 'node-red';
import { acquireCompletion, releaseCompletion } from '../../src/nodes/shared/completion';
import { helper } from './util';

/** A source node: every input is re-emitted as a tracked message; `completed` lists ids as they complete. */
const completed: string[] = [];
const emitted: string[] = [];
const testSource: NodeInitializer = (RED: NodeAPI) => {
  function TestSource(this: Node, config: object) {
    RED.nodes.createNode(this, config as never);
    const node = this;
    const tracker = acquireCompletion(RED);
    let seq = 0;
    node.on('input', (msg: Record<string, unknown>, _send: unknown, done: () => void) => {
      const id = `src-${node.id}-${seq++}`;
      const out = { payload: msg.payload, _msgid: id };
      emitted.push(id);
      tracker.track(id, node, () => completed.push(id));
      node.send(out as never);
      tracker.release(id);
      done();
    });
    node.on('close', () => { tracker.forget(node); releaseCompletion(RED); });
  }
  RED.nodes.registerType('test-source', TestSource as never);
};

function core(...files: string[]): NodeInitializer[] {
  const nodeRed = path.dirname(require.resolve(`${process.env.STREAMKIT_NODE_RED || 'node-red'}/package.json`));
  const dir = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [nodeRed] }));
  return files.map((f) => require(path.join(dir, 'core', f)) as NodeInitializer);
}
const CORE = core('function/10-function.js', 'function/10-switch.js', 'common/25-catch.js', 'sequence/17-split.js', 'common/60-link.js');
const nodes = [testSource, ...CORE];

/** A function node finishing each message after `ms` (and sending it on unless `send` is false). */
const slow = (id: string, ms: number, wires: string[][] = [], body = 'node.send(msg);') => ({
  id, type: 'function', z: 'f', name: `slow ${id}`, outputs: 1, wires,
  func: `setTimeout(() => { ${body} node.done(); }, ${ms}); return null;`,
});

async function run(flow: object[], payload: unknown = 1): Promise<{ completedAt: number; id: string }> {
  completed.length = 0;
  emitted.length = 0;
  await helper.load(nodes, [{ id: 'f', type: 'tab' }, ...flow] as never);
  const t0 = Date.now();
  (helper.getNode('src') as Node).receive({ payload } as never);
  const deadline = Date.now() + 5000;
  while (completed.length === 0) {
    if (Date.now() > deadline) throw new Error('the message never completed');
    await new Promise((r) => setTimeout(r, 2));
  }
  return { completedAt: Date.now() - t0, id: completed[0] };
}

const src = (wires: string[][]) => ({ id: 'src', type: 'test-source', z: 'f', wires });

describe('message completion through the messaging hooks', function () {
  this.timeout(10000);
  before((done) => { helper.startServer(done); });
  after((done) => { helper.stopServer(done); });
  afterEach(() => helper.unload());

  it('completes a message sent to no wire at once', async () => {
    const r = await run([src([])]);
    assert.ok(r.completedAt < 100);
    assert.equal(r.id, emitted[0]);
  });

  it('waits for every copy sent to several wires, the slowest included', async () => {
    const r = await run([src([['a', 'b']]), slow('a', 10), slow('b', 150)]);
    assert.ok(r.completedAt >= 140, `completed after ${r.completedAt} ms`);
  });

  it('waits for every message a node sends for one input, and for the nodes after it', async () => {
    const fan = { id: 'fan', type: 'function', z: 'f', name: 'fan out', outputs: 1, wires: [['tail']],
      func: 'for (let i = 0; i < 3; i++) setTimeout(() => node.send({ ...msg, payload: i }), 20 * i); setTimeout(() => node.done(), 60); return null;' };
    const r = await run([src([['fan']]), fan, slow('tail', 100)]);
    assert.ok(r.completedAt >= 130, `completed after ${r.completedAt} ms`);
  });

  it('follows a split into parts, although the split node gives them new ids', async () => {
    const split = { id: 'splitter', type: 'split', z: 'f', name: '', splt: '\\n', spltType: 'str', arraySplt: 1, arraySpltType: 'len',
      stream: false, addname: '', wires: [['part']] };
    const r = await run([src([['splitter']]), split, slow('part', 80)], [1, 2, 3]);
    assert.ok(r.completedAt >= 70, `completed after ${r.completedAt} ms`);
  });

  it('counts a node that never calls done (the switch node) as finished when its handler returns', async () => {
    const sw = { id: 'sw', type: 'switch', z: 'f', name: '', property: 'payload', propertyType: 'msg',
      rules: [{ t: 'gt', v: '0', vt: 'num' }], checkall: 'true', repair: false, outputs: 1, wires: [['after']] };
    const r = await run([src([['sw']]), sw, slow('after', 100)]);
    assert.ok(r.completedAt >= 90, `the node after the switch is waited for (${r.completedAt} ms)`);
  });

  it('keeps a record open while a Catch flow handles its error', async () => {
    const fail = { id: 'fail', type: 'function', z: 'f', name: 'throws', outputs: 1, wires: [[]], func: 'throw new Error("boom");' };
    const c = { id: 'c', type: 'catch', z: 'f', x: 100, y: 100, name: '', scope: ['fail'], uncaught: false, wires: [['handler']] };
    const r = await run([src([['fail']]), fail, c, slow('handler', 120)]);
    assert.ok(r.completedAt >= 110, `completed after ${r.completedAt} ms`);
  });

  it('follows a message through link nodes', async () => {
    const out = { id: 'lo', type: 'link out', z: 'f', name: '', mode: 'link', links: ['li'], wires: [] };
    const inn = { id: 'li', type: 'link in', z: 'f', name: '', links: [], wires: [['end']] };
    const r = await run([src([['lo']]), out, inn, slow('end', 100)]);
    assert.ok(r.completedAt >= 90, `completed after ${r.completedAt} ms`);
  });
});
