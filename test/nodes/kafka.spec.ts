/**
 * streamkit-kafka-broker / -in / -out on a real Node-RED runtime without a broker: invalid configuration is refused
 * with a clear message and a red status; kafka out against brokers that cannot be reached keeps records up to its
 * buffer and fails the rest to Catch nodes, counted; kafka in reports the unreachable brokers and keeps running.
 * What needs a broker is in test/integration/kafka.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import type { Node, NodeInitializer } from 'node-red';
/** A local port nobody listens on (free a moment ago): connections are refused at once. */
import { freePort as closedPort } from '../helpers/node-red-process';
import { errorText, errors, helper, lastStatus, nodes, statuses, warnings, type Msg } from './util';
import { until } from '../helpers/wait';

const coreNode = (file: string): NodeInitializer => {
  const nodeRed = path.dirname(require.resolve(`${process.env.STREAMKIT_NODE_RED || 'node-red'}/package.json`));
  const dir = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [nodeRed] }));
  return require(path.join(dir, 'core', file)) as NodeInitializer;
};
const all = () => [nodes.kafkaBroker, nodes.kafkaIn, nodes.kafkaOut, coreNode('common/25-catch.js'), coreNode('common/24-complete.js')];

const broker = (brokers: string, extra: Msg = {}) => ({ id: 'kb', type: 'streamkit-kafka-broker', name: '', brokers, clientId: '',
  usetls: false, tls: '', sasl: 'none', connectionTimeout: 500, requestTimeout: 1000, ...extra });
const kin = (extra: Msg = {}) => ({ id: 'kin', type: 'streamkit-kafka-in', z: 't', x: 100, y: 100, name: '', broker: 'kb', topicType: 'list', topics: 'a',
  groupId: 'g', start: 'earliest', valueFormat: 'json', keyFormat: 'string', output: 'record', maxInFlight: 1000, resumeAt: 500,
  deadLetter: false, deadLetterTopic: '', wires: [[]], ...extra });
const kout = (extra: Msg = {}) => ({ id: 'kout', type: 'streamkit-kafka-out', z: 't', x: 100, y: 100, name: '', broker: 'kb', topic: 'a',
  valueProp: 'payload', valuePropType: 'msg', keyProp: 'key', keyPropType: 'msg', partition: '', partitionType: 'none', acks: 'all',
  idempotent: false, compression: 'none', linger: 0, batchSize: 100, maxBuffered: 3, batch: false, wires: [], ...extra });

/** A local "broker" that takes every connection and closes it at once, counting them. */
async function slammingDoor(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const srv = net.createServer((socket) => { connections++; socket.destroy(); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, connections: () => connections, close: () => new Promise((r) => srv.close(() => r())) };
}

/** Catch and Complete nodes for kafka out (on the tab: with x/y, or Node-RED takes them for config nodes), wired to helper nodes. */
const reporters = () => [
  { id: 'c', type: 'catch', z: 't', x: 100, y: 100, name: '', scope: ['kout'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper', z: 't', x: 100, y: 100 },
  { id: 'cp', type: 'complete', z: 't', x: 100, y: 100, name: '', scope: ['kout'], uncaught: false, wires: [['completed']] },
  { id: 'completed', type: 'helper', z: 't', x: 100, y: 100 },
];

function recorded(id: string): Msg[] {
  const got: Msg[] = [];
  (helper.getNode(id) as Node).on('input', (m: object) => { got.push(m as Msg); });
  return got;
}

async function load(flow: object[]): Promise<void> {
  await helper.load(all(), [{ id: 't', type: 'tab' }, ...flow] as never);
}

/**
 * The helper's RED._ returns the bare catalog key; here it also shows the key's values, so that a refusal can be
 * checked for the reason it gives.
 */
function showCatalogValues(): () => void {
  const util = (helper as unknown as { _registryUtil: { createNodeApi(...a: unknown[]): Record<string, unknown> } })._registryUtil;
  const create = util.createNodeApi;
  util.createNodeApi = (...a: unknown[]) => {
    const red = create.apply(util, a);
    const show = (key: string, vars?: Record<string, unknown>) => (vars ? `${key} ${JSON.stringify(vars)}` : key);
    // The helper sets its own `_` right after; this one stays.
    Object.defineProperty(red, '_', { get: () => show, set: () => undefined, configurable: true });
    return red;
  };
  return () => { util.createNodeApi = create; };
}

describe('streamkit-kafka nodes without a broker', function () {
  this.timeout(15000);
  let restore: () => void;
  before((done) => { restore = showCatalogValues(); helper.startServer(done); });
  after((done) => { restore(); helper.stopServer(done); });
  afterEach(() => helper.unload());

  const refused: [string, () => object[], RegExp][] = [
    ['kafka in without a broker configuration', () => [kin({ broker: '' })], /no-broker|no Kafka broker/],
    ['kafka in with a bad broker address', () => [broker('localhost'), kin()], /host:port/],
    ['kafka in without a topic', () => [broker('localhost:9092'), kin({ topics: ' , ' })], /no topic/],
    ['kafka in with an invalid regular expression', () => [broker('localhost:9092'), kin({ topicType: 'regex', topics: '(' })], /regular expression/i],
    ['kafka in with the resume mark above the limit', () => [broker('localhost:9092'), kin({ maxInFlight: 10, resumeAt: 10 })], /resume mark/],
    ['kafka in with a dead-letter copy but no topic', () => [broker('localhost:9092'), kin({ deadLetter: true })], /dead-letter topic/],
    ['kafka out idempotent without acks from all replicas', () => [broker('localhost:9092'), kout({ idempotent: true, acks: 'leader' })], /idempotent/],
    ['kafka out with a negative buffer', () => [broker('localhost:9092'), kout({ maxBuffered: -1 })], /buffer size/],
    ['SASL without a user name', () => [broker('localhost:9092', { sasl: 'scram-sha-512' }), kout()], /no-username|user name/],
  ];
  for (const [what, flow, why] of refused) {
    it(`refuses ${what} with a clear error and a red status`, async () => {
      await load(flow());
      const node = (helper.getNode('kin') ?? helper.getNode('kout')) as Node;
      const logged = errors(node).map((e) => errorText(e.err)).join(' | ');
      assert.match(logged, why);
      assert.equal(lastStatus(node)?.fill, 'red');
    });
  }

  it('keeps records for unreachable brokers up to its buffer, and fails the rest to Catch nodes, counted', async () => {
    const port = await closedPort();
    await load([broker(`127.0.0.1:${port}`), kout(), ...reporters()]);
    const caught = recorded('caught');
    const out = helper.getNode('kout') as Node;
    for (let i = 0; i < 5; i++) out.receive({ payload: { i } } as never);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(caught.map((m) => m.payload.i), [3, 4], 'the records beyond the buffer of 3 failed, with their messages');
    assert.match(String(caught[0].error.message), /buffer-full|waiting for the brokers/);
    await new Promise((r) => setTimeout(r, 1200));
    assert.match(String(lastStatus(out)?.text), /status\.errors|buffered/);
  });

  it('fails a message that cannot be a record (no topic) without touching the others', async () => {
    const port = await closedPort();
    await load([broker(`127.0.0.1:${port}`), kout({ topic: '' }), ...reporters()]);
    const caught = recorded('caught');
    (helper.getNode('kout') as Node).receive({ payload: 1 } as never);
    (helper.getNode('kout') as Node).receive({ payload: undefined, topic: 't' } as never);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(caught.length, 2);
    assert.match(String(caught[0].error.message), /no-topic|no topic/);
    assert.match(String(caught[1].error.message), /payload is undefined/);
  });

  it('kafka out connects when deployed, before any message, and shows a ring while the brokers cannot be reached', async () => {
    const door = await slammingDoor();
    try {
      await load([broker(`127.0.0.1:${door.port}`), kout()]);
      const out = helper.getNode('kout') as Node;
      // Connecting, then (after a few quick attempts) why not: the test helper shows catalog keys.
      await until(() => /status\.unreachable/.test(String(lastStatus(out)?.text)), 15000, 'a status saying why the brokers cannot be reached');
      assert.ok(door.connections() > 0, 'the node tried to reach the brokers without being sent anything');
      const shown = statuses(out);
      assert.match(String(shown[0].text), /status\.connecting/);
      assert.ok(shown.every((st) => st.shape === 'ring' && st.fill !== 'green'), `never a green dot: ${JSON.stringify(shown)}`);
      assert.deepEqual(errors(out), [], 'brokers that cannot be reached are not an error of the node');
    } finally {
      await door.close();
    }
  });

  it('kafka out stops at once when the brokers cannot be reached, leaving its records uncompleted for the source upstream', async () => {
    const port = await closedPort();
    await load([broker(`127.0.0.1:${port}`), kout(), ...reporters()]);
    const caught = recorded('caught');
    const completed = recorded('completed');
    const out = helper.getNode('kout') as Node;
    for (let i = 0; i < 2; i++) out.receive({ payload: { i } } as never);
    await new Promise((r) => setTimeout(r, 200));
    // The helper takes its spies off before it stops the flow: the warning on close is recorded here.
    const warned: string[] = [];
    const warn = out.warn;
    out.warn = function (this: Node, w: unknown) { warned.push(String(w)); return warn.call(this, w as never); } as never;
    const t0 = Date.now();
    await helper.unload();
    const took = Date.now() - t0;
    // Node-RED's close timeout is 15 s; the node must not wait for acknowledgements that cannot come.
    assert.ok(took < 5000, `closed in ${took} ms`);
    assert.ok(warned.some((w) => /warnings\.closed-undelivered \{"count":2\}/.test(w)), `counted: ${warned.join(' | ')}`);
    assert.deepEqual(completed, [], 'not completed: a source that commits only completed work delivers them again');
    assert.deepEqual(caught, [], 'not failed either (a failed message counts as completed)');
  });

  it('kafka in shows a yellow ring saying why its brokers cannot be reached, warns once and keeps trying', async () => {
    const port = await closedPort();
    await load([broker(`127.0.0.1:${port}`), kin()]);
    const node = helper.getNode('kin') as Node;
    // Connecting, then (after a few quick attempts) why not: the test helper shows catalog keys with their values.
    await until(() => /status\.unreachable \{"reason":"[^"]+"\}/.test(String(lastStatus(node)?.text)), 10000,
      'a status saying why the brokers cannot be reached');
    assert.match(String(statuses(node)[0].text), /status\.connecting/);
    assert.match(String(lastStatus(node)?.text), /ECONNREFUSED|Connection/i);
    // Attempts every 1 s, then 2 s: more of them fail, the node keeps running and the spell is warned once.
    await new Promise((r) => setTimeout(r, 4000));
    assert.ok(helper.getNode('kin'));
    const shown = statuses(node);
    assert.ok(shown.every((st) => st.shape === 'ring' && st.fill === 'yellow'), `a yellow ring throughout: ${JSON.stringify(shown)}`);
    assert.match(String(lastStatus(node)?.text), /status\.unreachable/);
    assert.equal(warnings(node).length, 1, `warned once: ${warnings(node).join(' | ')}`);
    assert.match(warnings(node)[0], /ECONNREFUSED|Connection/i);
    assert.deepEqual(errors(node), [], 'brokers that cannot be reached are not an error of the node');
  });

});
