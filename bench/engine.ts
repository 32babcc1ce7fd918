/**
 * Part A — in-process engine throughput, one case per process (so JIT feedback from one case does not colour
 * another). Run by bench/index.ts as `node --expose-gc --import tsx bench/engine.ts <case>`; prints one JSON line.
 *
 * Every case runs on the same generated stream (bench/stream.ts): 10K sensors × 100 readings every 100 ms of
 * event time (1M records, 10 s of event time), 5 % delayed by 0–2 s, watermark bound B = 2 s (nothing is late).
 * The timed phase is the record loop (`process`/`add` for every record, including every window the watermark
 * fires on the way); the end-of-stream flush (EOS: every still-open window fires) is timed separately and
 * reported beside, not in the rate. The engine is the built bundle `dist/engine.js` (what the package ships).
 */
import path from 'node:path';
import type * as Engine from '../src/engine';
import { describeStream, makeStream, median, type Rec } from './stream';

const E = require(path.join(__dirname, '..', 'dist', 'engine.js')) as typeof Engine;

const B = 2000;
const AGGS: Engine.AggregateName[] = ['count', 'sum', 'avg'];
const THRESHOLD = 50;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Sink { n: number; last: unknown }
const sink: Sink = { n: 0, last: undefined };
const emit = (o: unknown): void => { sink.n++; sink.last = o; };

const gc = (): void => { (globalThis as { gc?: () => void }).gc?.(); };

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A measured variant: `run` processes every record (timed); `finish` is the EOS flush (timed separately). */
interface Variant {
  name: string;
  setup(): void;
  run(recs: readonly Rec[]): void | Promise<void>;
  finish?(): void;
  check?(): Record<string, number>;
}

interface VariantResult {
  name: string;
  events: number;
  rate: number;
  runsMs: number[];
  resultsInLoop: number;
  flushMs: number;
  flushResults: number;
  extra: Record<string, number>;
}

async function measure(recs: readonly Rec[], variants: Variant[], runs = RUNS): Promise<VariantResult[]> {
  const out = variants.map((v) => ({ name: v.name, events: recs.length, rate: 0, runsMs: [] as number[],
    resultsInLoop: 0, flushMs: 0, flushResults: 0, extra: {} as Record<string, number> }));
  const flushes: number[][] = variants.map(() => []);
  // Run 0 is the warm-up; the variants take turns so drift affects them alike.
  for (let r = 0; r <= runs; r++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[i];
      v.setup();
      sink.n = 0;
      sink.last = undefined;
      gc();
      const res = v.run(recs);
      if (res instanceof Promise) await res;
      if (r > 0) out[i].runsMs.push(lastMs);
      out[i].resultsInLoop = sink.n;
      const before = sink.n;
      const fms = v.finish ? time(() => v.finish!()) : 0;
      if (r > 0) flushes[i].push(fms);
      out[i].flushResults = sink.n - before;
      if (v.check) out[i].extra = v.check();
    }
  }
  for (let i = 0; i < variants.length; i++) {
    out[i].rate = recs.length / (median(out[i].runsMs) / 1000);
    out[i].flushMs = median(flushes[i]);
  }
  return out;
}

// `run` wrappers record their own loop time here (so setup and the flush stay outside it).
let lastMs = 0;
function timed(loop: (recs: readonly Rec[]) => void): (recs: readonly Rec[]) => void {
  return (recs) => { lastMs = time(() => loop(recs)); };
}
function timedAsync(loop: (recs: readonly Rec[]) => Promise<void>): (recs: readonly Rec[]) => Promise<void> {
  return async (recs) => { lastMs = await timeAsync(() => loop(recs)); };
}

// ---- variants ------------------------------------------------------------------------------------------------

/** A compiled setter for a one-segment path (the engine exports getters only). */
function compileSetter(p: string): (o: Record<string, unknown>, v: unknown) => void {
  const parts = E.parsePath(p);
  if (parts.length !== 1) throw new Error('bench setter: one segment only');
  const k = parts[0];
  return (o, v) => { o[k] = v; };
}

function filterMapEngine(): Variant {
  const pred = E.compileRules([{ property: 'value', op: 'gt', value: { literal: THRESHOLD } }]);
  const get = E.compileGetter('value');
  const set = compileSetter('value');
  return {
    name: 'engine',
    setup() {},
    run: timed((recs) => {
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i];
        if (pred(r)) {
          const m: Record<string, unknown> = { key: r.key, ts: r.ts, value: undefined };
          set(m, (get(r) as number) * 1.8 + 32);
          emit(m);
        }
      }
    }),
  };
}

function filterMapBare(): Variant {
  return {
    name: 'bare',
    setup() {},
    run: timed((recs) => {
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i];
        if (r.value > THRESHOLD) emit({ key: r.key, ts: r.ts, value: r.value * 1.8 + 32 });
      }
    }),
  };
}

function filterJsonata(): Variant {
  // Node-RED's own jsonata (the one RED.util.prepareJSONataExpression uses).
  const nrUtil = path.dirname(require.resolve('@node-red/util/package.json'));
  const jsonata = require(require.resolve('jsonata', { paths: [nrUtil] })) as (e: string) => { evaluate(i: unknown): Promise<unknown> };
  const expr = jsonata(`value > ${THRESHOLD}`);
  return {
    name: 'jsonata',
    setup() {},
    run: timedAsync(async (recs) => {
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i];
        if ((await expr.evaluate(r)) === true) emit(r);
      }
    }),
  };
}

function filterBare(): Variant {
  return {
    name: 'bare',
    setup() {},
    run: timed((recs) => {
      for (let i = 0; i < recs.length; i++) if (recs[i].value > THRESHOLD) emit(recs[i]);
    }),
  };
}

function windowEngine(window: Engine.WindowSpec, name = 'engine'): Variant {
  let op!: Engine.WindowOperator;
  return {
    name,
    setup() { op = new E.WindowOperator({ window, aggregates: AGGS, maxOutOfOrderness: B }, emit); },
    run: timed((recs) => {
      for (let i = 0; i < recs.length; i++) { const r = recs[i]; op.process(r.key, r.ts, r.value); }
    }),
    finish() { op.eos(); sink.n--; /* the EOS marker itself */ },
    check() { return { late: op.stats.late + op.stats.lateDropped, errors: op.stats.errors }; },
  };
}

/**
 * The floor for a keyed tumbling window: per key a short list of open windows {start, n, sum}; a key's oldest
 * window is emitted (count/sum/avg) once that key sees a record B past its end, the rest at the end. No
 * watermark, no lateness, no ordering guarantees.
 */
function tumblingBare(size: number, name = 'bare'): Variant {
  interface W { start: number; n: number; sum: number }
  let keys = new Map<string, W[]>();
  const out = (key: string, w: W) => emit({ key, start: w.start, end: w.start + size, count: w.n, sum: w.sum, avg: w.sum / w.n });
  return {
    name,
    setup() { keys = new Map(); },
    run: timed((recs) => {
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i];
        const ts = r.ts;
        const start = ts - (ts % size);
        let ws = keys.get(r.key);
        if (ws === undefined) { ws = []; keys.set(r.key, ws); }
        let w: W | undefined;
        for (let j = 0; j < ws.length; j++) if (ws[j].start === start) { w = ws[j]; break; }
        if (w === undefined) {
          w = { start, n: 0, sum: 0 };
          let j = ws.length;
          while (j > 0 && ws[j - 1].start > start) j--;
          ws.splice(j, 0, w);
        }
        w.n++;
        w.sum += r.value;
        while (ws.length > 0 && ws[0].start + size + B <= ts) out(r.key, ws.shift() as W);
      }
    }),
    finish() {
      for (const [k, ws] of keys) for (const w of ws) out(k, w);
      keys = new Map();
    },
  };
}

function keyedEngine(): Variant {
  let agg!: Engine.KeyedAggregator;
  return {
    name: 'engine',
    setup() { agg = new E.KeyedAggregator({ aggregates: AGGS, emit: 'update' }, emit); },
    run: timed((recs) => {
      for (let i = 0; i < recs.length; i++) { const r = recs[i]; agg.add(r.key, r.value); }
    }),
  };
}

function keyedBare(): Variant {
  let keys = new Map<string, { n: number; sum: number }>();
  return {
    name: 'bare',
    setup() { keys = new Map(); },
    run: timed((recs) => {
      for (let i = 0; i < recs.length; i++) {
        const r = recs[i];
        let a = keys.get(r.key);
        if (a === undefined) { a = { n: 0, sum: 0 }; keys.set(r.key, a); }
        a.n++;
        a.sum += r.value;
        emit({ key: r.key, aggregates: { count: a.n, sum: a.sum, avg: a.sum / a.n } });
      }
    }),
  };
}

// ---- heap per open (key, window) -------------------------------------------------------------------------

function heapPerWindow(keysN: number, windowsPerKey: number): { pairs: number; bytesPerPair: number; open: number } {
  const size = 5000;
  const keys = Array.from({ length: keysN }, (_, i) => `sensor-${String(i).padStart(6, '0')}`);
  const base = Date.UTC(2024, 0, 1);
  // Every record of a key in its own window; the watermark bound (1 day) keeps every window open.
  const recs: Rec[] = [];
  for (let w = 0; w < windowsPerKey; w++) for (const k of keys) recs.push({ key: k, ts: base + w * size + 1, value: 1 });
  const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const h0 = heap();
  const op = new E.WindowOperator({ window: { type: 'tumbling', size }, aggregates: AGGS, maxOutOfOrderness: 86_400_000 }, emit);
  for (const r of recs) op.process(r.key, r.ts, r.value);
  const h1 = heap();
  const pairs = keysN * windowsPerKey;
  if (sink.n !== 0) throw new Error('heap case: a window fired');
  const open = op.openWindows;
  return { pairs, bytesPerPair: (h1 - h0) / pairs, open };
}

// ---- cases ---------------------------------------------------------------------------------------------

const CASES: Record<string, () => Promise<unknown>> = {
  'filter-map': async () => caseResult(await measure(stream(), [filterMapEngine(), filterMapBare()])),
  'filter-jsonata': async () => caseResult(await measure(stream().slice(0, 200_000), [filterJsonata(), filterBare()], 3)),
  // The window shapes are compared with each other, so they run in one process, taking turns run by run.
  windows: async () => caseResult(await measure(stream(), [
    windowEngine({ type: 'tumbling', size: 5000 }, 'tumbling'),
    tumblingBare(5000, 'tumbling-bare'),
    windowEngine({ type: 'sliding', size: 30000, slide: 5000 }, 'sliding-30s-5s'),
    windowEngine({ type: 'sliding', size: 60000, slide: 1000 }, 'sliding-60s-1s'),
    windowEngine({ type: 'session', gap: 300000 }, 'session-5min'),
  ])),
  // One shape alone (for profiling with --cpu-prof).
  tumbling: async () => caseResult(await measure(stream(), [windowEngine({ type: 'tumbling', size: 5000 }), tumblingBare(5000)])),
  'sliding-30s-5s': async () => caseResult(await measure(stream(), [windowEngine({ type: 'sliding', size: 30000, slide: 5000 })])),
  'sliding-60s-1s': async () => caseResult(await measure(stream(), [windowEngine({ type: 'sliding', size: 60000, slide: 1000 })])),
  'session-5min': async () => caseResult(await measure(stream(), [windowEngine({ type: 'session', gap: 300000 })])),
  'keyed-aggregate': async () => caseResult(await measure(stream(), [keyedEngine(), keyedBare()])),
  heap: async () => ({ single: heapPerWindow(100_000, 1), multi: heapPerWindow(10_000, 10) }),
  stream: async () => describeStream(stream(), B),
};

let cached: Rec[] | null = null;
function stream(): Rec[] {
  if (!cached) cached = makeStream({ sensors: 10_000, ticks: 100 });
  return cached;
}

function caseResult(rs: VariantResult[]): Record<string, VariantResult> {
  return Object.fromEntries(rs.map((r) => [r.name, r]));
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const c = CASES[name];
  if (!c) {
    console.error(`usage: engine.ts <${Object.keys(CASES).join('|')}>`);
    process.exit(2);
  }
  if (!(globalThis as { gc?: unknown }).gc) console.error('bench: run with --expose-gc for stable figures');
  const result = await c();
  process.stdout.write(`${JSON.stringify({ case: name, result })}\n`);
}

void main().catch((err) => { console.error(err); process.exit(1); });
