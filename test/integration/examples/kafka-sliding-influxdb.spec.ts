/**
 * The example flow "Kafka → filter → sliding window → InfluxDB" (examples/kafka-filter-sliding-influxdb.json) on the
 * real services, in a real Node-RED: only its configuration nodes are pointed at the test's Kafka broker and
 * InfluxDB 2.x, and its topic, group and measurement made unique. Its "send 100 test readings" button writes
 * readings to Kafka; the window results arrive in InfluxDB as points, the invalid readings do not, and kafka in
 * commits every record.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NodeRedProcess } from '../../helpers/node-red-process';
import { ROOT, type FlowNode } from '../../helpers/package';
import { requireService } from '../../helpers/services';
import { fluxRows, fluxString, type V2Env } from '../influxdb/servers';
import { committedOffsets, createTopic, unique } from '../kafka/kafka';
import { until } from '../../helpers/wait';

const EXAMPLE = path.join(ROOT, 'examples', 'kafka-filter-sliding-influxdb.json');

describe('example: Kafka → filter → sliding window → InfluxDB, on the real services', function () {
  this.timeout(180000);
  let kafka: Record<string, string>;
  let influx: V2Env;
  let rt: NodeRedProcess | undefined;

  before(function () {
    kafka = requireService(this, 'kafka', ['KAFKA_BROKERS']);
    influx = requireService(this, 'influxdb-v2', ['INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET']) as unknown as V2Env;
  });
  after(async () => { await rt?.dispose(); });

  it('writes the window results of the test readings to InfluxDB and commits every record', async () => {
    const topic = unique('example-readings');
    const group = unique('example-group');
    const measurement = unique('example_celsius').replace(/-/g, '_');
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    const byType = (t: string) => flow.filter((n) => n.type === t);
    for (const n of byType('streamkit-kafka-broker')) n.brokers = kafka.KAFKA_BROKERS;
    for (const n of byType('streamkit-influxdb')) {
      Object.assign(n, { url: influx.INFLUX_URL, version: 'v2', org: influx.INFLUX_ORG, bucket: influx.INFLUX_BUCKET, credentials: { token: influx.INFLUX_TOKEN } });
    }
    for (const n of byType('streamkit-kafka-out')) n.topic = topic;
    for (const n of byType('streamkit-kafka-in')) Object.assign(n, { topics: topic, groupId: group });
    for (const n of byType('streamkit-influxdb-write')) n.measurement = measurement;
    const button = flow.find((n) => n.type === 'inject' && n.name === 'send 100 test readings');
    assert.ok(button, 'the example has its "send 100 test readings" button');
    await createTopic(kafka.KAFKA_BROKERS, topic);

    rt = await NodeRedProcess.start({ flows: [] });
    await rt.deploy(flow);
    const from = rt.output.length;
    await rt.request('POST', `/inject/${button.id}`);

    // 100 readings over the last 100 s, 5 sensors, 5 s out-of-orderness: the 60 s windows (every 10 s) that end
    // before the newest reading minus 5 s fire; each is one point per sensor.
    let rows: Record<string, string>[] = [];
    await until(async () => {
      rows = await fluxRows(influx, `from(bucket: ${fluxString(influx.INFLUX_BUCKET)}) |> range(start: -1h)
        |> filter(fn: (r) => r._measurement == ${fluxString(measurement)})`);
      return new Set(rows.map((r) => r.sensor)).size === 5 && rows.some((r) => r._field === 'avg');
    }, 60000, 'window results in InfluxDB');
    assert.deepEqual([...new Set(rows.map((r) => r.sensor))].sort(), ['sensor-1', 'sensor-2', 'sensor-3', 'sensor-4', 'sensor-5']);
    assert.deepEqual([...new Set(rows.map((r) => r._field))].sort(), ['avg', 'count', 'max', 'min']);
    for (const r of rows.filter((x) => x._field === 'count')) assert.equal(r._type, 'long', 'count is an integer field');
    for (const r of rows.filter((x) => x._field !== 'count')) {
      const v = Number(r._value);
      assert.ok(v >= 15 && v <= 30, `${r._field} ${v} is a temperature of the test readings (the invalid ones were filtered out)`);
    }
    // Every record completed (filtered, taken by a window, or reported): kafka in commits all 100.
    await until(async () => (await committedOffsets(kafka.KAFKA_BROKERS, group, topic)).get(0) === 100, 30000, 'offset 100 committed');
    assert.doesNotMatch(rt.output.slice(from), /\[error\]/, 'nothing logged as an error');
  });
});
