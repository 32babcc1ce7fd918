/**
 * Part B — throughput through a real Node-RED runtime (the `node-red` devDependency), started in this process
 * with a temporary user dir, no editor and no admin API. StreamKit's nodes come from the built package
 * (`<userDir>/node_modules/node-red-contrib-streamkit` → this repository, so Node-RED reads package.json and
 * loads `nodes/*.js`); `node-red-contrib-aggregator` is found in this repository's node_modules; the counter
 * sink is `bench/nodes/bench-counter.js` (settings.nodesDir).
 *
 * Generator → node under test → counter: the driver calls `send(msg)` on a generator node
 * (`bench/nodes/bench-generator.js`) wired to the first node of the flow, 1000 records per turn of the event loop
 * (then `setImmediate`), like a source that gets a batch of 1000 messages per poll; Node-RED's own wiring and
 * default asynchronous delivery carry every message. Timing runs from the first `send` until the
 * counter node got the completion marker: the EOS result of a window (msg.control.type = "eos"), or a final
 * sentinel message that passes every filter. Every scenario runs once to warm up, then RUNS times, the
 * scenarios taking turns; each run deploys a fresh flow (new node ids, so no state is carried over).
 *
 * Run by bench/index.ts as `node --expose-gc --import tsx bench/node-red.ts`; prints `BENCH_JSON {…}`.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { makeStream, median, type Rec } from './stream';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS_B ?? 5);
const CHUNK = 1000;
const RUN_TIMEOUT_MS = 120_000;

type Msg = Record<string, unknown>;
export interface RedNode { id: string; receive(msg: Msg): void; send(msg: Msg): void; [k: string]: unknown }
interface Red {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): RedNode | null };
  events: { once(event: string, fn: () => void): void };
  hooks: { add(name: string, fn: (event: never) => void): void };
  runtime: { flows: { setFlows(opts: { flows: { flows: unknown[]; credentials?: object }; deploymentType: string }): Promise<unknown> } };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const RED = require('node-red') as Red;

// ---- the input ---------------------------------------------------------------------------------------------

/** Part B stream: 1000 sensors × 200 readings every 100 ms (200K records, 20 s of event time), 5 % delayed 0–2 s. */
const STREAM = makeStream({ sensors: 1000, ticks: 200 });

const toMsg = (r: Rec): Msg => ({ topic: r.key, payload: r.value, timestamp: r.ts });
const EOS = (): Msg => ({ control: { type: 'eos' } });
const SENTINEL = (): Msg => ({ topic: 'sentinel', payload: 1e6, timestamp: STREAM[STREAM.length - 1].ts, sentinel: true });

const isEos = (m: Msg): boolean => (m.control as { type?: string } | undefined)?.type === 'eos';
const isSentinel = (m: Msg): boolean => m.sentinel === true;

// ---- flows ---------------------------------------------------------------------------------------------------

const TAB = 'bench-tab';

function windowConfig(id: string, wires: string[][]): Msg {
  return {
    id, type: 'streamkit-tumbling-window', z: TAB, name: '',
    size: 5, sizeUnits: 's', offset: 0, offsetUnits: 's',
    timeMode: 'event', timeProp: 'timestamp', timePropType: 'msg', timestampUnit: 'ms', onMissingTimestamp: 'error',
    valueProp: 'payload', valuePropType: 'msg', keyProp: 'key', keyPropType: 'msg',
    aggregates: ['count', 'sum', 'avg'],
    maxOutOfOrderness: 2, maxOutOfOrdernessUnits: 's', idleTimeout: 0, idleTimeoutUnits: 's',
    allowedLateness: 0, allowedLatenessUnits: 's', lateOutput: 'port', emit: 'close', retractions: false, drainOnRemove: true,
    wires,
  };
}

/** The same keyed event-time tumbling window (5 s, B = 2 s, count/sum/avg per key) as a user would write it in a function node. */
const FUNCTION_WINDOW = `
const SIZE = 5000, B = 2000;
let s = context.get('s');
if (s === undefined) { s = { keys: new Map(), ends: [], byEnd: new Map(), maxTs: -Infinity, wm: -Infinity }; context.set('s', s); }
const out = [];
const fire = (upTo) => {
  while (s.ends.length > 0 && s.ends[0] - 1 <= upTo) {
    const end = s.ends.shift();
    const list = s.byEnd.get(end);
    s.byEnd.delete(end);
    list.sort();
    for (const k of list) {
      const w = s.keys.get(k);
      const a = w.get(end);
      w.delete(end);
      if (w.size === 0) s.keys.delete(k);
      out.push({ payload: { count: a.n, sum: a.sum, avg: a.sum / a.n }, key: k, topic: k,
        window: { start: end - SIZE, end }, timestamp: end - 1 });
    }
  }
};
if (msg.control && msg.control.type === 'eos') {
  fire(Infinity);
  out.push(msg);
  return [out];
}
const k = msg.key || msg.topic, ts = msg.timestamp, v = msg.payload;
const end = ts - (ts % SIZE) + SIZE;
if (end - 1 <= s.wm) return null; // late: dropped
let w = s.keys.get(k);
if (w === undefined) { w = new Map(); s.keys.set(k, w); }
let a = w.get(end);
if (a === undefined) {
  a = { n: 0, sum: 0 };
  w.set(end, a);
  let l = s.byEnd.get(end);
  if (l === undefined) { l = []; s.byEnd.set(end, l); s.ends.push(end); s.ends.sort((x, y) => x - y); }
  l.push(k);
}
a.n++;
a.sum += v;
if (ts > s.maxTs) {
  s.maxTs = ts;
  if (ts - B - 1 > s.wm) { s.wm = ts - B - 1; fire(s.wm); }
}
return out.length > 0 ? [out] : null;
`;

export interface Scenario {
  name: string;
  /** Builds the nodes; the first is where messages are injected, the counter is `counterId`. */
  nodes(head: string, counterId: string): Msg[];
  /** Messages to inject (fresh objects every run: nodes change them). `records` counts records, not messages. */
  input(): { msgs: Msg[]; records: number };
  isLast(m: Msg): boolean;
  /** Called after the last receive(): for nodes that only emit on a timer. */
  finish?(head: RedNode): void;
  /** The head node is the counter itself (the Node-RED floor). */
  headIsCounter?: boolean;
  /** Credentials of the flow's nodes, by id (a connection's token). */
  credentials?(head: string): Record<string, Record<string, string>>;
}

const perMessage = (limit: number, tail?: () => Msg) => (): { msgs: Msg[]; records: number } => {
  const recs = STREAM.slice(0, limit);
  const msgs = recs.map(toMsg);
  if (tail) msgs.push(tail());
  return { msgs, records: recs.length };
};

const SCENARIOS: Scenario[] = [
  {
    // The floor: what Node-RED costs per message into a node that does nothing but count and call done().
    name: 'floor',
    nodes: (h) => [{ id: h, type: 'bench-counter', z: TAB, name: '', wires: [] }],
    input: perMessage(200_000, SENTINEL),
    isLast: isSentinel,
    headIsCounter: true,
  },
  {
    name: 'window',
    nodes: (h, c) => [windowConfig(h, [[c], []])],
    input: perMessage(200_000, EOS),
    isLast: isEos,
  },
  {
    name: 'window-batch',
    nodes: (h, c) => [windowConfig(h, [[c], []])],
    input: () => {
      const msgs: Msg[] = [];
      for (let i = 0; i < STREAM.length; i += 1000) msgs.push({ payload: STREAM.slice(i, i + 1000).map(toMsg) });
      msgs.push(EOS());
      return { msgs, records: STREAM.length };
    },
    isLast: isEos,
  },
  {
    name: 'aggregator',
    nodes: (h, c) => [{
      id: h, type: 'aggregator', z: TAB, name: '', topic: '', intervalCount: 1, intervalUnits: 's',
      submitIncompleteInterval: true, submitPerTopic: true, aggregationType: 'mean', wires: [[c]],
    }],
    input: perMessage(200_000),
    // The aggregator emits on its interval only: emit now, then a sentinel on the same wire.
    finish: (head) => { (head.aggregateAll as () => void)(); head.send(SENTINEL()); },
    isLast: isSentinel,
  },
  {
    name: 'function-window',
    nodes: (h, c) => [{
      id: h, type: 'function', z: TAB, name: '', func: FUNCTION_WINDOW, outputs: 1, timeout: 0, noerr: 0,
      initialize: '', finalize: '', libs: [], wires: [[c]],
    }],
    input: perMessage(200_000, EOS),
    isLast: isEos,
  },
  {
    name: 'filter-rules',
    nodes: (h, c) => [{
      id: h, type: 'streamkit-filter', z: TAB, name: '', mode: 'rules',
      rules: [{ property: 'payload', op: 'gt', value: '50', valueType: 'num' }], combine: 'all',
      expression: '', rejectOutput: false, wires: [[c]],
    }],
    input: perMessage(100_000, SENTINEL),
    isLast: isSentinel,
  },
  {
    name: 'switch-rules',
    nodes: (h, c) => [{
      id: h, type: 'switch', z: TAB, name: '', property: 'payload', propertyType: 'msg',
      rules: [{ t: 'gt', v: '50', vt: 'num' }], checkall: 'true', repair: false, outputs: 1, wires: [[c]],
    }],
    input: perMessage(100_000, SENTINEL),
    isLast: isSentinel,
  },
  {
    name: 'filter-jsonata',
    nodes: (h, c) => [{
      id: h, type: 'streamkit-filter', z: TAB, name: '', mode: 'jsonata', rules: [], combine: 'all',
      expression: 'payload > 50', rejectOutput: false, wires: [[c]],
    }],
    input: perMessage(50_000, SENTINEL),
    isLast: isSentinel,
  },
  {
    name: 'switch-jsonata',
    nodes: (h, c) => [{
      id: h, type: 'switch', z: TAB, name: '', property: 'payload > 50', propertyType: 'jsonata',
      rules: [{ t: 'true' }], checkall: 'true', repair: false, outputs: 1, wires: [[c]],
    }],
    input: perMessage(50_000, SENTINEL),
    isLast: isSentinel,
  },
  {
    name: 'map-jsonata',
    nodes: (h, c) => [{
      id: h, type: 'streamkit-map', z: TAB, name: '', property: 'payload', expression: 'payload * 1.8 + 32',
      flatMap: false, wires: [[c]],
    }],
    input: perMessage(50_000, SENTINEL),
    isLast: isSentinel,
  },
  {
    name: 'change-jsonata',
    nodes: (h, c) => [{
      id: h, type: 'change', z: TAB, name: '',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload * 1.8 + 32', tot: 'jsonata' }],
      action: '', property: '', from: '', to: '', reg: false, wires: [[c]],
    }],
    input: perMessage(50_000, SENTINEL),
    isLast: isSentinel,
  },
];

// ---- the runtime -------------------------------------------------------------------------------------------

interface CounterState { id: string; count: number; isLast: (m: Msg) => boolean; resolve: (() => void) | null; lastMsg: Msg | null }
const counter: CounterState = { id: '', count: 0, isLast: () => false, resolve: null, lastMsg: null };
(globalThis as Record<string, unknown>).__streamkitBenchCounter = (id: string, msg: Msg) => {
  if (id !== counter.id) return;
  counter.count++;
  if (counter.isLast(msg)) { counter.lastMsg = msg; counter.resolve?.(); }
};

export async function startRuntime(): Promise<string> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamkit-bench-'));
  fs.mkdirSync(path.join(userDir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-streamkit'), 'dir');
  const settings = {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    nodesDir: [path.join(__dirname, 'nodes')],
    functionExternalModules: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
    editorTheme: { palette: { catalogues: [] } },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  };
  RED.init(http.createServer(), settings);
  // The initial flows (and their credentials) finish loading after start() resolves: a deploy made before that
  // would lose its credentials when the (empty) stored ones are loaded.
  const started = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await started;
  return userDir;
}

let deployCount = 0;
async function deploy(sc: Scenario): Promise<{ gen: RedNode; head: RedNode; counterId: string }> {
  const n = ++deployCount;
  const head = `bench-${n}-head`;
  const genId = `bench-${n}-gen`;
  const counterId = sc.headIsCounter ? head : `bench-${n}-counter`;
  const flows = [
    { id: TAB, type: 'tab', label: 'bench', disabled: false, info: '' },
    { id: genId, type: 'bench-generator', z: TAB, name: '', wires: [[head]] },
    ...sc.nodes(head, counterId),
    ...(sc.headIsCounter ? [] : [{ id: counterId, type: 'bench-counter', z: TAB, name: '', wires: [] }]),
  ];
  await RED.runtime.flows.setFlows({ flows: { flows, credentials: sc.credentials?.(head) }, deploymentType: 'full' });
  for (let i = 0; i < 500; i++) {
    const gen = RED.nodes.getNode(genId);
    const headNode = RED.nodes.getNode(head);
    if (gen && headNode && RED.nodes.getNode(counterId)) return { gen, head: headNode, counterId };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${sc.name}: the flow did not start (is the node type installed?)`);
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface RunResult { ms: number; records: number; messages: number; received: number }

export async function runOnce(sc: Scenario): Promise<RunResult> {
  const { gen, head, counterId } = await deploy(sc);
  const { msgs, records } = sc.input();
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 20));
  counter.id = counterId;
  counter.count = 0;
  counter.isLast = sc.isLast;
  counter.lastMsg = null;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    counter.resolve = resolve;
    timer = setTimeout(() => reject(new Error(`${sc.name}: no completion after ${RUN_TIMEOUT_MS} ms (${counter.count} received)`)), RUN_TIMEOUT_MS);
  });
  const t0 = process.hrtime.bigint();
  let sinceTurn = 0;
  for (const m of msgs) {
    gen.send(m);
    sinceTurn += Array.isArray(m.payload) ? m.payload.length : 1;
    if (sinceTurn >= CHUNK) { sinceTurn = 0; await turn(); }
  }
  // Deliveries run in setImmediate order: one more turn and every message sent above has reached the head.
  if (sc.finish) { await turn(); sc.finish(head); }
  await done;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearTimeout(timer);
  counter.id = '';
  counter.resolve = null;
  return { ms, records, messages: msgs.length, received: counter.count };
}

export interface ScenarioResult {
  name: string;
  /** Input records (= messages, except for the batch scenario) per second, median of the runs. */
  rate: number;
  records: number;
  messages: number;
  received: number;
  runsMs: number[];
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const scenarios = only.length ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  const userDir = await startRuntime();
  const results = new Map<string, ScenarioResult>();
  try {
    for (let round = 0; round <= RUNS; round++) {
      for (const sc of scenarios) {
        const r = await runOnce(sc);
        process.stderr.write(`  B ${round === 0 ? 'warm-up' : `run ${round}`} ${sc.name}: ${r.records} records in ${r.ms.toFixed(0)} ms (${r.received} out)\n`);
        if (round === 0) continue;
        const prev = results.get(sc.name) ?? { name: sc.name, rate: 0, records: r.records, messages: r.messages, received: r.received, runsMs: [] };
        prev.runsMs.push(r.ms);
        prev.received = r.received;
        results.set(sc.name, prev);
      }
    }
  } finally {
    await RED.stop().catch(() => undefined);
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  for (const r of results.values()) r.rate = r.records / (median(r.runsMs) / 1000);
  process.stdout.write(`BENCH_JSON ${JSON.stringify(Object.fromEntries(results))}\n`);
  process.exit(0);
}

// Also a module: bench/influx.ts runs its scenarios with the same runtime, generator and counter.
if (require.main === module) void main().catch((err) => { console.error(err); process.exit(1); });
