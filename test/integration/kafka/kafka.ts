/**
 * What the Kafka integration specs share: the broker settings (from `npm test`, scripts/services.mjs), kafkajs
 * helpers to create topics, produce, read back and fetch committed offsets, and the flow pieces of our nodes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AssignerProtocol, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { NodeInitializer } from 'node-red';
import { freePort } from '../../helpers/node-red-process';
import { requireService } from '../../helpers/services';
import { helper } from '../../nodes/util';

export type KafkaEnv = Record<'KAFKA_BROKERS', string> & Partial<Record<
  'KAFKA_SASL_BROKERS' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USER' | 'KAFKA_SASL_PASSWORD' | 'KAFKA_CA_FILE', string>>;

const ROOT = path.join(__dirname, '..', '..', '..');
const load = (file: string): NodeInitializer => require(path.join(ROOT, file)) as NodeInitializer;

/** Our built nodes (`npm run build` first) and the core nodes the flows use, from the Node-RED under test. */
export function flowNodes(): NodeInitializer[] {
  const nodeRed = path.dirname(require.resolve(`${process.env.STREAMKIT_NODE_RED || 'node-red'}/package.json`));
  const core = path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [nodeRed] }));
  return [
    load('nodes/kafka-broker.js'), load('nodes/kafka-in.js'), load('nodes/kafka-out.js'),
    load('test/integration/kafka/nodes/kafka-recorder.js'),
    ...['common/25-catch.js', 'network/05-tls.js', 'function/10-function.js']
      .map((f) => require(path.join(core, 'core', f)) as NodeInitializer),
  ];
}

/**
 * Called in a `describe` of specs that load flows in the Node-RED test helper: returns the broker settings (`vars`,
 * filled in before the specs run; without a broker they skip, or fail under CI=true), and runs the helper's server
 * around the specs, each flow unloaded after its spec.
 */
export function brokerSuite<E extends KafkaEnv = KafkaEnv>(vars = ['KAFKA_BROKERS']): E {
  const env = {} as E;
  before(function (done) {
    Object.assign(env, requireService(this, 'kafka', vars));
    helper.startServer(done);
  });
  after((done) => { helper.stopServer(done); });
  afterEach(() => helper.unload());
  return env;
}

let counter = 0;
/** A name no other run used: topics and groups are never shared between specs or runs. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}

export function client(brokers: string): Kafka {
  return new Kafka({ clientId: 'streamkit-spec', brokers: [brokers], logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 } });
}

export async function withAdmin<T>(brokers: string, fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(brokers: string, topic: string, partitions = 1): Promise<void> {
  await withAdmin(brokers, (a) => a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] }));
}

export async function withProducer<T>(brokers: string, fn: (p: Producer) => Promise<T>): Promise<T> {
  const producer = client(brokers).producer();
  await producer.connect();
  try {
    return await fn(producer);
  } finally {
    await producer.disconnect();
  }
}

/** Produces `n` records `{i}` (JSON, about `size` bytes, key `k<i mod 97>`) in batches. */
export async function produceSequence(brokers: string, topic: string, n: number, size = 50, from = 0): Promise<void> {
  const pad = 'x'.repeat(Math.max(0, size - 30));
  await withProducer(brokers, async (p) => {
    for (let i = from; i < from + n; i += 5000) {
      const messages = [];
      for (let j = i; j < Math.min(from + n, i + 5000); j++) messages.push({ key: `k${j % 97}`, value: JSON.stringify({ i: j, pad }) });
      await p.send({ topic, messages, acks: -1 });
    }
  });
}

/** Every record of `topic` (from the beginning) until `count` arrived, with a fresh group. */
export async function readBack(brokers: string, topic: string, count: number, timeoutMs = 30000):
Promise<{ key: Buffer | null; value: Buffer | null; partition: number; offset: string; headers: Record<string, unknown> }[]> {
  const consumer = client(brokers).consumer({ groupId: unique('readback'), maxWaitTimeInMs: 200 });
  const got: { key: Buffer | null; value: Buffer | null; partition: number; offset: string; headers: Record<string, unknown> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read back ${got.length} of ${count} records of ${topic} in ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({ eachMessage: async ({ partition, message }) => {
        got.push({ key: message.key, value: message.value, partition, offset: message.offset, headers: message.headers ?? {} });
        if (got.length >= count) { clearTimeout(timer); resolve(); }
      } });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** The group's committed offsets of `topic`, by partition (-1: none). */
export async function committedOffsets(brokers: string, groupId: string, topic: string): Promise<Map<number, number>> {
  return withAdmin(brokers, async (a) => {
    const [t] = await a.fetchOffsets({ groupId, topics: [topic] });
    return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
  });
}

/** The group's members that own partitions, and how many each, when the group is stable (else null). */
export async function groupAssignment(brokers: string, groupId: string): Promise<number[] | null> {
  return withAdmin(brokers, async (a) => {
    const { groups: [g] } = await a.describeGroups([groupId]);
    if (!g || g.state !== 'Stable') return null;
    return g.members.map((m) => {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      return Object.values(decoded?.assignment ?? {}).reduce((n, ps) => n + ps.length, 0);
    });
  });
}

/** scripts/services/kafka.sh on the broker of these specs: stop/start it, or freeze/thaw it (SIGSTOP/SIGCONT). */
export function kafkaSh(cmd: 'start' | 'stop' | 'freeze' | 'thaw'): void {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'services', 'kafka.sh'), cmd], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180000 });
  if (r.status !== 0) throw new Error(`kafka.sh ${cmd} failed: ${r.stderr?.toString().slice(-2000)}`);
}

/**
 * A TCP port that forwards every connection to `target` (`host:port`) once `open()` is called, and refuses them
 * before: a bootstrap address whose broker becomes reachable later.
 */
export async function laterBroker(target: string): Promise<{ address: string; open(): Promise<void>; close(): Promise<void> }> {
  const [host, port] = target.split(':');
  const free = await freePort();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  return {
    address: `127.0.0.1:${free}`,
    open: () => new Promise<void>((r) => server.listen(free, '127.0.0.1', () => r())),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };
}

/** Where the recorder test node lives, for a child runtime's settings.nodesDir. */
export const RECORDER_DIR = path.join(__dirname, 'nodes');

export interface Recorded { n: string; p: number; o: string; i?: number }
/** The lines a recorder appended to `file` (a line still being written, without its newline yet, is left out). */
export function recorded(file: string): Recorded[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').slice(0, -1).filter(Boolean).map((l) => JSON.parse(l) as Recorded);
}

export function recorder(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'kafka-recorder', z: 'tab', name: `recorder ${id}`, file: '', delay: 0, serial: false, wires: [], ...extra };
}

/** Node configs as the editors save them. */
export function brokerNode(id: string, brokers: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'streamkit-kafka-broker', name: '', brokers, clientId: 'spec', usetls: false, tls: '', sasl: 'none',
    connectionTimeout: 5000, requestTimeout: 30000, ...extra };
}

export function kafkaIn(id: string, broker: string, topics: string, groupId: string, wires: string[][], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'streamkit-kafka-in', z: 'tab', name: '', broker, topicType: 'list', topics, groupId, start: 'earliest',
    valueFormat: 'json', keyFormat: 'string', output: 'record', maxInFlight: 1000, resumeAt: 500, deadLetter: false,
    deadLetterTopic: '', wires, ...extra };
}

export function kafkaOut(id: string, broker: string, topic: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'streamkit-kafka-out', z: 'tab', name: '', broker, topic, valueProp: 'payload', valuePropType: 'msg',
    keyProp: 'key', keyPropType: 'msg', partition: '', partitionType: 'none', acks: 'all', idempotent: false,
    compression: 'none', linger: 5, batchSize: 1000, maxBuffered: 10000, batch: false, wires: [], ...extra };
}
