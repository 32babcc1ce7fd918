/**
 * Test 5 of the issue: a poison record (invalid JSON with JSON decoding on) goes to Catch with the raw value, its
 * partition keeps flowing, and the dead-letter topic receives it when configured.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { brokerSuite, brokerNode, committedOffsets, createTopic, flowNodes, kafkaIn, readBack, unique, withProducer, type KafkaEnv } from './kafka';
import { helper } from '../../nodes/util';
import { until } from '../../helpers/wait';

type Msg = Record<string, any>;

describe('kafka (real broker): poison records', function () {
  this.timeout(90000);
  const env = brokerSuite();

  it('sends the raw record to Catch and to the dead-letter topic, and keeps the partition flowing', async () => {
    const topic = unique('poison');
    const dlq = unique('poison-dlq');
    const group = unique('poison-g');
    await createTopic(env.KAFKA_BROKERS, topic, 1);
    await createTopic(env.KAFKA_BROKERS, dlq, 1);
    await withProducer(env.KAFKA_BROKERS, (p) => p.send({ topic, acks: -1, messages: [
      { key: 'a', value: '{"i":1}' },
      { key: 'b', value: '{"i":2, oops', headers: { origin: 'sensor-7' } },
      { key: 'c', value: '{"i":3}' },
    ] }));
    await helper.load(flowNodes(), [
      { id: 'tab', type: 'tab' },
      brokerNode('b', env.KAFKA_BROKERS),
      kafkaIn('in', 'b', topic, group, [['good']], { deadLetter: true, deadLetterTopic: dlq }),
      { id: 'good', type: 'helper', z: 'tab' },
      { id: 'c', type: 'catch', z: 'tab', x: 100, y: 100, name: '', scope: ['in'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ] as never);
    const good: Msg[] = [];
    const caught: Msg[] = [];
    (helper.getNode('good') as Node).on('input', (m: object) => { good.push(m as Msg); });
    (helper.getNode('caught') as Node).on('input', (m: object) => { caught.push(m as Msg); });
    await until(() => good.length === 2 && caught.length === 1, 30000, 'two records and one error');
    assert.deepEqual(good.map((m) => m.payload.i), [1, 3], 'the record after the poison one went through');
    const bad = caught[0];
    assert.ok(Buffer.isBuffer(bad.payload));
    assert.equal(bad.payload.toString(), '{"i":2, oops');
    assert.equal(Buffer.from(bad.key).toString(), 'b');
    assert.equal(bad.offset, '1');
    assert.equal(bad.headers.origin, 'sensor-7');
    assert.match(bad.error.message, /cannot be decoded/);
    const [dead] = await readBack(env.KAFKA_BROKERS, dlq, 1);
    assert.equal(dead.value!.toString(), '{"i":2, oops');
    assert.equal(dead.key!.toString(), 'b');
    assert.equal(String(dead.headers['streamkit-offset']), '1');
    assert.equal(String(dead.headers.origin), 'sensor-7');
    await until(async () => (await committedOffsets(env.KAFKA_BROKERS, group, topic)).get(0) === 3, 10000, 'the commit past the poison record');
  });
});
