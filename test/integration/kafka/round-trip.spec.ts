/**
 * Test 1 of the issue: kafka out → topic → kafka in on the real broker — JSON objects, strings and binary payloads
 * byte-exact, keys, headers, explicit partitions; and the messages a flow gives kafka out complete only once the
 * broker has them.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { brokerSuite, brokerNode, createTopic, flowNodes, kafkaIn, kafkaOut, readBack, unique, type KafkaEnv } from './kafka';
import { helper } from '../../nodes/util';
import { until } from '../../helpers/wait';

type Msg = Record<string, any>;

describe('kafka (real broker): round trip kafka out → topic → kafka in', function () {
  this.timeout(90000);
  const env = brokerSuite();

  it('carries JSON objects, strings and binary payloads byte-exact, with keys, headers and explicit partitions', async () => {
    const topic = unique('rt');
    await createTopic(env.KAFKA_BROKERS, topic, 3);
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const sent: Msg[] = [
      { payload: { a: 1, nested: { b: [1, 'two', null] } }, key: 'obj', partition: 0, headers: { kind: 'object', n: 7 } },
      { payload: 'héllo wörld ✓', key: 'str', partition: 1, headers: { kind: 'string' } },
      { payload: binary, key: Buffer.from([0, 1, 2]), partition: 2, headers: { kind: 'binary', raw: Buffer.from([9, 0, 9]) } },
      { payload: null, key: 'tombstone', partition: 1 },
      { payload: 42.5, key: 'num', partition: 0, timestamp: 1700000000123 },
    ];
    const flow = [
      { id: 'tab', type: 'tab' },
      brokerNode('b', env.KAFKA_BROKERS),
      kafkaOut('out', 'b', topic, { partitionType: 'msg', partition: 'partition' }),
      kafkaIn('in', 'b', topic, unique('g'), [['sink']], { valueFormat: 'buffer', keyFormat: 'buffer' }),
      { id: 'sink', type: 'helper', z: 'tab' },
    ];
    await helper.load(flowNodes(), flow as never);
    const got: Msg[] = [];
    (helper.getNode('sink') as Node).on('input', (m: object) => { got.push(m as Msg); });
    const out = helper.getNode('out') as Node;
    for (const m of sent) out.receive({ ...m } as never);
    await until(() => got.length === sent.length, 60000, 'the records to come back');

    const byKey = new Map(got.map((m) => [Buffer.from(m.key ?? '').toString('latin1'), m]));
    const obj = byKey.get('obj')!;
    assert.equal(obj.payload.toString(), JSON.stringify(sent[0].payload));
    assert.deepEqual(JSON.parse(obj.payload.toString()), sent[0].payload);
    assert.equal(obj.partition, 0);
    assert.deepEqual(obj.headers, { kind: 'object', n: '7' });
    assert.equal(obj.topic, topic);
    assert.equal(typeof obj.offset, 'string');
    const str = byKey.get('str')!;
    assert.equal(str.payload.toString('utf8'), 'héllo wörld ✓');
    assert.equal(str.partition, 1);
    const bin = byKey.get(Buffer.from([0, 1, 2]).toString('latin1'))!;
    assert.ok(Buffer.isBuffer(bin.payload));
    assert.ok(bin.payload.equals(binary), 'binary payload byte-exact');
    assert.equal(bin.partition, 2);
    assert.equal(bin.headers.raw, Buffer.from([9, 0, 9]).toString());
    assert.equal(byKey.get('tombstone')!.payload, null);
    const num = byKey.get('num')!;
    assert.equal(num.payload.toString(), '42.5');
    assert.equal(num.timestamp, 1700000000123);
  });

  it('decodes JSON values and string keys, one message per record or one per batch', async () => {
    const topic = unique('rt-json');
    await createTopic(env.KAFKA_BROKERS, topic, 1);
    const flow = [
      { id: 'tab', type: 'tab' },
      brokerNode('b', env.KAFKA_BROKERS),
      kafkaOut('out', 'b', topic),
      kafkaIn('in', 'b', topic, unique('g'), [['records']]),
      kafkaIn('inb', 'b', topic, unique('g'), [['batches']], { output: 'batch' }),
      { id: 'records', type: 'helper', z: 'tab' },
      { id: 'batches', type: 'helper', z: 'tab' },
    ];
    await helper.load(flowNodes(), flow as never);
    const records: Msg[] = [];
    const batches: Msg[] = [];
    (helper.getNode('records') as Node).on('input', (m: object) => { records.push(m as Msg); });
    (helper.getNode('batches') as Node).on('input', (m: object) => { batches.push(m as Msg); });
    const out = helper.getNode('out') as Node;
    for (let i = 0; i < 50; i++) out.receive({ payload: { i, sensor: `s${i % 3}` }, key: `s${i % 3}` } as never);
    await until(() => records.length === 50 && batches.reduce((n, b) => n + b.payload.length, 0) === 50, 60000, 'records and batches');
    assert.deepEqual(records.map((m) => m.payload.i), Array.from({ length: 50 }, (_, i) => i), 'one partition: offset order');
    assert.equal(records[4].key, 's1');
    const flat = batches.flatMap((b) => b.payload);
    assert.deepEqual(flat.map((r: Msg) => r.payload.i), Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(Object.keys(flat[0]).sort(), ['headers', 'key', 'offset', 'partition', 'payload', 'timestamp', 'topic']);
    const back = await readBack(env.KAFKA_BROKERS, topic, 50);
    assert.equal(back.length, 50);
  });

  it('passes kafka in batches to kafka out as one record per element, keys and headers kept', async () => {
    const source = unique('rt-batch-in');
    const target = unique('rt-batch-out');
    await createTopic(env.KAFKA_BROKERS, source, 2);
    await createTopic(env.KAFKA_BROKERS, target, 2);
    await helper.load(flowNodes(), [
      { id: 'tab', type: 'tab' },
      brokerNode('b', env.KAFKA_BROKERS),
      kafkaOut('feed', 'b', source),
      kafkaIn('in', 'b', source, unique('g'), [['out']], { output: 'batch', valueFormat: 'string' }),
      kafkaOut('out', 'b', target, { batch: true, partitionType: 'msg', partition: 'partition' }),
    ] as never);
    const feed = helper.getNode('feed') as Node;
    for (let i = 0; i < 300; i++) feed.receive({ payload: `v${i}`, key: `k${i % 5}`, headers: { n: String(i) } } as never);
    const back = await readBack(env.KAFKA_BROKERS, target, 300, 60000);
    assert.deepEqual(back.map((r) => r.value!.toString()).sort(), Array.from({ length: 300 }, (_, i) => `v${i}`).sort());
    for (const r of back) {
      const i = Number(r.value!.toString().slice(1));
      assert.equal(r.key!.toString(), `k${i % 5}`);
      assert.equal(String(r.headers.n), String(i));
    }
  });

  it('writes gzip- and snappy-compressed batches and reads them back, and an idempotent producer works', async () => {
    const topic = unique('rt-codec');
    await createTopic(env.KAFKA_BROKERS, topic, 1);
    await helper.load(flowNodes(), [
      { id: 'tab', type: 'tab' },
      brokerNode('b', env.KAFKA_BROKERS),
      kafkaOut('out-gzip', 'b', topic, { compression: 'gzip' }),
      kafkaOut('out-snappy', 'b', topic, { compression: 'snappy', idempotent: true }),
      kafkaIn('in', 'b', topic, unique('g'), [['got']]),
      { id: 'got', type: 'helper', z: 'tab' },
    ] as never);
    const got: Msg[] = [];
    (helper.getNode('got') as Node).on('input', (m: object) => { got.push(m as Msg); });
    for (let i = 0; i < 20; i++) (helper.getNode(i % 2 ? 'out-snappy' : 'out-gzip') as Node).receive({ payload: { i, text: 'x'.repeat(200) } } as never);
    await until(() => got.length === 20, 60000, 'the compressed records');
    assert.deepEqual(got.map((m) => m.payload.i).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  });
});
