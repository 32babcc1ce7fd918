/**
 * kafka out and kafka in with brokers they cannot use: they connect when deployed, so their status says at once that
 * the brokers cannot be reached (a ring, with the reason) and turns green when they can (kafka in then delivers the
 * topic's records); and when the broker stops answering (frozen with SIGSTOP: its
 * connections stay open, no acknowledgement comes) with records pending, a deploy stops it well within Node-RED's
 * close timeout, its records counted and left uncompleted for the source upstream.
 */
import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { NodeRedProcess } from '../../helpers/node-red-process';
import {
  brokerSuite, brokerNode, createTopic, flowNodes, kafkaIn, kafkaOut, kafkaSh, laterBroker, produceSequence, readBack, unique,
} from './kafka';
import { errors, helper, lastStatus, statuses } from '../../nodes/util';
import { until } from '../../helpers/wait';


describe('kafka (real broker): kafka out and kafka in with brokers they cannot reach, or that stop answering', function () {
  this.timeout(120000);
  const env = brokerSuite();

  it('shows a ring from the start while its brokers cannot be reached, and turns green once they can', async () => {
    const topic = unique('later');
    await createTopic(env.KAFKA_BROKERS, topic, 1);
    const later = await laterBroker(env.KAFKA_BROKERS);
    try {
      await helper.load(flowNodes(), [{ id: 'tab', type: 'tab' }, brokerNode('b', later.address), kafkaOut('out', 'b', topic)] as never);
      const out = helper.getNode('out') as Node;
      // The test helper shows catalog keys: connecting, then unreachable with the reason.
      await until(() => /status\.unreachable/.test(String(lastStatus(out)?.text)), 15000, 'a status saying why the brokers cannot be reached');
      assert.match(String(statuses(out)[0].text), /status\.connecting/);
      assert.ok(statuses(out).every((s) => s.shape === 'ring' && s.fill === 'yellow'), `a yellow ring: ${JSON.stringify(statuses(out))}`);
      await later.open();
      await until(() => lastStatus(out)?.fill === 'green' && lastStatus(out)?.shape === 'dot', 60000, 'a green dot once the broker answers');
      assert.deepEqual(errors(out), []);
      out.receive({ payload: { later: true } } as never);
      const [record] = await readBack(env.KAFKA_BROKERS, topic, 1);
      assert.deepEqual(JSON.parse(record.value!.toString()), { later: true });
    } finally {
      await later.close();
    }
  });

  it('kafka in shows a ring saying why while its brokers cannot be reached, then turns green and delivers the records', async () => {
    const topic = unique('later-in');
    await createTopic(env.KAFKA_BROKERS, topic, 1);
    await produceSequence(env.KAFKA_BROKERS, topic, 5);
    const later = await laterBroker(env.KAFKA_BROKERS);
    try {
      await helper.load(flowNodes(), [{ id: 'tab', type: 'tab' }, brokerNode('b', later.address),
        kafkaIn('in', 'b', topic, unique('later-in-g'), [['got']]), { id: 'got', type: 'helper', z: 'tab' }] as never);
      const node = helper.getNode('in') as Node;
      const got: number[] = [];
      (helper.getNode('got') as Node).on('input', (m: object) => { got.push((m as { payload: { i: number } }).payload.i); });
      await until(() => /status\.unreachable/.test(String(lastStatus(node)?.text)), 15000, 'a status saying why the brokers cannot be reached');
      assert.ok(statuses(node).every((s) => s.shape === 'ring' && s.fill === 'yellow'), `a yellow ring: ${JSON.stringify(statuses(node))}`);
      // Still trying after a few attempts; the broker opens then.
      await new Promise((r) => setTimeout(r, 3000));
      await later.open();
      await until(() => got.length === 5, 60000, `the topic's records once the broker answers (have ${got.length})`);
      assert.deepEqual(got, [0, 1, 2, 3, 4]);
      await until(() => lastStatus(node)?.fill === 'green' && /status\.connected/.test(String(lastStatus(node)?.text)), 10000,
        `a green dot, connected: ${JSON.stringify(lastStatus(node))}`);
      assert.deepEqual(errors(node), []);
    } finally {
      await later.close();
    }
  });

  it('stops well within the close timeout when the broker stops answering, counting the records it leaves uncompleted', async () => {
    const topic = unique('frozen');
    await createTopic(env.KAFKA_BROKERS, topic, 1);
    const rt = await NodeRedProcess.start({
      flows: [
        { id: 'tab', type: 'tab', label: 'frozen broker' },
        brokerNode('b', env.KAFKA_BROKERS),
        { id: 'send', type: 'inject', z: 'tab', x: 100, y: 100, name: '', props: [{ p: 'payload' }], repeat: '', crontab: '', once: false,
          onceDelay: 0.1, topic: '', payload: '{"n":1}', payloadType: 'json', wires: [['out']] },
        { ...kafkaOut('out', 'b', topic), x: 300, y: 100 },
      ],
    });
    let frozen = false;
    try {
      await rt.request('POST', '/inject/send');
      await readBack(env.KAFKA_BROKERS, topic, 1);   // connected, and the first record acknowledged
      kafkaSh('freeze');
      frozen = true;
      await rt.request('POST', '/inject/send');
      await new Promise((r) => setTimeout(r, 500));
      const from = rt.output.length;
      await rt.deploy([{ id: 'tab', type: 'tab', label: 'empty' }]);
      const log = rt.output.slice(from);
      // Node-RED gives a node 15 s to close, then logs "Close timed out": this one gives up on acknowledgements
      // that stopped coming, and on disconnecting, well before.
      assert.doesNotMatch(log, /Close timed out|\[error\]/, log);
      assert.match(log, /stopped with 1 records the brokers did not acknowledge/);
    } finally {
      if (frozen) kafkaSh('thaw');
      await rt.dispose();
    }
  });
});
