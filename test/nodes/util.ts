/**
 * Shared utilities of the node specs: node modules, config defaults (as the editors save them), a flow
 * builder that wires the node under test to helper nodes and a Catch node, message recorders with
 * promise-based waiting, and access to the test helper's spies on `node.status` / `node.error`.
 *
 * Node ids are unique per flow built (`uid`): window and aggregate nodes park their state in the engine's
 * runtime-wide registry under their id when a flow stops, so reusing an id across tests would leak state.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Node, NodeInitializer } from 'node-red';
import { initHelper } from '../helpers/node-red';

export const helper = initHelper();

const load = (name: string): NodeInitializer => require(path.join(__dirname, '..', '..', 'nodes', `${name}.js`)) as NodeInitializer;

/** The built node modules (`npm run build` first). */
export const nodes = {
  filter: load('filter'),
  map: load('map'),
  aggregate: load('aggregate'),
  tumbling: load('tumbling-window'),
  sliding: load('sliding-window'),
  session: load('session-window'),
  influxdb: load('influxdb'),
  influxdbWrite: load('influxdb-write'),
  debezium: load('debezium'),
  kafkaBroker: load('kafka-broker'),
  kafkaIn: load('kafka-in'),
  kafkaOut: load('kafka-out'),
};

/** A message as the specs see it: any property, payload included, is loosely typed. */
export type Msg = { [k: string]: any; payload?: any; _msgid?: string };
export type Conf = Record<string, any>;

let counter = 0;
/** A fresh node id. */
export function uid(prefix = 'n'): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

// ---------------------------------------------------------------------------------------------------------
// Config defaults, as the editor saves them (nodes/*.html, resources/editor.js).

export const RECORD_DEFAULTS: Conf = {
  valueProp: 'payload', valuePropType: 'msg',
  keyProp: 'key', keyPropType: 'msg',
  aggregates: ['count', 'sum', 'min', 'max', 'avg'],
};

export const WINDOW_DEFAULTS: Conf = {
  ...RECORD_DEFAULTS,
  timeMode: 'event',
  timeProp: 'timestamp', timePropType: 'msg',
  timestampUnit: 'ms',
  onMissingTimestamp: 'error',
  maxOutOfOrderness: 0, maxOutOfOrdernessUnits: 's',
  idleTimeout: 0, idleTimeoutUnits: 's',
  allowedLateness: 0, allowedLatenessUnits: 's',
  lateOutput: 'port',
  emit: 'close',
  retractions: false,
  drainOnRemove: true,
};

export const TYPES = {
  filter: 'streamkit-filter',
  map: 'streamkit-map',
  aggregate: 'streamkit-aggregate',
  tumbling: 'streamkit-tumbling-window',
  sliding: 'streamkit-sliding-window',
  session: 'streamkit-session-window',
  debezium: 'streamkit-debezium',
} as const;
export type Kind = keyof typeof TYPES;

const DEFAULTS: Record<Kind, Conf> = {
  filter: {
    mode: 'rules', rules: [{ property: 'payload', op: 'gt', value: '0', valueType: 'num' }], combine: 'all',
    expression: 'payload > 0', rejectOutput: false,
  },
  map: { property: 'payload', expression: 'payload', flatMap: false },
  aggregate: {
    ...RECORD_DEFAULTS, emit: 'update', interval: 1, intervalUnits: 's', resetAfterEmit: false, ttl: 0, ttlUnits: 'min',
  },
  // Window sizes default to 1 s here (the editor's are 5 s / 30 s / 5 min), which keeps timestamps small.
  tumbling: { ...WINDOW_DEFAULTS, size: 1, sizeUnits: 's', offset: 0, offsetUnits: 's' },
  sliding: { ...WINDOW_DEFAULTS, size: 1, sizeUnits: 's', slide: 0.5, slideUnits: 's', offset: 0, offsetUnits: 's' },
  session: { ...WINDOW_DEFAULTS, gap: 1, gapUnits: 's' },
  debezium: { format: 'auto', fieldPrefix: '__', columnTypes: '', routing: 'single', tables: [], materialize: false },
};

/** Ports of the node under test: what the editor would set as `outputs`. */
function outputsOf(kind: Kind, c: Conf): number {
  if (kind === 'filter') return c.rejectOutput ? 2 : 1;
  if (kind === 'map' || kind === 'aggregate') return 1;
  if (kind === 'debezium') return c.routing === 'operation' ? 6 : c.routing === 'table' ? (c.tables?.length ?? 0) + 1 : 1;
  return c.timeMode !== 'processing' && c.lateOutput !== 'drop' ? 2 : 1;
}

// ---------------------------------------------------------------------------------------------------------
// Flows

export interface TestFlow {
  /** The flow to load (tab, catch node, node under test, helper nodes). */
  flow: Conf[];
  /** Id of the node under test. */
  id: string;
  /** Helper node ids: `out[0]` output 1, `out[1]` output 2 (when the node has two), `caught` the Catch node's. */
  out: string[];
  caught: string;
  /** Helper node fed by a Complete node scoped to the node under test (one message per done()). */
  completed: string;
  tab: string;
  /** The node under test's config object in `flow` (mutate a copy with `withConfig`). */
  config: Conf;
  kind: Kind;
}

/**
 * A flow with the node under test (defaults + `overrides`), its outputs wired to helper nodes, and a Catch
 * node (scope: the whole tab) wired to a helper node. The Catch node comes first so it is started before
 * the node under test reports start-up errors.
 */
export function buildFlow(kind: Kind, overrides: Conf = {}, opts: { id?: string } = {}): TestFlow {
  const tab = uid('tab');
  const id = opts.id ?? uid(kind);
  const config: Conf = { ...DEFAULTS[kind], ...overrides };
  const ports = outputsOf(kind, config);
  const out = Array.from({ length: ports }, (_, i) => `${id}-out${i + 1}`);
  const caught = `${id}-caught`;
  const completed = `${id}-completed`;
  // Nodes on a tab need x/y, or Node-RED takes them for config nodes.
  const at = { z: tab, x: 100, y: 100 };
  const flow: Conf[] = [
    { id: tab, type: 'tab', label: 'test' },
    { id: `${id}-catch`, type: 'catch', ...at, name: '', scope: null, uncaught: false, wires: [[caught]] },
    { id, type: TYPES[kind], ...at, name: '', ...config, outputs: ports, wires: out.map((o) => [o]) },
    ...out.map((o) => ({ id: o, type: 'helper', ...at, name: o, wires: [] })),
    { id: caught, type: 'helper', ...at, name: 'caught', wires: [] },
    { id: `${id}-complete`, type: 'complete', ...at, name: '', scope: [id], uncaught: false, wires: [[completed]] },
    { id: completed, type: 'helper', ...at, name: 'completed', wires: [] },
  ];
  return { flow, id, out, caught, completed, tab, config, kind };
}

/** The same flow (same ids) with the node under test's config changed. */
export function withConfig(tf: TestFlow, changes: Conf): TestFlow {
  const config = { ...tf.config, ...changes };
  const flow = tf.flow.map((n) => (n.id === tf.id ? { ...n, ...changes } : { ...n }));
  return { ...tf, flow, config };
}

/** The same flow without the node under test (its helper nodes stay). */
export function withoutNode(tf: TestFlow): Conf[] {
  return tf.flow.filter((n) => n.id !== tf.id).map((n) => ({ ...n }));
}

/** Loads the flow with every StreamKit node module; returns the node under test and recorders on its outputs. */
export async function start(tf: TestFlow): Promise<Running> {
  await helper.load(Object.values(nodes), tf.flow as never);
  return attach(tf);
}

/** (Re-)attaches recorders to the helper nodes of `tf` (after a redeploy replaced them). */
export function attach(tf: TestFlow): Running {
  const node = helper.getNode(tf.id) as Node | null;
  const out = tf.out.map((o) => new Recorder(helper.getNode(o)));
  const caught = new Recorder(helper.getNode(tf.caught));
  const completed = new Recorder(helper.getNode(tf.completed));
  return { node: node as Node, out, caught, completed, tf };
}

export interface Running {
  node: Node;
  /** Recorders on output 1, 2. */
  out: Recorder[];
  /** Recorder on the Catch node's helper. */
  caught: Recorder;
  /** Recorder on the Complete node's helper: the messages the node called done() for (without an error). */
  completed: Recorder;
  tf: TestFlow;
}

/** Sends messages into the node under test (in order, synchronously). */
export function send(r: Running, ...msgs: Msg[]): void {
  for (const m of msgs) r.node.receive(m);
}

/** A record message: `{payload: value, key, timestamp}` plus extras. */
export function rec(key: string | undefined, timestamp: unknown, payload: unknown, extra: Conf = {}): Msg {
  const m: Msg = { payload, ...extra } as Msg;
  if (key !== undefined) m.key = key;
  if (timestamp !== undefined) m.timestamp = timestamp;
  return m;
}

export const EOS = (): Msg => ({ control: { type: 'eos' } } as unknown as Msg);

// ---------------------------------------------------------------------------------------------------------
// Recording messages

/** Records every message a helper node receives, from the moment it is created. */
export class Recorder {
  readonly msgs: Msg[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly node: Node) {
    node.on('input', (msg: Msg) => {
      this.msgs.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (this.msgs.length >= w.n) { w.resolve(); return false; }
        return true;
      });
    });
  }

  /** Resolves with the first `n` messages once they arrived; rejects after `timeoutMs`. */
  wait(n: number, timeoutMs = 2000): Promise<Msg[]> {
    if (this.msgs.length >= n) return Promise.resolve(this.msgs.slice(0, n));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.node.id}: expected ${n} message(s) within ${timeoutMs} ms, got ${this.msgs.length}: `
          + JSON.stringify(this.msgs.map(brief))));
      }, timeoutMs);
      this.waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(this.msgs.slice(0, n)); } });
    });
  }

  /** Resolves with the first `n` messages matching `pred`; rejects after `timeoutMs`. */
  async waitWhere(pred: (m: Msg) => boolean, n: number, timeoutMs = 2000): Promise<Msg[]> {
    const t0 = Date.now();
    for (;;) {
      const hits = this.msgs.filter(pred);
      if (hits.length >= n) return hits.slice(0, n);
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`${this.node.id}: expected ${n} matching message(s) within ${timeoutMs} ms, got ${hits.length} of `
          + JSON.stringify(this.msgs.map(brief)));
      }
      await settle(5);
    }
  }

  clear(): void { this.msgs.length = 0; }
}

/** Lets pending deliveries (setImmediate) and nextTicks run. */
export function settle(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const sleep = settle;

/** Waits until the node under test has handled everything sent so far, then a little longer. */
export async function quiet(ms = 50): Promise<void> {
  await settle(ms);
}

/** A short JSON-able form of a message, for failure messages and deep comparison. */
export function brief(m: Msg): Conf {
  const { _msgid, ...rest } = m as Conf;
  return rest;
}

/** The result part of a window result message, for compact assertions. */
export function result(m: Msg): Conf {
  return {
    key: m.key, start: m.window?.start, end: m.window?.end, timing: m.timing, pane: m.pane, payload: m.payload,
    ...(m.retract ? { retract: true } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Spies installed by the test helper on Node.prototype (status, error, warn, log, send, …)

interface SpyCall { thisValue: unknown; args: unknown[] }
interface Spy { getCalls(): SpyCall[] }

function spyOf(node: Node, method: 'status' | 'error' | 'warn'): Spy {
  return (node as unknown as Record<string, Spy>)[method];
}

export interface StatusObject { fill?: string; shape?: string; text?: string }

/** Every status the node set, oldest first. */
export function statuses(node: Node): StatusObject[] {
  return spyOf(node, 'status').getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0] as StatusObject);
}

export function lastStatus(node: Node): StatusObject | undefined {
  const s = statuses(node);
  return s[s.length - 1];
}

/** Every node.error(…) call of the node: `[error, msg]`. Includes done(err) reports, which Node-RED makes through node.error. */
export function errors(node: Node): { err: unknown; msg: Msg | undefined }[] {
  return spyOf(node, 'error').getCalls().filter((c) => c.thisValue === node)
    .map((c) => ({ err: c.args[0], msg: c.args[1] as Msg | undefined }));
}

/** Every node.warn(…) call of the node, the text it logged. */
export function warnings(node: Node): string[] {
  return spyOf(node, 'warn').getCalls().filter((c) => c.thisValue === node).map((c) => errorText(c.args[0]));
}

/** Text of an error as Node-RED shows it. */
export function errorText(err: unknown): string {
  return typeof err === 'string' ? err : (err as Error)?.message ?? String(err);
}

/** Ids of every node currently started (for checks that a node is really gone). */
export function exists(id: string): boolean {
  return !!helper.getNode(id);
}

/** The node said why at start, shows red, and fails every message (Catch sees the original) without output. */
export async function expectRefused(r: Running): Promise<void> {
  const startErrors = errors(r.node);
  assert.ok(startErrors.length >= 1, 'node.error was called at start');
  assert.ok(errorText(startErrors[0].err).length > 0, 'with a text');
  const s = lastStatus(r.node);
  assert.ok(s, 'a status was set');
  assert.equal(s.fill, 'red');
  assert.ok(typeof s.text === 'string' && s.text.length > 0);
  r.node.receive({ payload: 1, marker: 'm1' } as Msg);
  r.node.receive({ payload: 2, marker: 'm2' } as Msg);
  const caught = await r.caught.waitWhere((m) => typeof m.marker === 'string', 2);
  assert.deepEqual(caught.map((m) => m.marker), ['m1', 'm2']);
  for (const c of caught) assert.ok(errorText(c.error).length > 0);
  assert.equal(errorText(caught[0].error), errorText(caught[1].error), 'the same error for every message');
  await settle();
  for (const o of r.out) assert.equal(o.msgs.length, 0, 'nothing is sent');
}

// ---------------------------------------------------------------------------------------------------------
// Window nodes

export const isEosMsg = (m: Msg): boolean => (m.control as { type?: string } | undefined)?.type === 'eos';

/** Sends EOS and resolves, once the forwarded EOS arrived, with the result messages before it on output 1. */
export async function eos(r: Running, timeoutMs = 2000): Promise<Msg[]> {
  const before = r.out[0].msgs.filter(isEosMsg).length;
  r.node.receive(EOS());
  await r.out[0].waitWhere(isEosMsg, before + 1, timeoutMs);
  const msgs = r.out[0].msgs;
  let idx = -1;
  let seen = 0;
  for (let i = 0; i < msgs.length; i++) if (isEosMsg(msgs[i]) && ++seen === before + 1) { idx = i; break; }
  return msgs.slice(0, idx).filter((m) => !isEosMsg(m));
}

/** Results (non-EOS messages) received on output 1 so far. */
export function results(r: Running): Msg[] {
  return r.out[0].msgs.filter((m) => !isEosMsg(m));
}

/**
 * What differs between the window kinds in the shared suite. Group 1 = records at t = 100, 200, 300 (one
 * window of every kind); `w1` is its window, `w2` the window of a single record at t = 5000, which also
 * closes w1 (W = 4999).
 */
export interface WindowKind {
  kind: 'tumbling' | 'sliding' | 'session';
  /** Config that makes group 1 one window (sliding: slide = size). */
  base: Conf;
  w1: Conf;
  w2: Conf;
  /** A config change that changes the window definition. */
  otherWindow: Conf;
  /** Invalid window parameters. */
  invalid: [string, Conf][];
  /** Processing time: a window of about 200 ms, and one too long to fire during a test. */
  processing: Conf;
  processingLong: Conf;
}

const ALL_AGGREGATES = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'varPop', 'varSamp', 'stddevPop', 'stddevSamp', 'distinct'];

/** The behaviour every window node shares: message contract, inputs, errors, control messages, handover, config. */
export function windowSuite(k: WindowKind): void {
  const flow = (over: Conf = {}, opts: { id?: string } = {}) => buildFlow(k.kind, { ...k.base, ...over }, opts);
  const group1 = (r: Running, key = 'a', extra: Conf = {}) => send(r,
    rec(key, 100, 1, extra), rec(key, 200, 2, extra), rec(key, 300, 3, extra));
  const g1 = { count: 3, sum: 6, min: 1, max: 3, avg: 2 };

  describe('result messages', () => {
    it('emits a closed window as msg.payload = flat aggregates with key, topic, window, timing, pane, watermark and timestamp = end - 1', async () => {
      const r = await start(flow());
      group1(r);
      send(r, rec('a', 5000, 10));
      const [m] = await r.out[0].wait(1);
      assert.deepEqual(m.payload, g1);
      assert.equal(m.key, 'a');
      assert.equal(m.topic, 'a');
      assert.deepEqual(m.window, k.w1);
      assert.equal(m.timing, 'ON_TIME');
      assert.equal(m.pane, 0);
      assert.equal(m.watermark, 4999);
      assert.equal(m.timestamp, k.w1.end - 1);
      assert.ok(!('retract' in m), 'no msg.retract without retractions');
      assert.ok(!('late' in m));
      await settle();
      assert.equal(r.out[0].msgs.length, 1, 'the open window of t = 5000 is not emitted yet');
      assert.equal(r.out[1].msgs.length, 0);
    });

    it('emits nothing before the watermark passes the end of the window', async () => {
      const r = await start(flow());
      group1(r);
      await settle(60);
      assert.equal(r.out[0].msgs.length, 0);
    });

    it('flushes every open window on msg.control = {type: "eos"} and forwards the EOS message last', async () => {
      const r = await start(flow());
      group1(r);
      send(r, rec('a', 5000, 10));
      const out = await eos(r);
      assert.equal(out.length, 2);
      assert.deepEqual(out.map((m) => m.window), [k.w1, k.w2]);
      assert.deepEqual(out[1].payload, { count: 1, sum: 10, min: 10, max: 10, avg: 10 });
      assert.equal(out[1].timing, 'ON_TIME');
      assert.equal(out[1].watermark, Infinity);
      const msgs = r.out[0].msgs;
      assert.deepEqual(brief(msgs[msgs.length - 1]), { control: { type: 'eos' } });
      assert.equal(msgs.length, 3);
    });

    it('forwards EOS even when no window is open', async () => {
      const r = await start(flow());
      const out = await eos(r);
      assert.deepEqual(out, []);
    });

    it('sends a record that arrives after EOS to the late output with reason after-eos', async () => {
      const r = await start(flow());
      group1(r);
      await eos(r);
      const msg = rec('a', 400, 4, { marker: 'after' });
      send(r, msg);
      const [late] = await r.out[1].wait(1);
      assert.equal(late.marker, 'after');
      assert.equal(late._msgid, msg._msgid);
      assert.equal(late.late.reason, 'after-eos');
      assert.equal(late.late.watermark, Infinity);
    });

    it('computes every aggregate (first/last by event time, var/stddev population and sample, distinct)', async () => {
      const r = await start(flow({ aggregates: ALL_AGGREGATES }));
      const pairs: [number, number][] = [[400, 4], [100, 2], [800, 9], [200, 4], [300, 4], [500, 5], [600, 5], [700, 7]];
      for (const [t, v] of pairs) send(r, rec('a', t, v));
      const [m] = await eos(r);
      const p = m.payload as Record<string, number>;
      assert.deepEqual(Object.keys(p).sort(), [...ALL_AGGREGATES].sort());
      assert.equal(p.count, 8);
      assert.equal(p.sum, 40);
      assert.equal(p.min, 2);
      assert.equal(p.max, 9);
      assert.equal(p.avg, 5);
      assert.equal(p.first, 2);
      assert.equal(p.last, 9);
      assert.ok(Math.abs(p.varPop - 4) < 1e-12);
      assert.ok(Math.abs(p.varSamp - 32 / 7) < 1e-12);
      assert.ok(Math.abs(p.stddevPop - 2) < 1e-12);
      assert.ok(Math.abs(p.stddevSamp - Math.sqrt(32 / 7)) < 1e-12);
      assert.equal(p.distinct, 5);
    });

    it('emits only the configured aggregates', async () => {
      const r = await start(flow({ aggregates: ['max', 'count'] }));
      group1(r);
      const [m] = await eos(r);
      assert.deepEqual(m.payload, { max: 3, count: 3 });
    });

    it('accepts non-numeric values when only count, first, last and distinct are configured', async () => {
      const r = await start(flow({ aggregates: ['count', 'first', 'last', 'distinct'] }));
      send(r, rec('a', 100, 'x'), rec('a', 200, { o: 1 }), rec('a', 300, 'x'));
      const [m] = await eos(r);
      assert.deepEqual(m.payload, { count: 3, first: 'x', last: 'x', distinct: 2 });
      assert.equal(r.caught.msgs.length, 0);
    });

    it('keeps keys apart and emits windows released together in key order', async () => {
      const r = await start(flow());
      send(r, rec('b', 100, 1), rec('a', 100, 2), rec('c', 100, 3), rec('b', 100, 4));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.key, m.payload.count, m.payload.sum]), [['a', 1, 2], ['b', 2, 5], ['c', 1, 3]]);
      assert.deepEqual(out.map((m) => m.topic), ['a', 'b', 'c']);
    });

    it('shares the watermark between keys: a record of another key closes the window', async () => {
      const r = await start(flow());
      group1(r, 'a');
      send(r, rec('b', 5000, 1));
      const [m] = await r.out[0].wait(1);
      assert.equal(m.key, 'a');
      assert.deepEqual(m.payload, g1);
    });
  });

  describe('reading records', () => {
    it('reads event time as a number of ms, an ISO-8601 string with a zone, or a Date', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('a', '1970-01-01T00:00:00.200Z', 2), rec('a', new Date(300), 3));
      send(r, rec('a', '1970-01-01T01:00:05+01:00', 10)); // = 5000 ms
      const [m] = await r.out[0].wait(1);
      assert.deepEqual(m.payload, g1);
      assert.deepEqual(m.window, k.w1);
      assert.equal(m.watermark, 4999);
    });

    for (const [unit, ts] of [
      ['s', [0.1, 0.2, 0.3, '5']], ['us', [100000, 200000, '300000', 5000000]], ['ns', ['100000000', 200000000, 300000000, '5000000000']],
    ] as [string, unknown[]][]) {
      it(`reads numeric timestamps in ${unit} (numbers and digit strings)`, async () => {
        const r = await start(flow({ timestampUnit: unit }));
        send(r, rec('a', ts[0], 1), rec('a', ts[1], 2), rec('a', ts[2], 3), rec('a', ts[3], 10));
        const [m] = await r.out[0].wait(1);
        assert.deepEqual(m.payload, g1);
        assert.deepEqual(m.window, k.w1);
        assert.equal(m.watermark, 4999);
      });
    }

    it('falls back to msg.topic when msg.key is missing or empty, and prefers msg.key', async () => {
      const r = await start(flow());
      send(r, { payload: 1, topic: 'sensor', timestamp: 100 } as Msg, { payload: 2, key: '', topic: 'sensor', timestamp: 200 } as Msg,
        { payload: 3, key: null, topic: 'sensor', timestamp: 300 } as unknown as Msg, { payload: 4, key: 'own', topic: 'sensor', timestamp: 300 } as Msg);
      const out = (await eos(r)).sort((x, y) => (x.key < y.key ? -1 : 1));
      assert.deepEqual(out.map((m) => [m.key, m.topic, m.payload.count]), [['own', 'own', 1], ['sensor', 'sensor', 3]]);
    });

    it('turns a numeric key into a string', async () => {
      const r = await start(flow());
      send(r, rec(42 as unknown as string, 100, 1), rec('42', 200, 2));
      const out = await eos(r);
      assert.equal(out.length, 1);
      assert.equal(out[0].key, '42');
      assert.equal(out[0].payload.count, 2);
    });

    it('reads value, key and event time from other msg properties', async () => {
      const r = await start(flow({ valueProp: 'payload.temp', keyProp: 'payload.sensor', timeProp: 'meta.ts' }));
      for (const [t, v] of [[100, 1], [200, 2], [300, 3]]) {
        send(r, { payload: { temp: v, sensor: 's1' }, meta: { ts: t }, key: 'ignored', topic: 'ignored' } as Msg);
      }
      const [m] = await eos(r);
      assert.equal(m.key, 's1');
      assert.deepEqual(m.payload, g1);
      assert.deepEqual(m.window, k.w1);
    });

    it('reads value, key and event time from JSONata expressions', async () => {
      const r = await start(flow({
        valueProp: 'payload.v * 10', valuePropType: 'jsonata',
        keyProp: '"k-" & payload.id', keyPropType: 'jsonata',
        timeProp: '$fromMillis(payload.t)', timePropType: 'jsonata',
      }));
      for (const [t, v] of [[100, 1], [200, 2], [300, 3]]) send(r, { payload: { v, id: 'x', t } } as Msg);
      const [m] = await eos(r);
      assert.equal(m.key, 'k-x');
      assert.deepEqual(m.payload, { count: 3, sum: 60, min: 10, max: 30, avg: 20 });
      assert.deepEqual(m.window, k.w1);
    });

    it('takes the time of arrival for a record without a timestamp when onMissingTimestamp is processingTime', async () => {
      const r = await start(flow({ onMissingTimestamp: 'processingTime' }));
      const t0 = Date.now();
      send(r, rec('a', undefined, 1));
      const [m] = await eos(r);
      assert.equal(m.payload.count, 1);
      assert.ok(m.window.start <= Date.now() && m.window.end > t0, `window ${JSON.stringify(m.window)} contains the time of arrival`);
      assert.equal(r.caught.msgs.length, 0);
    });

    it('still refuses an unparseable timestamp when onMissingTimestamp is processingTime', async () => {
      const r = await start(flow({ onMissingTimestamp: 'processingTime' }));
      send(r, rec('a', 'soon', 1, { marker: 'bad' }));
      const [c] = await r.caught.wait(1);
      assert.equal(c.marker, 'bad');
    });

    it('processes a batch (msg.payload = array of records) record by record', async () => {
      const r = await start(flow());
      send(r, { payload: [
        { payload: 1, key: 'a', timestamp: 100 },
        { payload: 2, key: 'a', timestamp: 200 },
        { payload: 5, key: 'b', timestamp: 300 },
      ] } as Msg);
      // Elements that are not message-shaped take key and timestamp from the batch message.
      send(r, { payload: [3, 4], key: 'a', timestamp: 300 } as Msg);
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.key, m.payload]), [
        ['a', { count: 4, sum: 10, min: 1, max: 4, avg: 2.5 }],
        ['b', { count: 1, sum: 5, min: 5, max: 5, avg: 5 }],
      ]);
    });

    it('reports a bad record in a batch and still applies the others', async () => {
      const r = await start(flow());
      send(r, { payload: [
        { payload: 1, key: 'a', timestamp: 100 },
        { payload: 'NaN', key: 'a', timestamp: 150, marker: 'bad' },
        { payload: 2, key: 'a', timestamp: 200 },
      ] } as Msg);
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload.count), [2]);
      await r.caught.wait(1);
      assert.equal(r.caught.msgs.length, 1);
      assert.ok(errorText(r.caught.msgs[0].error).length > 0);
    });

    it('reports a bad message-shaped record of a batch with that record as msg', async () => {
      const r = await start(flow());
      const bad = { payload: 'x', key: 'a', timestamp: 100, marker: 'bad' };
      send(r, { payload: [bad], marker: 'batch' } as Msg);
      const [c] = await r.caught.wait(1);
      assert.equal(c.marker, 'bad', `Catch got ${JSON.stringify(brief(c))}`);
      assert.equal(c.payload, 'x');
    });
  });

  describe('bad input', () => {
    const badCases: [string, Msg][] = [
      ['a non-numeric value', rec('a', 150, 'abc', { marker: 'bad' })],
      ['a missing value', { key: 'a', timestamp: 150, marker: 'bad' } as Msg],
      ['a missing key (no msg.key, no msg.topic)', { payload: 1, timestamp: 150, marker: 'bad' } as Msg],
      ['an unparseable timestamp', rec('a', 'yesterday', 1, { marker: 'bad' })],
      ['an ISO timestamp without a zone', rec('a', '1970-01-01T00:00:00.150', 1, { marker: 'bad' })],
      ['a missing timestamp', rec('a', undefined, 1, { marker: 'bad' })],
      ['a NaN timestamp', rec('a', NaN, 1, { marker: 'bad' })],
      ['an infinite value', rec('a', 150, Infinity, { marker: 'bad' })],
    ];
    for (const [what, bad] of badCases) {
      it(`reports ${what} with the original msg (Catch), turns the status red, and keeps working`, async () => {
        const r = await start(flow());
        send(r, rec('a', 100, 1), bad, rec('a', 200, 2));
        const [c] = await r.caught.wait(1);
        assert.equal(c.marker, 'bad');
        assert.equal(c._msgid, bad._msgid, 'the original message');
        assert.ok(errorText(c.error).length > 0, 'with an error text');
        assert.equal(c.error.source?.id, r.node.id);
        const errs = errors(r.node);
        assert.equal(errs.length, 1);
        assert.equal(errs[0].msg, bad, 'node.error(err, msg) with the original msg object');
        const s = lastStatus(r.node);
        assert.equal(s?.fill, 'red');
        assert.equal(s?.shape, 'ring');
        assert.ok(s?.text && s.text.length > 0);
        const [m] = await eos(r);
        assert.deepEqual(m.payload, { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 }, 'the bad record was not aggregated');
        assert.equal(r.caught.msgs.length, 1);
      });
    }

    it('reports a JSONata property that fails on a message with the original msg, turns the status red, and keeps working', async () => {
      const r = await start(flow({ valueProp: '$number(payload)', valuePropType: 'jsonata' }));
      const bad = rec('a', 150, 'abc', { marker: 'bad' });
      send(r, rec('a', 100, '1'), bad, rec('a', 200, '2'));
      const [c] = await r.caught.wait(1);
      assert.equal(c.marker, 'bad');
      assert.equal(c._msgid, bad._msgid);
      assert.ok(errorText(c.error).length > 0);
      const [m] = await eos(r);
      assert.deepEqual(m.payload, { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 });
      assert.ok(statuses(r.node).some((x) => x.fill === 'red'), 'a red status was shown');
    });

    it('emits the results a batch fired even when a later record of the batch fails in JSONata', async () => {
      const r = await start(flow({ valueProp: '$number(payload)', valuePropType: 'jsonata' }));
      send(r, { payload: [
        { payload: '1', key: 'a', timestamp: 100 },
        { payload: '2', key: 'a', timestamp: 5000 },
        { payload: 'abc', key: 'a', timestamp: 5001 },
      ] } as Msg);
      await r.caught.wait(1);
      const [m] = await r.out[0].wait(1, 500);
      assert.equal(m.payload.count, 1);
    });

    it('still applies the records of a batch after one that fails in JSONata', async () => {
      const r = await start(flow({ valueProp: '$number(payload)', valuePropType: 'jsonata' }));
      send(r, { payload: [
        { payload: '1', key: 'a', timestamp: 100 },
        { payload: 'abc', key: 'a', timestamp: 150 },
        { payload: '2', key: 'a', timestamp: 200 },
      ] } as Msg);
      await r.caught.wait(1);
      const [m] = await eos(r);
      assert.equal(m.payload.count, 2);
    });

    it('completes every message it was given (done), good or bad, records and control messages alike', async () => {
      const r = await start(flow());
      const msgs = [rec('a', 100, 1), rec('a', 'bad', 2), { reset: true } as Msg, rec('a', 200, 3), EOS(), rec('a', 300, 4)];
      send(r, ...msgs);
      const done = await r.completed.wait(msgs.length - 1);
      await settle();
      const ids = new Set(r.completed.msgs.map((m) => m._msgid));
      const bad = msgs[1];
      for (const m of msgs) if (m !== bad) assert.ok(ids.has(m._msgid), `done() for ${JSON.stringify(brief(m))}`);
      assert.ok(done.length >= msgs.length - 1);
    });

    it('shows a green status with a non-empty text while there are no errors', async () => {
      const r = await start(flow());
      const s0 = statuses(r.node)[0];
      assert.equal(s0?.fill, 'green');
      assert.equal(s0?.shape, 'dot');
      assert.ok(s0?.text && s0.text.length > 0);
      group1(r);
      await eos(r);
      assert.ok(statuses(r.node).every((s) => s.fill === 'green'));
    });
  });

  describe('late records', () => {
    it('sends a late record to the second output as the original message with msg.late = {watermark, reason}', async () => {
      const r = await start(flow());
      group1(r);
      send(r, rec('a', 5000, 10));
      await r.out[0].wait(1);
      const msg = rec('a', 150, 7, { marker: 'late', topic: 'x' });
      send(r, msg);
      const [late] = await r.out[1].wait(1);
      assert.equal(late._msgid, msg._msgid);
      assert.equal(late.marker, 'late');
      assert.equal(late.payload, 7);
      assert.equal(late.key, 'a');
      assert.equal(late.timestamp, 150);
      assert.deepEqual(late.late, { watermark: 4999, reason: 'late' });
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload.count), [3, 1], 'the late record is in no result');
      assert.equal(r.caught.msgs.length, 0, 'a late record is not an error');
    });

    it('drops late records with lateOutput drop (one output), counting but not emitting them', async () => {
      const tf = flow({ lateOutput: 'drop' });
      assert.equal(tf.out.length, 1);
      const r = await start(tf);
      group1(r);
      send(r, rec('a', 5000, 10));
      await r.out[0].wait(1);
      send(r, rec('a', 150, 7));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload.count), [3, 1]);
      assert.equal(r.caught.msgs.length, 0);
      assert.ok(statuses(r.node).every((s) => s.fill === 'green'));
    });
  });

  describe('control messages', () => {
    it('clears all windows on msg.reset, without emitting them', async () => {
      const r = await start(flow());
      group1(r);
      send(r, { reset: true } as Msg);
      await settle();
      assert.equal(r.out[0].msgs.length, 0);
      send(r, rec('a', 400, 4));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload.count), [1]);
    });

    it('restarts the watermark on msg.reset: an old timestamp is no longer late', async () => {
      const r = await start(flow());
      group1(r);
      send(r, rec('a', 5000, 10));
      await r.out[0].wait(1);
      send(r, { reset: true } as Msg, rec('a', 150, 7));
      const out = await eos(r);
      assert.equal(r.out[1].msgs.length, 0);
      assert.deepEqual(out.slice(1).map((m) => m.payload.sum), [7]);
    });

    it('accepts records again after EOS was followed by msg.reset', async () => {
      const r = await start(flow());
      group1(r);
      await eos(r);
      send(r, { reset: true } as Msg, rec('a', 100, 5));
      const out = await eos(r);
      assert.deepEqual(out.slice(1).map((m) => m.payload.sum), [5]);
      assert.equal(r.out[1].msgs.length, 0);
    });
  });

  describe('watermark sources and idleness', () => {
    it('does not leave a silent source out of the watermark without an idle timeout', async () => {
      const r = await start(flow());
      group1(r, 'a', { sourceId: 'A' });
      for (let i = 0; i < 10; i++) {
        send(r, rec('b', 5000, 10, { sourceId: 'B' }));
        await settle(20);
      }
      assert.equal(r.out[0].msgs.length, 0);
    });

    it('holds the watermark at the slowest msg.sourceId', async () => {
      const r = await start(flow());
      group1(r, 'a', { sourceId: 'A' });
      send(r, rec('a', 5000, 10, { sourceId: 'B' }));
      await settle(150);
      assert.equal(r.out[0].msgs.length, 0);
      send(r, rec('a', 5000, 10, { sourceId: 'A' }));
      const [m] = await r.out[0].wait(1);
      assert.deepEqual(m.payload, g1);
    });

    it('leaves an idle source out of the watermark after the idle timeout', async () => {
      const r = await start(flow({ idleTimeout: 100, idleTimeoutUnits: 'ms' }));
      group1(r, 'a', { sourceId: 'A' });
      // Source B keeps delivering (at t = 5000) while A stays silent.
      const t0 = Date.now();
      while (r.out[0].msgs.length === 0 && Date.now() - t0 < 1500) {
        send(r, rec('b', 5000, 10, { sourceId: 'B' }));
        await settle(20);
      }
      const [m] = await r.out[0].wait(1, 10);
      assert.ok(Date.now() - t0 >= 90, 'not before A was idle for the timeout');
      assert.deepEqual(m.payload, g1);
      assert.equal(m.key, 'a');
      assert.equal(m.watermark, 4999);
    });
  });

  describe('processing time', () => {
    it('assigns arrival time, ignores msg.timestamp, and fires from the wall clock', async () => {
      const tf = flow({ timeMode: 'processing', ...k.processing });
      assert.equal(tf.out.length, 1);
      const r = await start(tf);
      const t0 = Date.now();
      send(r, rec('a', undefined, 1), rec('a', 'not a time', 2), rec('a', 100, 3));
      const out = await r.out[0].waitWhere(() => true, 1, 2000);
      await settle(400);
      const all = results(r);
      const t1 = Date.now();
      assert.equal(all.reduce((n, m) => n + m.payload.count, 0), 3, JSON.stringify(all.map(brief)));
      assert.equal(all.reduce((n, m) => n + m.payload.sum, 0), 6);
      for (const m of all) {
        assert.equal(m.timing, 'ON_TIME');
        assert.ok(m.window.end > t0 && m.window.end <= t1 + 1, `window ${JSON.stringify(m.window)} is in processing time`);
        assert.equal(m.timestamp, m.window.end - 1);
      }
      assert.ok(out.length >= 1);
      assert.equal(r.caught.msgs.length, 0, 'timestamps are not read in processing time');
    });

    it('flushes open processing-time windows on EOS', async () => {
      const r = await start(flow({ timeMode: 'processing', ...k.processingLong }));
      send(r, rec('a', undefined, 1), rec('a', undefined, 2));
      const out = await eos(r);
      assert.equal(out.reduce((n, m) => n + m.payload.count, 0), 2);
    });
  });

  describe('redeploy', () => {
    it('resumes open windows after a full redeploy with the same configuration', async () => {
      const tf = flow();
      await start(tf);
      let r = attach(tf);
      group1(r);
      await settle();
      await helper.setFlows(tf.flow as never, 'full');
      r = attach(tf);
      send(r, rec('a', 400, 4));
      const out = await eos(r);
      assert.equal(out.length, 1);
      assert.equal(out[0].payload.count, 4, 'records sent before the redeploy are in the result');
      assert.equal(out[0].payload.sum, 10);
    });

    it('resumes open windows when only the node name changed (modified-nodes deploy)', async () => {
      const tf = flow();
      const r0 = await start(tf);
      group1(r0);
      await settle();
      const tf2 = withConfig(tf, { name: 'renamed' });
      await helper.setFlows(tf2.flow as never, 'nodes');
      const r = attach(tf2);
      assert.notEqual(r.node, r0.node, 'the node was replaced');
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload), [g1]);
    });

    it('keeps the watermark across a redeploy: a record behind it is still late', async () => {
      const tf = flow();
      let r = await start(tf);
      group1(r);
      send(r, rec('a', 5000, 10));
      await r.out[0].wait(1);
      await helper.setFlows(tf.flow as never, 'full');
      r = attach(tf);
      send(r, rec('a', 150, 7, { marker: 'late' }));
      const [late] = await r.out[1].wait(1);
      assert.equal(late.marker, 'late');
      assert.equal(late.late.watermark, 4999);
    });

    it('finishes asynchronous (JSONata) work before handing over on redeploy', async () => {
      const tf = flow({ valueProp: 'payload.v', valuePropType: 'jsonata' });
      let r = await start(tf);
      for (let i = 0; i < 50; i++) send(r, { payload: { v: 1 }, key: 'a', timestamp: 100 + i } as Msg);
      await helper.setFlows(tf.flow as never, 'full');
      r = attach(tf);
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload.count), [50]);
    });

    it('does not take over the state when the window definition changed', async () => {
      const tf = flow();
      let r = await start(tf);
      group1(r);
      await settle();
      const tf2 = withConfig(tf, k.otherWindow);
      await helper.setFlows(tf2.flow as never, 'full');
      r = attach(tf2);
      send(r, rec('a', 400, 4));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload.count), [1]);
    });

    for (const [what, change] of [
      ['the aggregates', { aggregates: ['count', 'sum'] }],
      ['the value property', { valueProp: 'payload.v' }],
      ['the allowed lateness', { allowedLateness: 1 }],
    ] as [string, Conf][]) {
      it(`does not take over the state when ${what} changed`, async () => {
        const tf = flow();
        let r = await start(tf);
        group1(r);
        await settle();
        const tf2 = withConfig(tf, change);
        await helper.setFlows(tf2.flow as never, 'nodes');
        r = attach(tf2);
        const out = await eos(r);
        assert.deepEqual(out, []);
      });
    }

    it('drains (emits all open windows and EOS) when the node is removed in a modified-nodes deploy', async () => {
      const tf = flow();
      const r = await start(tf);
      group1(r);
      await settle();
      await helper.setFlows(withoutNode(tf) as never, 'nodes');
      const [m] = await r.out[0].wait(1);
      assert.deepEqual(m.payload, g1);
      assert.deepEqual(m.window, k.w1);
      await r.out[0].waitWhere(isEosMsg, 1);
    });

    // In a full deploy Node-RED stops every node of the flow at once, so what a removed node drains has no
    // running downstream node to reach (README, "State across redeploys"); the node still drains and sends.
    it('drains (sends its open windows) when the node is removed in a full deploy', async () => {
      const tf = flow();
      const r0 = await start(tf);
      const sent: Msg[] = [];
      const original = r0.node.send.bind(r0.node);
      r0.node.send = ((m: unknown) => {
        const ports = Array.isArray(m) ? m : [m];
        const first = ports[0];
        for (const x of Array.isArray(first) ? first : first ? [first] : []) sent.push(x as Msg);
        original(m as never);
      }) as never;
      group1(r0);
      await settle();
      await helper.setFlows(withoutNode(tf) as never, 'full');
      await settle(100);
      assert.deepEqual(sent.filter((m) => !isEosMsg(m)).map((m) => m.payload), [g1]);
      assert.equal(sent.filter(isEosMsg).length, 1);
    });

    it('discards open windows on removal when drainOnRemove is false', async () => {
      const tf = flow({ drainOnRemove: false });
      const r = await start(tf);
      group1(r);
      await settle();
      await helper.setFlows(withoutNode(tf) as never, 'nodes');
      await settle(150);
      assert.equal(r.out[0].msgs.length, 0);
    });

    it('starts empty when a removed node is deployed again', async () => {
      const tf = flow();
      const r0 = await start(tf);
      group1(r0);
      await settle();
      await helper.setFlows(withoutNode(tf) as never, 'nodes');
      await r0.out[0].waitWhere(isEosMsg, 1);
      await helper.setFlows(tf.flow as never, 'nodes');
      const r = attach(tf);
      send(r, rec('a', 100, 5));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.payload.sum), [5]);
    });
  });

  describe('invalid configuration', () => {
    const cases: [string, Conf][] = [
      ...k.invalid,
      ['an unknown aggregate', { aggregates: ['count', 'median'] }],
      ['no aggregates', { aggregates: [] }],
      ['a negative max out-of-orderness', { maxOutOfOrderness: -1 }],
      ['a negative allowed lateness', { allowedLateness: -1 }],
      ['a negative idle timeout', { idleTimeout: -1 }],
      ['an unknown duration unit', { allowedLateness: 1, allowedLatenessUnits: 'weeks' }],
      ['a bad JSONata value expression', { valueProp: 'payload +', valuePropType: 'jsonata' }],
      ['a bad JSONata key expression', { keyProp: '$$$(', keyPropType: 'jsonata' }],
      ['a bad JSONata time expression', { timeProp: '"a" &', timePropType: 'jsonata' }],
      ['an invalid msg path', { timeProp: 'meta..ts' }],
    ];
    for (const [what, config] of cases) {
      it(`refuses ${what}: error at start, red status, a clear error for every message, no crash`, async () => {
        await expectRefused(await start(flow(config)));
      });
    }
  });
}
