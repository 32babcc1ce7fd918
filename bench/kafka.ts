/**
 * `npm run bench:kafka`: kafka in → kafka out inside Node-RED against the bare kafkajs loop and the most-used
 * existing Node-RED Kafka package (node-red-contrib-kafkajs, by npm downloads), all on the same local broker in the
 * same run. N records of about 200 bytes (BENCH_KAFKA_RECORDS, default 1M) are produced once into an input topic;
 * every measurement (bench/kafka-run.ts, a child process each) reads all of them with a fresh group and writes them
 * to a fresh output topic. BENCH_KAFKA_RUNS (default 3) rounds, the variants taking turns; the table shows medians,
 * the range over the rounds, and each ratio as the median of the per-round ratios.
 *
 * The broker comes from scripts/services.mjs (started here unless it runs, then stopped again), with the same
 * STREAMKIT_RUN / STREAMKIT_KAFKA_* variables as `npm test`.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = path.resolve(__dirname, '..');
const N = Number(process.env.BENCH_KAFKA_RECORDS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_KAFKA_RUNS ?? 3);
const PARTITIONS = 4;
const VARIANTS = ['bare', 'record', 'batch', 'existing'] as const;
type Variant = typeof VARIANTS[number];
interface Result { variant: Variant; records: number; ms: number; rate: number; heapPeakMB: number }

interface ServicesModule {
  SERVICES: { name: string }[];
  startServices(list: unknown[]): Promise<{ env: Record<string, string>; started: string[]; failed: { name: string }[] }>;
  stopServices(names: string[]): Promise<void>;
}

function runVariant(variant: Variant, topic: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join('bench', 'kafka-run.ts'), variant, topic, String(N), String(PARTITIONS)],
      { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { for (const l of d.toString().split('\n')) if (l.trim() && !/\[(info|warn)\]/.test(l)) process.stderr.write(`  ${variant}: ${l}\n`); });
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_KAFKA '));
      if (code !== 0 || !line) return reject(new Error(`${variant} exited with ${code}`));
      resolve(JSON.parse(line.slice('BENCH_KAFKA '.length)) as Result);
    });
  });
}

async function produceInput(brokers: string): Promise<{ topic: string; ms: number; bytes: number }> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [brokers], logLevel: logLevel.NOTHING });
  const topic = `bench-in-${Date.now().toString(36)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const t0 = Date.now();
  let bytes = 0;
  for (let i = 0; i < N; i += 10000) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + 10000); j++) {
      // About 200 bytes: a sensor reading with some text, as JSON.
      const value = JSON.stringify({ sensor: `sensor-${j % 1000}`, seq: j, ts: 1767225600000 + j * 10, celsius: 20 + (j % 170) / 10,
        site: 'plant-7/line-3/cell-12', note: 'steady state reading, calibrated 2026-01-01, firmware 4.2.17' });
      bytes += value.length;
      messages.push({ key: `sensor-${j % 1000}`, value });
    }
    await producer.send({ topic, messages, acks: 1 });
  }
  await producer.disconnect();
  return { topic, ms: Date.now() - t0, bytes: bytes / N };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const fmt = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M/s` : `${(r / 1e3).toFixed(1)}K/s`);
const range = (xs: number[], f: (x: number) => string) => (xs.length > 1 ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : f(xs[0]));

async function main(): Promise<void> {
  const t0 = Date.now();
  process.stderr.write('bench:kafka: npm run build\n');
  if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('build failed');
  const services = await import(path.join(ROOT, 'scripts', 'services.mjs')) as ServicesModule;
  const { env, started, failed } = await services.startServices(services.SERVICES.filter((s) => s.name === 'kafka'));
  if (failed.length) throw new Error('cannot start the Kafka broker');
  Object.assign(process.env, env);
  try {
    const brokers = process.env.KAFKA_BROKERS as string;
    process.stderr.write(`bench:kafka: producing ${N} records into the input topic (${PARTITIONS} partitions)\n`);
    const input = await produceInput(brokers);
    process.stderr.write(`bench:kafka: produced in ${(input.ms / 1000).toFixed(1)} s, ${input.bytes.toFixed(0)} bytes per value\n`);
    const results: Record<Variant, Result[]> = { bare: [], record: [], batch: [], existing: [] };
    for (let run = 1; run <= RUNS; run++) {
      for (const v of VARIANTS) {
        const r = await runVariant(v, input.topic);
        results[v].push(r);
        process.stderr.write(`  run ${run}/${RUNS} ${v.padEnd(8)} ${fmt(r.rate).padStart(9)}  ${(r.ms / 1000).toFixed(1)} s  heap peak ${r.heapPeakMB.toFixed(0)} MB\n`);
      }
    }
    const rates = (v: Variant) => results[v].map((r) => r.rate);
    const ratios = (a: Variant, b: Variant) => results[a].map((r, i) => r.rate / results[b][i].rate);
    const rows: string[][] = [];
    const row = (name: string, v: Variant, base: Variant | undefined, bar: number | undefined) => {
      const rr = base ? ratios(v, base) : [];
      const m = base ? median(rr) : undefined;
      rows.push([name, fmt(median(rates(v))), range(rates(v), fmt), base ?? '', m !== undefined ? `${m.toFixed(2)}×` : '',
        rr.length ? range(rr, (x) => `${x.toFixed(2)}×`) : '', bar !== undefined ? `≥ ${bar}×` : '',
        bar === undefined || m === undefined ? 'info' : m >= bar ? 'PASS' : 'FAIL',
        range(results[v].map((r) => r.heapPeakMB), (x) => `${x.toFixed(0)} MB`)]);
    };
    row('bare kafkajs loop (eachBatch → send)', 'bare', undefined, undefined);
    row('kafka in → kafka out, a message per record', 'record', 'bare', 0.5);
    row('kafka in → kafka out, a message per batch', 'batch', 'bare', 0.8);
    row('node-red-contrib-kafkajs 0.0.7 consumer → change → producer', 'existing', 'bare', undefined);
    row('kafka in → kafka out, a message per record', 'record', 'existing', 2);
    row('kafka in → kafka out, a message per batch', 'batch', 'existing', 2);
    const head = ['measurement', 'rate (median)', 'range', 'baseline', 'ratio (median)', 'ratio range', 'bar', 'result', 'heap peak'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    const line = (cells: string[]) => `| ${cells.map((s, c) => s.padEnd(widths[c])).join(' | ')} |`;
    process.stdout.write(`StreamKit bench:kafka — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`
      + `${N} records (${input.bytes.toFixed(0)}-byte JSON values, ${PARTITIONS} partitions), Apache Kafka ${process.env.STREAMKIT_KAFKA_VERSION ?? '4.4.0'} on ${brokers}, `
      + `${RUNS} rounds; rate = records from the start (group join included) until the output topic holds all of them; heap peak = the process's heapUsed\n\n`
      + `${[line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')}\n\n`
      + `done in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  } finally {
    if (started.length) await services.stopServices(started);
  }
}

void main().catch((err) => { console.error(err); process.exit(2); });
