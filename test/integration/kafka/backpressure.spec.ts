/**
 * Test 3 of the issue: backpressure. 50K records into a downstream node that takes 1 ms per message (one at a time),
 * in a real Node-RED runtime (a child process): the records in flight never exceed the bound, the live heap stays
 * bounded, and consumption resumes after every pause until every record went through.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeRedProcess } from '../../helpers/node-red-process';
import { requireService } from '../../helpers/services';
import { RECORDER_DIR, brokerNode, createTopic, kafkaIn, produceSequence, recorder, unique, type KafkaEnv } from './kafka';
import { until } from '../../helpers/wait';

const RECORDS = 50000;
const BOUND = 1000;

describe('kafka (real broker): backpressure', function () {
  this.timeout(360000);
  let env: KafkaEnv;
  let rt: NodeRedProcess | undefined;
  before(function () { env = requireService(this, 'kafka', ['KAFKA_BROKERS']) as KafkaEnv; });
  after(async () => { await rt?.dispose(); });

  it('keeps at most maxInFlight records in flight and the heap bounded, and resumes until all 50K are through', async () => {
    const topic = unique('bp');
    await createTopic(env.KAFKA_BROKERS, topic, 2);
    await produceSequence(env.KAFKA_BROKERS, topic, RECORDS, 200);
    const statsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sk-bp-')), 'stats.jsonl');
    rt = await NodeRedProcess.start({
      env: { NODE_OPTIONS: '--expose-gc' },
      settings: { nodesDir: [RECORDER_DIR] },
      flows: [
        { id: 'tab', type: 'tab', label: 'backpressure' },
        brokerNode('b', env.KAFKA_BROKERS),
        kafkaIn('in', 'b', topic, unique('bp-g'), [['slow']], { maxInFlight: BOUND, resumeAt: BOUND / 2 }),
        recorder('slow', { delay: 1, serial: true, statsFile }),
      ],
    });
    // The node's own in-flight gauge, from the metrics endpoint.
    const inFlight: number[] = [];
    const stats = () => fs.existsSync(statsFile)
      ? fs.readFileSync(statsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { heap: number; max: number; finished: number }) : [];
    await until(async () => {
      const text = await (await rt!.request('GET', '/streamkit/metrics')).text();
      const m = /^streamkit_in_flight\{[^}]*type="streamkit-kafka-in"[^}]*\} (\d+)$/m.exec(text);
      if (m) inFlight.push(Number(m[1]));
      return (stats().at(-1)?.finished ?? 0) >= RECORDS;
    }, 300000, `${RECORDS} records through the slow node`);
    const s = stats();
    const maxOutstanding = Math.max(...s.map((x) => x.max));
    assert.ok(maxOutstanding <= BOUND, `at most ${BOUND} records in flight (saw ${maxOutstanding})`);
    assert.ok(Math.max(...inFlight) <= BOUND, `the in-flight gauge stays within ${BOUND} (max ${Math.max(...inFlight)})`);
    assert.ok(Math.max(...inFlight) > BOUND * 0.9, 'the slow node fell behind: the bound was reached, and the source paused');
    assert.ok(inFlight.some((n) => n < BOUND), 'and it resumed');
    // Live heap (after full collections) once running: 50K records of 200 bytes held as messages would take well
    // over 100 MB; bounded, the flow holds about 1000 of them.
    const heaps = s.map((x) => x.heap / 1e6);
    const early = Math.min(...heaps.slice(0, 6));
    const peak = Math.max(...heaps);
    assert.ok(peak - early < 40, `live heap from ${early.toFixed(1)} MB to a peak of ${peak.toFixed(1)} MB`);
    console.log(`      live heap ${early.toFixed(1)}–${peak.toFixed(1)} MB over ${heaps.length} samples; max in flight ${maxOutstanding}`);
  });
});
