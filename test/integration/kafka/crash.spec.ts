/**
 * Test 2 of the issue: no loss, no early commit. 10K records go through a flow whose middle node completes slowly;
 * the Node-RED runtime (a child process) is killed with SIGKILL mid-stream and started again on the same user
 * directory. Every record is processed at least once, and the group's committed offsets never pass completed
 * processing — checked again and again while the flow runs, and right after the kill.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeRedProcess } from '../../helpers/node-red-process';
import { requireService } from '../../helpers/services';
import {
  RECORDER_DIR, brokerNode, committedOffsets, createTopic, kafkaIn, produceSequence, recorded, recorder, unique, type KafkaEnv,
} from './kafka';
import { until } from '../../helpers/wait';

const RECORDS = 10000;
const PARTITIONS = 3;

describe('kafka (real broker): SIGKILL of the runtime mid-stream', function () {
  this.timeout(240000);
  let env: KafkaEnv;
  let rt: NodeRedProcess | undefined;
  before(function () { env = requireService(this, 'kafka', ['KAFKA_BROKERS']) as KafkaEnv; });
  after(async () => { await rt?.dispose(); });

  it('processes every record at least once, and never commits an offset whose record did not complete', async () => {
    const topic = unique('crash');
    const group = unique('crash-g');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sk-crash-')), 'processed.jsonl');
    await createTopic(env.KAFKA_BROKERS, topic, PARTITIONS);
    await produceSequence(env.KAFKA_BROKERS, topic, RECORDS, 100);
    rt = await NodeRedProcess.start({
      settings: { nodesDir: [RECORDER_DIR] },
      flows: [
        { id: 'tab', type: 'tab', label: 'crash' },
        brokerNode('b', env.KAFKA_BROKERS),
        kafkaIn('in', 'b', topic, group, [['slow']], { maxInFlight: 200, resumeAt: 100 }),
        // 150 ms per record, 200 at a time: about 1300 records/s, so the kill comes after several commits.
        recorder('slow', { file, delay: 150 }),
      ],
    });

    /** Every committed position is behind records that completed: offsets below it were all processed. */
    const checkCommitted = async (): Promise<number> => {
      const committed = await committedOffsets(env.KAFKA_BROKERS, group, topic);
      const done = new Map<number, Set<number>>();
      for (const r of recorded(file)) {
        if (!done.has(r.p)) done.set(r.p, new Set());
        done.get(r.p)!.add(Number(r.o));
      }
      let total = 0;
      for (const [p, c] of committed) {
        for (let o = 0; o < c; o++) assert.ok(done.get(p)?.has(o), `partition ${p}: offset ${o} is committed (position ${c}) but was never processed`);
        total += Math.max(0, c);
      }
      return total;
    };

    let checks = 0;
    await until(async () => { checks++; return (await checkCommitted()) >= 0 && recorded(file).length >= RECORDS / 2; }, 120000, 'half of the records');
    const before = recorded(file).length;
    await rt.kill();
    const committedAtKill = await checkCommitted();
    assert.ok(committedAtKill > 0, 'some work was committed before the kill');
    assert.ok(committedAtKill < RECORDS, 'the kill came mid-stream');
    assert.ok(checks > 3);

    await rt.start();
    await until(async () => {
      await checkCommitted();
      return new Set(recorded(file).map((r) => `${r.p}:${r.o}`)).size === RECORDS;
    }, 150000, 'every record to be processed after the restart');
    await until(async () => (await checkCommitted()) === RECORDS, 20000, 'the final commit');
    const all = recorded(file);
    const values = new Set(all.map((r) => r.i));
    assert.equal(values.size, RECORDS, 'every produced record was processed');
    assert.ok(all.length >= RECORDS, `at least once (${all.length - RECORDS} processed twice, ${before} before the kill)`);
  });
});
