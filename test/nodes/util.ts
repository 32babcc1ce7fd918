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
import type { Node, NodeInitializer, NodeMessage } from 'node-red';
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
};

export type Msg = NodeMessage & Record<string, any>;
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
};

/** Ports of the node under test: what the editor would set as `outputs`. */
function outputsOf(kind: Kind, c: Conf): number {
  if (kind === 'filter') return c.rejectOutput ? 2 : 1;
  if (kind === 'map' || kind === 'aggregate') return 1;
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
  // Nodes on a tab need x/y, or Node-RED takes them for config nodes.
  const at = { z: tab, x: 100, y: 100 };
  const flow: Conf[] = [
    { id: tab, type: 'tab', label: 'test' },
    { id: `${id}-catch`, type: 'catch', ...at, name: '', scope: null, uncaught: false, wires: [[caught]] },
    { id, type: TYPES[kind], ...at, name: '', ...config, outputs: ports, wires: out.map((o) => [o]) },
    ...out.map((o) => ({ id: o, type: 'helper', ...at, name: o, wires: [] })),
    { id: caught, type: 'helper', ...at, name: 'caught', wires: [] },
  ];
  return { flow, id, out, caught, tab, config, kind };
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
  return { node: node as Node, out, caught, tf };
}

export interface Running {
  node: Node;
  /** Recorders on output 1, 2. */
  out: Recorder[];
  /** Recorder on the Catch node's helper. */
  caught: Recorder;
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
