/**
 * Part A, Debezium decoding: events per second for schema-enveloped messages (Kafka Connect's JSON converter
 * with schemas, key and value) through the engine's ChangeDecoder, against `JSON.parse` alone on the same bytes,
 * in the same process, taking turns run by run. A third variant parses the same texts with the lossless parser
 * alone (no schema cache, no decoding), to show what the parser costs by itself.
 *
 * The stream: 50K change events (5K distinct ones, cycled) of two tables, interleaved (a table with one column of every type the decoder
 * knows, 18 columns, and a 4-column one), creates, updates and deletes with changing values, as Debezium 3.7
 * writes them. Run by bench/index.ts as `node --import tsx bench/cdc.ts`; prints one JSON line.
 */
import path from 'node:path';
import type * as Engine from '../src/engine';
import { CUSTOMERS, CUSTOMERS_KEY, TYPED, TYPED_KEY, docs, framed, typedChange, typedWire } from '../test/fixtures/debezium';
import { median } from './stream';

const E = require(path.join(__dirname, '..', 'dist', 'engine.js')) as typeof Engine;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const EVENTS = 50_000;
/** Distinct messages, cycled: a bounded working set, as a consumer holds a batch at a time. */
const DISTINCT = 5_000;

interface Message { value: string; key: string; topic: string }

function messages(): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const id = i % 5000;
    const op = i % 10 === 9 ? 'd' : i % 3 === 0 ? 'c' : 'u';
    if (i % 2 === 0) {
      const row = { ...typedWire, id, big: 9007199254740993n + BigInt(i), ts: typedWire.ts + i, t: `text ${i}`, r: i / 7 };
      const value = op === 'd' ? typedChange('d', null, { ...row }, { lsn: 26375568 + i }) : typedChange(op, row, null, { lsn: 26375568 + i });
      out.push({ value: framed(value, TYPED), key: framed({ id }, TYPED_KEY), topic: 'dbserver1.public.typed' });
    } else {
      const after = { ...docs.create.after, id, first_name: `name ${i}` };
      const value = op === 'd' ? { ...docs.delete, before: after } : { ...docs.create, op, after };
      out.push({ value: framed(value, CUSTOMERS), key: framed({ id }, CUSTOMERS_KEY), topic: 'PostgreSQL_server.public.customers' });
    }
  }
  return Array.from({ length: EVENTS }, (_, i) => out[i % DISTINCT]);
}

interface Variant { name: string; run(msgs: readonly Message[]): number }

let sink = 0;
/** Decodes the messages of `topic` only (all when undefined), with one decoder for all runs, as a node has. */
const decodeVariant = (name: string, topic?: string): Variant => {
  const d = new E.ChangeDecoder();
  return { name, run(msgs) {
    let n = 0;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      if (topic !== undefined && m.topic !== topic) continue;
      if (d.decode(m).op !== 'tombstone') sink++;
      n++;
    }
    return n;
  } };
};
const variants: Variant[] = [
  decodeVariant('decode'),
  // The two tables apart: what the number of columns and their types cost.
  decodeVariant('decode-customers', 'PostgreSQL_server.public.customers'),
  decodeVariant('decode-typed', 'dbserver1.public.typed'),
  {
    name: 'json-parse',
    run(msgs) {
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        if (JSON.parse(m.value) !== null && JSON.parse(m.key) !== null) sink++;
      }
      return msgs.length;
    },
  },
  {
    name: 'lossless-parse',
    run(msgs) {
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        if (E.parseJson(m.value) !== null && E.parseJson(m.key) !== null) sink++;
      }
      return msgs.length;
    },
  },
];

function main(): void {
  const msgs = messages();
  const bytes = msgs.reduce((n, m) => n + Buffer.byteLength(m.value) + Buffer.byteLength(m.key), 0);
  const runsMs: number[][] = variants.map(() => []);
  const events: number[] = variants.map(() => 0);
  for (let r = 0; r <= RUNS; r++) {
    variants.forEach((v, i) => {
      (globalThis as { gc?: () => void }).gc?.();
      const t0 = process.hrtime.bigint();
      events[i] = v.run(msgs);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r > 0) runsMs[i].push(ms);
    });
  }
  const result = Object.fromEntries(variants.map((v, i) => [v.name, { events: events[i], rate: events[i] / (median(runsMs[i]) / 1000), runsMs: runsMs[i] }]));
  process.stdout.write(`${JSON.stringify({ case: 'cdc', result: { ...result, bytesPerEvent: bytes / msgs.length, sink } })}\n`);
}

main();
