/**
 * One measurement of `npm run bench:kafka` (bench/kafka.ts runs it as a child process, one per variant and run):
 * N records from the input topic to a fresh output topic, consumed from the beginning with a fresh group, timed from
 * the start until the output topic holds all N records. Prints `BENCH_KAFKA {variant, records, ms, rate, heapPeakMB}`.
 *
 *   bare      a plain kafkajs 2.2.4 loop: eachBatch → producer.send of the batch (acks all) → offsets resolved and
 *             committed by kafkajs, the partitions consumed concurrently: the client's own limit
 *   record    Node-RED: streamkit-kafka-in (one message per record) → streamkit-kafka-out
 *   batch     Node-RED: streamkit-kafka-in (one message per fetched batch) → streamkit-kafka-out (array = batch)
 *   existing  Node-RED: node-red-contrib-kafkajs 0.0.7 consumer → change (payload = payload.value) → producer
 *
 * Values pass as bytes (our nodes with the Buffer format), as in the bare loop; our nodes run with their editor
 * defaults (1000 in flight, resume at 500, linger 5 ms, batches of 1000, acks all). Node-RED runs in this process;
 * its start-up is not timed.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = path.resolve(__dirname, '..');
const [variant, input, countText, partitionsText] = process.argv.slice(2);
const N = Number(countText);
const PARTITIONS = Number(partitionsText);
const BROKERS = process.env.KAFKA_BROKERS as string;
const kafka = new Kafka({ clientId: 'bench', brokers: [BROKERS], logLevel: logLevel.NOTHING });
const uniq = (p: string) => `${p}-${Date.now().toString(36)}-${process.pid}`;

let heapPeak = 0;
const sampler = setInterval(() => { heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed); }, 50);

async function waitForOutput(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  for (;;) {
    const offsets = await admin.fetchTopicOffsets(topic);
    if (offsets.reduce((n, o) => n + Number(o.high), 0) >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await admin.disconnect();
}

/** When the timed part started: the consumer is created (bare), or the flow is deployed (Node-RED's start-up is not timed). */
let t0 = 0;

async function bare(output: string): Promise<() => Promise<void>> {
  t0 = Date.now();
  const consumer = kafka.consumer({ groupId: uniq('bench-bare') });
  const producer = kafka.producer();
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      await producer.send({ topic: output, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
    },
  });
  return async () => { await consumer.disconnect(); await producer.disconnect(); };
}

interface Red {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  runtime: { flows: { setFlows(opts: { flows: { flows: unknown[] }; deploymentType: string }): Promise<unknown> } };
}

async function nodeRed(output: string): Promise<() => Promise<void>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as Red;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamkit-bench-kafka-'));
  fs.mkdirSync(path.join(userDir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-streamkit'), 'dir');
  RED.init(http.createServer(), {
    userDir, flowFile: 'flows.json', credentialSecret: false, httpAdminRoot: false, httpNodeRoot: false, disableEditor: true,
    nodesExcludes: ['node-red-contrib-aggregator', ...(variant === 'existing' ? [] : ['node-red-contrib-kafkajs'])],
    functionExternalModules: false, externalModules: { autoInstall: false }, telemetry: { enabled: false },
    diagnostics: { enabled: false }, runtimeState: { enabled: false }, editorTheme: { palette: { catalogues: [] } },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  });
  await RED.start();
  const tab = { id: 'tab', type: 'tab', label: 'bench' };
  const group = uniq(`bench-${variant}`);
  let flows: object[];
  if (variant === 'existing') {
    flows = [tab,
      { id: 'client', type: 'kafkajs-client', name: '', brokers: BROKERS, clientid: 'bench', connectiontimeout: 3000, requesttimeout: 25000,
        advancedretry: false, maxretrytime: 30000, initialretrytime: 300, factor: 0.2, multiplier: 2, retries: 5, auth: 'none',
        tlsselfsign: false, saslssl: true, saslmechanism: 'plain', loglevel: 'error' },
      { id: 'in', type: 'kafkajs-consumer', z: 'tab', name: '', client: 'client', groupid: group, topic: input, advancedoptions: true,
        autocommitinterval: 5000, autocommitthreshold: 100, sessiontimeout: 30000, rebalancetimeout: 60000, heartbeatinterval: 3000,
        metadatamaxage: 300000, maxbytesperpartition: 1048576, minbytes: 1, maxbytes: 10485760, maxwaittimeinms: 5000,
        frombeginning: true, clearoffsets: false, allowautotopiccreation: false, wires: [['value']] },
      { id: 'value', type: 'change', z: 'tab', name: '', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload.value', tot: 'msg' }],
        wires: [['out']] },
      { id: 'out', type: 'kafkajs-producer', z: 'tab', name: '', client: 'client', topic: output, advancedoptions: false, acknowledge: 'all',
        partition: null, headeritems: {}, key: null, responsetimeout: 30000, transactiontimeout: 60000, metadatamaxage: 300000,
        allowautotopiccreation: false, wires: [] }];
  } else {
    const batch = variant === 'batch';
    flows = [tab,
      { id: 'b', type: 'streamkit-kafka-broker', name: '', brokers: BROKERS, clientId: 'bench', usetls: false, tls: '', sasl: 'none',
        connectionTimeout: 5000, requestTimeout: 30000 },
      { id: 'in', type: 'streamkit-kafka-in', z: 'tab', name: '', broker: 'b', topicType: 'list', topics: input, groupId: group,
        start: 'earliest', valueFormat: 'buffer', keyFormat: 'buffer', output: batch ? 'batch' : 'record', maxInFlight: 1000,
        resumeAt: 500, deadLetter: false, deadLetterTopic: '', wires: [['out']] },
      { id: 'out', type: 'streamkit-kafka-out', z: 'tab', name: '', broker: 'b', topic: output, valueProp: 'payload', valuePropType: 'msg',
        keyProp: 'key', keyPropType: 'msg', partition: '', partitionType: 'none', acks: 'all', idempotent: false, compression: 'none',
        linger: 5, batchSize: 1000, maxBuffered: 10000, batch, wires: [] }];
  }
  global.gc?.();
  heapPeak = process.memoryUsage().heapUsed;
  t0 = Date.now();
  await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
  return async () => { await RED.stop(); fs.rmSync(userDir, { recursive: true, force: true }); };
}

async function main(): Promise<void> {
  const output = uniq(`bench-out-${variant}`);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: output, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  await admin.disconnect();
  global.gc?.();
  heapPeak = process.memoryUsage().heapUsed;
  const stop = variant === 'bare' ? await bare(output) : await nodeRed(output);
  await waitForOutput(output);
  const ms = Date.now() - t0;
  clearInterval(sampler);
  console.log(`BENCH_KAFKA ${JSON.stringify({ variant, records: N, ms, rate: (N * 1000) / ms, heapPeakMB: heapPeak / 1e6 })}`);
  await Promise.race([stop(), new Promise((r) => setTimeout(r, 20000))]);
  const a = kafka.admin();
  await a.connect();
  await a.deleteTopics({ topics: [output] }).catch(() => undefined);
  await a.disconnect();
  process.exit(0);
}

void main().catch((err) => { console.error(err); process.exit(1); });
