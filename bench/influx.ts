/**
 * `npm run bench:influx`: points per second into a real local InfluxDB 2.x (scripts/services/influxdb.sh v2,
 * started when not running), the same 100K window results (one point each: key tag, count/sum/avg) three ways,
 * taking turns in the same run, batch size 1000 for all:
 *
 *   node         generator → streamkit-influxdb-write in a Node-RED 4.1 runtime (bench/node-red.ts); timed from the
 *                first message to the EOS message's done() (seen through Node-RED's onComplete hook, which a
 *                Complete node would add a deep copy of every message to), which comes after InfluxDB
 *                acknowledged every point before it
 *   bare points  the client library's WriteApi alone: a Point per result (writePoint), timed until writeSuccess
 *                has reported every line (close() resolves before the last acknowledgements)
 *   bare lines   the same WriteApi given ready-made line-protocol strings (writeRecord), its fastest use
 *
 * Figures are medians of BENCH_RUNS (default 5) rounds after a warm-up, with the range over the rounds; in each
 * round the node and the bare client run back to back (taking turns going first), and the median of the rounds'
 * ratios node / bare points carries the bar (≥ 0.8×). JSON goes to $TMPDIR.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { RED, runOnce, startRuntime, type Scenario } from './node-red';
import { median } from './stream';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const POINTS = 100_000;
const KEYS = 100;
const BATCH = 1000;
const T0 = Date.UTC(2026, 0, 1);

type Msg = Record<string, unknown>;
interface Env { INFLUX_URL: string; INFLUX_TOKEN: string; INFLUX_ORG: string; INFLUX_BUCKET: string; INFLUX_VERSION: string }

/** Window result i: key s<i mod 100>, window i div 100 (1 s each). */
function result(i: number): Msg {
  const start = T0 + Math.floor(i / KEYS) * 1000;
  return { payload: { count: 1 + (i % 7), sum: i * 0.5, avg: (i * 0.5) / (1 + (i % 7)) }, key: `s${i % KEYS}`, topic: `s${i % KEYS}`,
    window: { type: 'tumbling', start, end: start + 1000 }, timing: 'ON_TIME', pane: 1, timestamp: start + 999 };
}

async function influxEnv(): Promise<Env> {
  const services = await import(path.join(ROOT, 'scripts', 'services.mjs')) as {
    SERVICES: { name: string }[]; startServices(list: unknown[]): Promise<{ env: Record<string, string>; failed: unknown[] }>;
  };
  const { env, failed } = await services.startServices(services.SERVICES.filter((s) => s.name === 'influxdb-v2'));
  if (failed.length) throw new Error('cannot start InfluxDB 2.x (scripts/services/influxdb.sh start v2)');
  return env as unknown as Env;
}

let runNo = 0;
/** Which node's done() the counter hears about (the EOS message's marks the end). */
let completion = { head: '', counter: '' };
const isEos = (m: Msg) => (m.control as { type?: string } | undefined)?.type === 'eos';

function nodeScenario(env: Env): Scenario {
  return {
    name: 'node',
    nodes: (h, c) => {
      completion = { head: h, counter: c };
      const measurement = `bench_node_${++runNo}`;
      return [
        { id: `${h}-conn`, type: 'streamkit-influxdb', name: '', url: env.INFLUX_URL, version: 'v2', org: env.INFLUX_ORG, bucket: env.INFLUX_BUCKET,
          database: '', retentionPolicy: '', usetls: false, tls: '', timeout: 10 },
        { id: h, type: 'streamkit-influxdb-write', z: 'bench-tab', name: '', influxdb: `${h}-conn`, measurement, bucket: '', org: '', database: '',
          retentionPolicy: '', fieldsProp: 'payload', fieldsPropType: 'msg', keyProp: 'key', keyPropType: 'msg', keyTag: 'key', tagProps: '',
          integerFields: 'count', timeFrom: 'start', precision: 'ms', batchSize: BATCH, maxInFlight: Number(process.env.BENCH_INFLUX_INFLIGHT ?? 4), flushInterval: 1, flushIntervalUnits: 's',
          maxLines: 100000, overflow: 'block', retryMinDelay: 1, retryMaxDelay: 30, maxRetryTime: 0, wires: [] },
      ];
    },
    input: () => {
      const msgs: Msg[] = [];
      for (let i = 0; i < POINTS; i++) msgs.push(result(i));
      msgs.push({ control: { type: 'eos' } });
      return { msgs, records: POINTS };
    },
    isLast: isEos,
    credentials: (h) => ({ [`${h}-conn`]: { token: env.INFLUX_TOKEN } }),
  };
}

/** The bare WriteApi: ms from the first write until every line was acknowledged. */
async function bare(env: Env, mode: 'points' | 'lines'): Promise<number> {
  const results: Msg[] = [];
  for (let i = 0; i < POINTS; i++) results.push(result(i));
  const measurement = `bench_bare_${mode}_${++runNo}`;
  let acked = 0;
  let failure: Error | undefined;
  let finished!: () => void;
  const all = new Promise<void>((r) => { finished = r; });
  const api = new InfluxDB({ url: env.INFLUX_URL, token: env.INFLUX_TOKEN }).getWriteApi(env.INFLUX_ORG, env.INFLUX_BUCKET, 'ms', {
    batchSize: BATCH, flushInterval: 1000,
    writeSuccess: (lines) => { acked += lines.length; if (acked >= POINTS) finished(); },
    writeFailed: (err) => { failure = err; finished(); },
  });
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = process.hrtime.bigint();
  for (const r of results) {
    const p = r.payload as { count: number; sum: number; avg: number };
    const start = (r.window as { start: number }).start;
    if (mode === 'points') {
      api.writePoint(new Point(measurement).tag('key', r.key as string).intField('count', p.count).floatField('sum', p.sum)
        .floatField('avg', p.avg).timestamp(start));
    } else {
      api.writeRecord(`${measurement},key=${r.key as string} avg=${p.avg},count=${p.count}i,sum=${p.sum} ${start}`);
    }
  }
  await api.flush();
  await all;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await api.close();
  if (failure) throw failure;
  return ms;
}

const fmt = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M/s` : `${(r / 1e3).toFixed(0)}K/s`);

async function main(): Promise<void> {
  process.stderr.write('bench:influx: npm run build\n');
  if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('build failed');
  const env = await influxEnv();
  const userDir = await startRuntime();
  const count = (globalThis as { __streamkitBenchCounter?: (id: string, m: Msg) => void }).__streamkitBenchCounter;
  RED.hooks.add('onComplete.bench', (ev: { msg: Msg; node: { id: string } }) => {
    if (ev.node.id === completion.head && isEos(ev.msg)) count?.(completion.counter, ev.msg);
  });
  const runs: Record<string, number[]> = { node: [], 'bare points': [], 'bare lines': [] };
  try {
    const node = nodeScenario(env);
    for (let round = 0; round <= RUNS; round++) {
      const times: Record<string, number> = {};
      const viaNode = async () => {
        const r = await runOnce(node);
        if (r.received !== 1) throw new Error('node: no EOS completion');
        times.node = r.ms;
      };
      // The node and the bare client take turns going first, so that a load change favours neither.
      if (round % 2 === 0) await viaNode();
      times['bare points'] = await bare(env, 'points');
      times['bare lines'] = await bare(env, 'lines');
      if (round % 2 === 1) await viaNode();
      process.stderr.write(`  ${round === 0 ? 'warm-up' : `run ${round}`}: ${Object.entries(times).map(([k, ms]) => `${k} ${fmt(POINTS / (ms / 1000))}`).join(', ')}\n`);
      if (round > 0) for (const [k, ms] of Object.entries(times)) runs[k].push(POINTS / (ms / 1000));
    }
  } finally {
    await RED.stop().catch(() => undefined);
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  const med = (k: string) => median(runs[k]);
  const range = (k: string) => `${fmt(Math.min(...runs[k]))}–${fmt(Math.max(...runs[k]))}`;
  // Each round's ratio compares runs made back to back; the bar is on their median.
  const ratios = runs.node.map((n, i) => n / runs['bare points'][i]);
  const ratio = median(ratios);
  const lines = [
    `StreamKit bench:influx — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    `InfluxDB ${env.INFLUX_VERSION} at ${env.INFLUX_URL}; ${POINTS / 1000}K window results (one point each, ${KEYS} keys), batch size ${BATCH}; median of ${RUNS} rounds after a warm-up (range over the rounds).`,
    '',
    '| # | measurement | points/s | range | baseline | ratio | bar | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| I1 | window results → influxdb write node (Node-RED 4.1) → InfluxDB, done() after the 2xx | ${fmt(med('node'))} | ${range('node')} | bare WriteApi, Point per result: ${fmt(med('bare points'))} (${range('bare points')}) | ${ratio.toFixed(2)}× (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ≥ 0.8× | ${ratio >= 0.8 ? 'PASS' : 'FAIL'} |`,
    `| I2 | same | ${fmt(med('node'))} | | bare WriteApi, line strings: ${fmt(med('bare lines'))} (${range('bare lines')}) | ${median(runs.node.map((n, i) => n / runs['bare lines'][i])).toFixed(2)}× | | info |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = path.join(process.env.TMPDIR || os.tmpdir(), 'streamkit-bench-influx.json');
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), env: { url: env.INFLUX_URL, version: env.INFLUX_VERSION }, runs }, null, 2));
  process.stdout.write(`results: ${file}\n`);
  process.exit(0);
}

void main().catch((err) => { console.error(err); process.exit(1); });
