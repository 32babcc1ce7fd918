/**
 * An InfluxDB outage in the middle of a stream (issue 4): 100K window results flow into the write node; the real
 * InfluxDB 2.x is stopped for 30 s while they flow, then started again. Every point is there once, no message
 * was done while the server was down (so a source bounded by unfinished messages waits), and the status said
 * the node was retrying.
 */
import assert from 'node:assert/strict';
import { requireService } from '../../helpers/services';
import { influxFlow, startInflux } from '../../helpers/influx-flow';
import { helper, settle, statuses, uid, type Msg } from '../../nodes/util';
import { fluxRows, fluxString, service, type V2Env } from './servers';

const POINTS = 100_000;
const KEYS = 100;
const OUTAGE_MS = 30_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('influxdb write: a 30 s InfluxDB outage in the middle of 100K points (real server)', function () {
  this.timeout(240_000);
  let env: V2Env;
  before(function () {
    env = requireService(this, 'influxdb-v2', ['INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET']) as unknown as V2Env;
  });
  afterEach(() => helper.unload());

  it('writes every point once after the server is back, holding done() back while it is down', async () => {
    const measurement = uid('outage');
    const f = influxFlow(env.INFLUX_URL, {
      measurement, integerFields: 'count', batchSize: 1000, flushInterval: 100, maxLines: 20000, retryMinDelay: 0.5, retryMaxDelay: 2,
    }, { org: env.INFLUX_ORG, bucket: env.INFLUX_BUCKET });
    f.credentials[f.configId] = { token: env.INFLUX_TOKEN };
    const r = await startInflux(f);
    // Window results: KEYS keys × 1000 windows of 1 s, one point each.
    const result = (i: number): Msg => {
      const start = T0 + Math.floor(i / KEYS) * 1000;
      return { payload: { count: 1, sum: i }, key: `s${i % KEYS}`, topic: `s${i % KEYS}`, window: { type: 'tumbling', start, end: start + 1000 },
        timing: 'ON_TIME', pane: 1, timestamp: start + 999 };
    };
    const sendRange = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        r.node.receive(result(i));
        if (i % 500 === 499) await settle(5);
      }
    };

    await sendRange(0, 30_000);
    await r.completed.wait(10_000, 30_000);
    await service('stop', 'v2');
    const stoppedAt = Date.now();
    try {
      await sendRange(30_000, POINTS);
      await settle(3000);
      const doneAtOutageStart = r.completed.msgs.length;
      while (Date.now() - stoppedAt < OUTAGE_MS) await settle(500);
      assert.equal(r.completed.msgs.length, doneAtOutageStart, 'no message is done while InfluxDB is down');
      assert.ok(doneAtOutageStart < POINTS);
      const s = statuses(r.node);
      assert.ok(s.some((x) => x.fill === 'yellow' && (x.text ?? '').includes('status.retrying')), 'the status showed retrying');
      assert.ok(s.some((x) => (x.text ?? '').includes('status.buffered')), 'and the lines buffered');
    } finally {
      await service('start', 'v2');
    }
    await r.completed.wait(POINTS, 90_000);
    assert.equal(r.caught.msgs.length, 0);

    const base = `from(bucket: ${fluxString(env.INFLUX_BUCKET)}) |> range(start: 0) |> filter(fn: (r) => r._measurement == ${fluxString(measurement)} and r._field == "sum") |> group()`;
    const [count] = await fluxRows(env, `${base} |> count()`);
    const [sum] = await fluxRows(env, `${base} |> sum()`);
    assert.equal(count._value, String(POINTS), 'every point once');
    assert.equal(Number(sum._value), (POINTS * (POINTS - 1)) / 2, 'with its own value');
  });
});
