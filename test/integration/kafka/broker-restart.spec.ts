/**
 * Test 4 of the issue: the broker restarts mid-stream (scripts/services/kafka.sh stop, then start on the same data):
 * kafka out keeps its records and sends them once the broker is back, kafka in rejoins and goes on; nothing is lost.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { brokerSuite, brokerNode, createTopic, flowNodes, kafkaIn, kafkaOut, kafkaSh, unique, type KafkaEnv } from './kafka';
import { helper } from '../../nodes/util';
import { until } from '../../helpers/wait';

const RECORDS = 3000;

describe('kafka (real broker): broker restart mid-stream', function () {
  this.timeout(300000);
  const env = brokerSuite();

  it('recovers producer and consumer and loses nothing', async () => {
    const topic = unique('restart');
    await createTopic(env.KAFKA_BROKERS, topic, 2);
    await helper.load(flowNodes(), [
      { id: 'tab', type: 'tab' },
      brokerNode('b', env.KAFKA_BROKERS),
      kafkaOut('out', 'b', topic),
      kafkaIn('in', 'b', topic, unique('restart-g'), [['got']]),
      { id: 'got', type: 'helper', z: 'tab' },
      { id: 'c', type: 'catch', z: 'tab', x: 100, y: 100, name: '', scope: ['out', 'in'], uncaught: false, wires: [['errors']] },
      { id: 'errors', type: 'helper', z: 'tab' },
    ] as never);
    const seen = new Set<number>();
    const errors: unknown[] = [];
    (helper.getNode('got') as Node).on('input', (m: object) => { seen.add((m as { payload: { i: number } }).payload.i); });
    (helper.getNode('errors') as Node).on('input', (m: object) => { errors.push(m); });
    const out = helper.getNode('out') as Node;
    let sent = 0;
    const feed = setInterval(() => {
      for (let k = 0; k < 20 && sent < RECORDS; k++) out.receive({ payload: { i: sent++ }, key: `k${sent % 7}` } as never);
    }, 20);
    try {
      await until(() => seen.size >= 500, 60000, 'the first records');
      kafkaSh('stop');
      const during = sent;
      await new Promise((r) => setTimeout(r, 3000));
      assert.ok(sent > during, 'messages kept coming while the broker was down');
      kafkaSh('start');
      await until(() => sent >= RECORDS, 120000, 'every message to be handed to kafka out');
      await until(() => seen.size === RECORDS, 180000, `all ${RECORDS} records back after the restart (have ${seen.size})`);
    } finally {
      clearInterval(feed);
    }
    assert.deepEqual(errors, [], 'no message failed');
  });
});
