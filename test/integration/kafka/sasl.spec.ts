/**
 * Test 6 of the issue: SASL_SSL with SCRAM-SHA-512 against the broker's TLS listener (its CA through Node-RED's own
 * tls-config node): the right password connects and carries records; a wrong password gives a red status and a clear
 * error, and nothing crashes; a flow exported from a running Node-RED contains no password.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node } from 'node-red';
import { NodeRedProcess } from '../../helpers/node-red-process';
import { brokerSuite, brokerNode, createTopic, flowNodes, kafkaIn, kafkaOut, unique, type KafkaEnv } from './kafka';
import { errors, helper, lastStatus, statuses } from '../../nodes/util';
import { until } from '../../helpers/wait';

type Msg = Record<string, any>;
const SASL_VARS = ['KAFKA_BROKERS', 'KAFKA_SASL_BROKERS', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USER', 'KAFKA_SASL_PASSWORD', 'KAFKA_CA_FILE'];

describe('kafka (real broker): SASL_SSL with SCRAM-SHA-512', function () {
  this.timeout(120000);
  const env = brokerSuite<Required<KafkaEnv>>(SASL_VARS);

  const tls = { id: 'tls', type: 'tls-config', name: 'test CA', cert: '', key: '', ca: '', certname: '', keyname: '', caname: '',
    servername: '', verifyservercert: true, alpnprotocol: '' };
  const saslBroker = () => brokerNode('b', env.KAFKA_SASL_BROKERS, { usetls: true, tls: 'tls', sasl: env.KAFKA_SASL_MECHANISM });
  const tlsCredentials = () => ({ tls: { cadata: fs.readFileSync(env.KAFKA_CA_FILE, 'utf8') } });

  it('connects with the right password and carries records over TLS', async () => {
    const topic = unique('sasl');
    await createTopic(env.KAFKA_BROKERS, topic, 1);
    await helper.load(flowNodes(), [
      { id: 'tab', type: 'tab' }, tls, saslBroker(),
      kafkaOut('out', 'b', topic),
      kafkaIn('in', 'b', topic, unique('sasl-g'), [['got']]),
      { id: 'got', type: 'helper', z: 'tab' },
    ] as never, { ...tlsCredentials(), b: { username: env.KAFKA_SASL_USER, password: env.KAFKA_SASL_PASSWORD } } as never);
    const got: Msg[] = [];
    (helper.getNode('got') as Node).on('input', (m: object) => { got.push(m as Msg); });
    (helper.getNode('out') as Node).receive({ payload: { secure: true } } as never);
    await until(() => got.length === 1, 60000, 'the record over SASL_SSL');
    assert.deepEqual(got[0].payload, { secure: true });
  });

  it('shows a red status and a clear error for a wrong password, and keeps running', async () => {
    await helper.load(flowNodes(), [
      { id: 'tab', type: 'tab' }, tls, saslBroker(),
      kafkaIn('in', 'b', unique('sasl-bad'), unique('sasl-g'), [[]]),
      kafkaOut('out', 'b', unique('sasl-bad')),
    ] as never, { ...tlsCredentials(), b: { username: env.KAFKA_SASL_USER, password: 'wrong-password' } } as never);
    // kafka in and kafka out (which connects when deployed, before any message) both say so.
    for (const id of ['in', 'out']) {
      const node = helper.getNode(id) as Node;
      const errorTexts = () => errors(node).map((e) => String(e.err));
      await until(() => errorTexts().length > 0 && statuses(node).some((s) => s.fill === 'red' && s.shape === 'ring'), 30000, `${id}: a red ring and an error`);
      // The test helper has no message catalogs: the error is the catalog key with its detail.
      assert.ok(errorTexts().some((e) => /authentication/.test(e) || /SASL|SCRAM|auth/i.test(e)), `${id}: a clear error: ${errorTexts().join(' | ')}`);
      assert.ok(helper.getNode(id), `${id} is still there`);
    }
    assert.match(String(lastStatus(helper.getNode('out') as Node)?.text), /status\.unreachable/);
  });

  it('keeps the password out of the flow file and out of an exported flow', async () => {
    const rt = await NodeRedProcess.start({ flows: [] });
    try {
      const topic = unique('sasl-export');
      const flows = [
        { id: 'tab', type: 'tab', label: 'sasl' },
        { ...tls, credentials: { cadata: fs.readFileSync(env.KAFKA_CA_FILE, 'utf8') } },
        { ...saslBroker(), credentials: { username: env.KAFKA_SASL_USER, password: env.KAFKA_SASL_PASSWORD } },
        kafkaIn('in', 'b', topic, unique('sasl-g'), [[]]),
      ];
      await rt.deploy(flows);
      const exported = await (await rt.request('GET', '/flows')).text();
      assert.ok(exported.includes('streamkit-kafka-broker'));
      assert.ok(!exported.includes(env.KAFKA_SASL_PASSWORD), 'GET /flows carries no password');
      const onDisk = fs.readFileSync(path.join(rt.userDir, 'flows.json'), 'utf8');
      assert.ok(!onDisk.includes(env.KAFKA_SASL_PASSWORD), 'flows.json holds no password');
      const creds = fs.readFileSync(path.join(rt.userDir, 'flows_cred.json'), 'utf8');
      assert.ok(!creds.includes(env.KAFKA_SASL_PASSWORD), 'the credentials file is encrypted');
      const nodeView = await (await rt.request('GET', '/credentials/streamkit-kafka-broker/b')).json() as Record<string, unknown>;
      assert.equal(nodeView.username, env.KAFKA_SASL_USER);
      assert.equal(nodeView.password, undefined, 'the editor is told only that a password is set');
      assert.equal(nodeView.has_password, true);
    } finally {
      await rt.dispose();
    }
  });
});
