/**
 * `npm run bench`: builds the package, runs Part A (engine in-process, bench/engine.ts, one child process per
 * case) and Part B (a real Node-RED runtime, bench/node-red.ts, one child process), then prints one table.
 * Every figure is a ratio against a baseline measured in the same run; each row shows its bar and PASS/FAIL.
 * The full results are also written as JSON to $TMPDIR (never into the repository).
 *
 *   npm run bench                 # everything (about 3–4 minutes on 2 cores)
 *   npm run bench -- --only A     # Part A only   (--only B: Part B only)
 *   npm run bench -- --strict     # exit 1 when a bar fails
 *
 * BENCH_RUNS (Part A, default 5) and BENCH_RUNS_B (Part B, default 5) set the measured runs per figure (after
 * one warm-up run); figures are medians.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 ? argv[onlyIdx + 1]?.toUpperCase() : undefined;
const strict = argv.includes('--strict');
const runA = only === undefined || only === 'A';
const runB = only === undefined || only === 'B';

interface VariantResult { name: string; events: number; rate: number; runsMs: number[]; resultsInLoop: number; flushMs: number; flushResults: number; extra: Record<string, number> }
type CaseResult = Record<string, VariantResult>;
interface HeapResult { single: { pairs: number; bytesPerPair: number }; multi: { pairs: number; bytesPerPair: number } }
interface ScenarioResult { name: string; rate: number; records: number; messages: number; received: number; runsMs: number[] }

function run(cmd: string, args: string[], label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      // Progress lines go through; Node-RED's startup chatter does not.
      for (const line of d.toString().split('\n')) if (line.trim() && !/\[(info|warn)\]/.test(line)) process.stderr.write(`${line}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${label} exited with ${code}`))));
  });
}

const childArgs = (file: string, ...rest: string[]) => ['--expose-gc', '--import', 'tsx', path.join('bench', file), ...rest];

interface CdcRate { rate: number; events: number }
interface CdcResult { decode: CdcRate; 'decode-customers': CdcRate; 'decode-typed': CdcRate; 'json-parse': CdcRate; 'lossless-parse': CdcRate; bytesPerEvent: number }

async function partA(): Promise<{ cases: Record<string, CaseResult>; heap: HeapResult; stream: Record<string, number>; cdc: CdcResult }> {
  const names = ['stream', 'filter-map', 'filter-jsonata', 'windows', 'keyed-aggregate', 'heap'];
  const cases: Record<string, CaseResult> = {};
  let heap: HeapResult | undefined;
  let stream: Record<string, number> = {};
  for (const name of names) {
    const t0 = Date.now();
    const out = await run(process.execPath, childArgs('engine.ts', name), `bench/engine.ts ${name}`);
    const line = out.trim().split('\n').pop() as string;
    const { result } = JSON.parse(line) as { result: unknown };
    if (name === 'heap') heap = result as HeapResult;
    else if (name === 'stream') stream = result as Record<string, number>;
    else cases[name] = result as CaseResult;
    process.stderr.write(`  A ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const t0 = Date.now();
  const cdcOut = await run(process.execPath, childArgs('cdc.ts'), 'bench/cdc.ts');
  const cdc = (JSON.parse(cdcOut.trim().split('\n').pop() as string) as { result: CdcResult }).result;
  process.stderr.write(`  A cdc: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return { cases, heap: heap as HeapResult, stream, cdc };
}

async function partB(): Promise<Record<string, ScenarioResult>> {
  const out = await run(process.execPath, childArgs('node-red.ts'), 'bench/node-red.ts');
  const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error('bench/node-red.ts printed no results');
  return JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, ScenarioResult>;
}

// ---- formatting ------------------------------------------------------------------------------------------

const fmtRate = (r: number | undefined): string => {
  if (r === undefined || !Number.isFinite(r)) return '—';
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M/s`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(r >= 1e5 ? 0 : 1)}K/s`;
  return `${r.toFixed(0)}/s`;
};
const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : '—');

interface Row {
  part: 'A' | 'B';
  name: string;
  rate?: number;
  unit?: string;
  baseline?: string;
  baselineRate?: number;
  ratio?: number;
  bar?: number;
  barText?: string;
  seed?: string;
  note?: string;
  pass?: boolean;
}

function row(r: Omit<Row, 'ratio' | 'pass'>): Row {
  const ratio = r.rate !== undefined && r.baselineRate ? r.rate / r.baselineRate : undefined;
  const pass = ratio !== undefined && r.bar !== undefined ? ratio >= r.bar : undefined;
  return { ...r, ratio, pass };
}

function table(rows: Row[]): string {
  const head = ['#', 'measurement', 'rate', 'baseline', 'baseline rate', 'ratio', 'bar', 'result', 'seed doc', 'notes'];
  const body = rows.map((r, i) => [
    `${r.part}${i + 1 - (r.part === 'B' ? rows.filter((x) => x.part === 'A').length : 0)}`,
    r.name,
    r.unit ?? fmtRate(r.rate),
    r.baseline ?? '',
    r.baselineRate !== undefined ? fmtRate(r.baselineRate) : '',
    r.ratio !== undefined ? fmtRatio(r.ratio) : '',
    r.barText ?? (r.bar !== undefined ? `≥ ${fmtRatio(r.bar)}` : ''),
    r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'FAIL',
    r.seed ?? '',
    r.note ?? '',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => `| ${cells.map((s, c) => s.padEnd(widths[c])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const t0 = Date.now();
  process.stderr.write('bench: npm run build\n');
  const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) throw new Error('npm run build failed');

  const A = runA ? await partA() : undefined;
  const B = runB ? await partB() : undefined;
  const rows: Row[] = [];

  if (A) {
    const c = A.cases;
    const eng = (k: string) => c[k].engine;
    const flushNote = (v: VariantResult) => `${v.resultsInLoop} results in loop; EOS flush ${v.flushResults} results in ${v.flushMs.toFixed(0)} ms`;
    rows.push(row({ part: 'A', name: 'filter+map: compileRules + getter/setter', rate: eng('filter-map').rate,
      baseline: 'bare loop if (r.value > x) push', baselineRate: c['filter-map'].bare.rate, bar: 0.5, seed: '1M/s' }));
    const jsonata = c['filter-jsonata'].jsonata;
    const switchJ = B?.['switch-jsonata'];
    rows.push(row({ part: 'A', name: 'filter: JSONata `value > 50`, awaited one at a time', rate: jsonata.rate,
      baseline: 'B: core switch, same JSONata', baselineRate: switchJ?.rate, bar: 1, barText: 'no slower',
      note: `${jsonata.events / 1000}K records; ${fmtRatio(jsonata.rate / c['filter-jsonata'].bare.rate)} of the bare filter loop (${fmtRate(c['filter-jsonata'].bare.rate)})` }));
    const w = c.windows;
    rows.push(row({ part: 'A', name: 'tumbling 5 s (count/sum/avg)', rate: w.tumbling.rate,
      baseline: 'bare Map-based keyed tumbling loop', baselineRate: w['tumbling-bare'].rate, bar: 0.2, seed: '500K/s', note: flushNote(w.tumbling) }));
    rows.push(row({ part: 'A', name: 'sliding 30 s / 5 s', rate: w['sliding-30s-5s'].rate,
      baseline: 'A3: our tumbling', baselineRate: w.tumbling.rate, bar: 0.5, seed: '200K/s', note: flushNote(w['sliding-30s-5s']) }));
    rows.push(row({ part: 'A', name: 'session gap 5 min', rate: w['session-5min'].rate,
      baseline: 'A3: our tumbling', baselineRate: w.tumbling.rate, bar: 0.5, seed: '300K/s', note: flushNote(w['session-5min']) }));
    rows.push(row({ part: 'A', name: 'sliding 60 s / 1 s', rate: w['sliding-60s-1s'].rate,
      baseline: 'A4: our sliding 30 s / 5 s', baselineRate: w['sliding-30s-5s'].rate, bar: 1 / 1.5, barText: 'within 1.5× (≥ 0.67×)',
      seed: '200K/s', note: flushNote(w['sliding-60s-1s']) }));
    rows.push(row({ part: 'A', name: 'keyed aggregate, emit on update', rate: eng('keyed-aggregate').rate,
      baseline: 'bare Map loop emitting {count,sum,avg}', baselineRate: c['keyed-aggregate'].bare.rate, bar: 0.3, seed: 'group-by 400K/s' }));
    rows.push(row({ part: 'A', name: 'heap per open (key, window), tumbling', unit: `${A.heap.single.bytesPerPair.toFixed(0)} B`,
      note: `100K keys × 1 window: ${A.heap.single.bytesPerPair.toFixed(0)} B/pair; 10K keys × 10 windows: ${A.heap.multi.bytesPerPair.toFixed(0)} B/pair (heapUsed delta after gc)` }));
    const d = A.cdc;
    const decode = row({ part: 'A', name: 'Debezium decode, schema-enveloped key + value', rate: d.decode.rate,
      baseline: 'JSON.parse alone, same bytes', baselineRate: d['json-parse'].rate, bar: 0.3, barText: '≥ 0.3× and ≥ 100K/s',
      note: `${d.decode.events / 1000}K events of 2 tables, ${(d.bytesPerEvent / 1024).toFixed(1)} KiB each: the 4-column table ${fmtRate(d['decode-customers'].rate)}, `
        + `the 18-column one with every type ${fmtRate(d['decode-typed'].rate)}; lossless parse alone, no schema cache: ${fmtRate(d['lossless-parse'].rate)}` });
    rows.push({ ...decode, pass: decode.pass === true && d.decode.rate >= 100_000 });
    const late = Object.values(c).flatMap((v) => Object.values(v)).reduce((n, v) => n + (v.extra?.late ?? 0), 0);
    if (late > 0) process.stderr.write(`bench: WARNING ${late} records were late in Part A (the stream should have none)\n`);
  }

  if (B) {
    const r = (k: string) => B[k];
    rows.push(row({ part: 'B', name: 'tumbling window node, 1 msg per record', rate: r('window').rate,
      baseline: 'node-red-contrib-aggregator 2.0 (1 s mean per topic)', baselineRate: r('aggregator').rate, bar: 0.75 }));
    rows.push(row({ part: 'B', name: 'tumbling window node, 1 msg per record', rate: r('window').rate,
      baseline: 'function node: same keyed tumbling window', baselineRate: r('function-window').rate, bar: 10,
      note: r('window').received === r('function-window').received ? `same output: ${r('window').received - 1} results + EOS`
        : `OUTPUT DIFFERS: window ${r('window').received}, function ${r('function-window').received} messages` }));
    rows.push(row({ part: 'B', name: 'filter node, rules (payload > 50)', rate: r('filter-rules').rate,
      baseline: 'core switch, same rule', baselineRate: r('switch-rules').rate, bar: 5, note: `${r('switch-rules').records / 1000}K records each` }));
    rows.push(row({ part: 'B', name: 'map node, JSONata (payload * 1.8 + 32)', rate: r('map-jsonata').rate,
      baseline: 'core change, same JSONata', baselineRate: r('change-jsonata').rate, bar: 1, note: `${r('change-jsonata').records / 1000}K records each` }));
    rows.push(row({ part: 'B', name: 'filter node, JSONata (payload > 50)', rate: r('filter-jsonata').rate,
      baseline: 'core switch, same JSONata', baselineRate: r('switch-jsonata').rate, bar: 1, barText: 'no slower', note: `${r('switch-jsonata').records / 1000}K records each` }));
    rows.push(row({ part: 'B', name: 'tumbling window node, batch of 1000 records/msg', rate: r('window-batch').rate,
      baseline: 'B1: window node, 1 msg per record', baselineRate: r('window').rate, bar: 20, note: 'records/s' }));
    rows.push(row({ part: 'B', name: 'Node-RED floor: generator → a node that only calls done()', rate: r('floor').rate,
      note: (() => {
        const us = (k: string) => 1e6 / r(k).rate;
        const [floor, win, fn] = [us('floor'), us('window'), us('function-window')];
        // What each node adds to Node-RED's own cost of a delivery: the share a node's code can change.
        return `${floor.toFixed(2)} µs/msg; window node ${win.toFixed(2)} µs/msg, aggregator ${us('aggregator').toFixed(2)}, function ${fn.toFixed(2)}; `
          + `above the floor: window ${(win - floor).toFixed(2)} µs, function ${(fn - floor).toFixed(2)} µs (${fmtRatio((fn - floor) / (win - floor))})`;
      })() }));
  }

  const header = [
    `StreamKit bench — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    A ? `Part A: in-process engine (dist/engine.js). Stream: ${A.stream.records} records = 10K sensors × 100 readings every 100 ms of event time (${((A.stream.spanMs + 1) / 1000).toFixed(0)} s), `
      + `${A.stream.outOfOrder} (${(100 * A.stream.outOfOrder / A.stream.records).toFixed(1)} %) arrive out of order (5 % delayed 0–2 s), B = 2 s, ${A.stream.late} behind the watermark. `
      + 'Rate = records / time of the record loop (windows fired by the watermark included; the EOS flush is timed apart, see notes). '
      + `Median of ${process.env.BENCH_RUNS ?? 5} runs after a warm-up; a process per case (A3–A6 share one, taking turns run by run).` : '',
    B ? 'Part B: Node-RED 4.1 runtime in-process (no editor), nodes from the built package; generator → node → counter, input messages (records) per second from the first send to the completion marker at the counter; '
      + `1000 records injected per event-loop turn; stream 1000 sensors × 200 readings every 100 ms, 5 % delayed 0–2 s (200K records; the first 100K or 50K where a note says so). Median of ${process.env.BENCH_RUNS_B ?? 5} runs after a warm-up.` : '',
  ].filter(Boolean);
  const text = `${header.join('\n')}\n\n${table(rows)}\n`;
  process.stdout.write(text);
  const failed = rows.filter((x) => x.pass === false);
  const passed = rows.filter((x) => x.pass === true);
  process.stdout.write(`\n${passed.length} PASS, ${failed.length} FAIL${failed.length ? `: ${failed.map((f) => `${f.part}${rows.filter((x) => x.part === f.part).indexOf(f) + 1}`).join(', ')}` : ''} — ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

  const file = path.join(process.env.TMPDIR || os.tmpdir(), 'streamkit-bench-results.json');
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows, partA: A, partB: B }, null, 2));
  process.stdout.write(`results: ${file}\n`);
  if (strict && failed.length) process.exit(1);
}

void main().catch((err) => { console.error(err); process.exit(2); });
