/**
 * Test 7 of the issue: two kafka in nodes in one consumer group split the partitions; a third one joining (deployed
 * with "modified nodes", so the first two keep running) triggers a rebalance, and no record is lost.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeRedProcess } from '../../helpers/node-red-process';
import { requireService } from '../../helpers/services';
import { RECORDER_DIR, brokerNode, createTopic, groupAssignment, kafkaIn, produceSequence, recorded, recorder, unique, type KafkaEnv } from './kafka';
import { until } from '../../helpers/wait';

const PARTITIONS = 6;
const FIRST = 6000;
const SECOND = 6000;

describe('kafka (real broker): consumer group rebalance', function () {
  this.timeout(240000);
  let env: KafkaEnv;
  let rt: NodeRedProcess | undefined;
  before(function () { env = requireService(this, 'kafka', ['KAFKA_BROKERS']) as KafkaEnv; });
  after(async () => { await rt?.dispose(); });

  it('splits the partitions between two nodes, rebalances when a third joins, and loses nothing', async () => {
    const topic = unique('rebalance');
    const group = unique('rebalance-g');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sk-rebalance-')), 'processed.jsonl');
    await createTopic(env.KAFKA_BROKERS, topic, PARTITIONS);
    const member = (n: number) => [
      kafkaIn(`in${n}`, 'b', topic, group, [[`rec${n}`]], { name: `member ${n}` }),
      recorder(`rec${n}`, { file, delay: 5 }),
    ];
    const flows = (members: number[]) => [
      { id: 'tab', type: 'tab', label: 'rebalance' },
      brokerNode('b', env.KAFKA_BROKERS),
      ...members.flatMap(member),
    ];
    const members = async (n: number) => {
      const owned = await groupAssignment(env.KAFKA_BROKERS, group);
      return owned !== null && owned.length === n && owned.every((k) => k > 0);
    };
    rt = await NodeRedProcess.start({ settings: { nodesDir: [RECORDER_DIR] }, flows: flows([1, 2]) });
    await until(() => members(2), 60000, 'two members sharing the partitions');
    await produceSequence(env.KAFKA_BROKERS, topic, FIRST, 100);
    await until(() => recorded(file).length >= FIRST, 120000, 'the first records with two members');

    const byNode = (rows: ReturnType<typeof recorded>) => {
      const m = new Map<string, Set<number>>();
      for (const r of rows) m.set(r.n, (m.get(r.n) ?? new Set()).add(r.p));
      return m;
    };
    const two = byNode(recorded(file));
    assert.equal(two.size, 2, 'both members got records');
    const [a, b] = [...two.values()];
    assert.ok([...a].every((p) => !b.has(p)), `the members own disjoint partitions (${[...a]} / ${[...b]})`);
    assert.equal(a.size + b.size, PARTITIONS, 'together they own every partition');

    const before = recorded(file).length;
    await rt.deploy(flows([1, 2, 3]), 'nodes');
    await until(() => members(3), 60000, 'three members after the rebalance');
    await produceSequence(env.KAFKA_BROKERS, topic, SECOND, 100, FIRST);
    await until(() => new Set(recorded(file).map((r) => r.i)).size === FIRST + SECOND, 150000, 'every record after the rebalance');
    const after = recorded(file).slice(before);
    assert.ok(after.some((r) => r.n === 'recorder rec3'), 'the third member took partitions over');
    const values = new Set(recorded(file).map((r) => r.i));
    for (let i = 0; i < FIRST + SECOND; i++) assert.ok(values.has(i), `record ${i} was processed`);
  });
});
