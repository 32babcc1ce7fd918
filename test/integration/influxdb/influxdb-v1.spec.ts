/**
 * streamkit-influxdb-write in v1 mode against a real InfluxDB 1.x (Debian's 1.6.7, /write and InfluxQL):
 * written through the node, read back with InfluxQL, compared exactly; a field type conflict in one line of a
 * batch, which 1.6 reports without saying which line.
 */
import assert from 'node:assert/strict';
import { requireService } from '../../helpers/services';
import { influxFlow, startInflux } from '../../helpers/influx-flow';
import { errorText, helper, uid, type Conf, type Msg, type Running } from '../../nodes/util';
import { greenOnceAnswered, ident, influxql, type V1Env } from './servers';

const SPECIAL = ' ,="\'é😀\\x';

describe('influxdb write → InfluxDB 1.x (real server, v1 API)', function () {
  this.timeout(60000);
  let env: V1Env;
  before(function () { env = requireService(this, 'influxdb-v1', ['INFLUX_V1_URL', 'INFLUX_V1_DB']) as unknown as V1Env; });
  afterEach(() => helper.unload());

  const start = (over: Conf = {}) => startInflux(influxFlow(env.INFLUX_V1_URL, over, { version: 'v1', database: env.INFLUX_V1_DB }));
  const send = (r: Running, ...msgs: Msg[]) => { for (const m of msgs) r.node.receive(m); };

  it('asks the server whether it is up (/ping) when deployed, and shows a green dot before any message', async () => {
    await greenOnceAnswered(await start());
  });

  it('reads back exactly what it wrote: special characters, every field type, tags apart from fields, nanoseconds', async () => {
    const measurement = uid(`m${SPECIAL}`);
    // A comma cannot be in the comma-separated tag list (the key tag, named on its own, has one).
    const tagName = `tag${SPECIAL.replace(',', '')}`;
    const r = await start({ precision: 'ns', timeFrom: 'timestamp', tagProps: tagName, keyTag: `key${SPECIAL}`, integerFields: 'int, maxInt' });
    const payload = {
      [tagName]: `v${SPECIAL}`, [`f${SPECIAL}`]: 1.5, float: 0.1, big: 1e21, neg: -2.5, int: 42, maxInt: 9223372036854775807n,
      yes: true, no: false, str: 'say "hi" \\ back\nslash é😀 ,= x', _under: 3,
    };
    send(r, { payload, key: `k${SPECIAL}`, measurement, timestamp: '2026-01-02T03:04:05.123456789Z' });
    await r.completed.wait(1, 10000);
    assert.equal(r.caught.msgs.length, 0, JSON.stringify(r.caught.msgs.map((m) => m.error)));

    const { results: [keys] } = await influxql(env, `SHOW FIELD KEYS FROM ${ident(measurement)}`);
    assert.deepEqual(Object.fromEntries(keys.series[0].values), {
      _under: 'float', big: 'float', [`f${SPECIAL}`]: 'float', float: 'float', int: 'integer', maxInt: 'integer', neg: 'float',
      no: 'boolean', str: 'string', yes: 'boolean',
    });
    const { text, results: [res] } = await influxql(env, `SELECT * FROM ${ident(measurement)} GROUP BY *`);
    const [series] = res.series;
    assert.equal(series.name, measurement);
    assert.deepEqual(series.tags, { [tagName]: `v${SPECIAL}`, [`key${SPECIAL}`]: `k${SPECIAL}` });
    const row = Object.fromEntries(series.columns.map((c: string, i: number) => [c, series.values[0][i]]));
    assert.ok(text.includes('1767323045123456789'), 'the time to the nanosecond');
    assert.ok(text.includes('9223372036854775807'), 'the largest integer, exactly');
    assert.deepEqual([row.float, row.big, row.neg, row.int, row.yes, row.no, row.str, row[`f${SPECIAL}`], row._under],
      [0.1, 1e21, -2.5, 42, true, false, payload.str, 1.5, 3]);
  });

  it('writes in s, ms and us precision', async () => {
    const measurement = uid('prec');
    for (const precision of ['s', 'ms', 'us']) {
      const r = await start({ precision, timeFrom: 'timestamp', tagProps: 'p' });
      send(r, { payload: { p: precision, v: 1 }, measurement, timestamp: '2026-01-02T03:04:05.123456789Z' });
      await r.completed.wait(1, 10000);
      await helper.unload();
    }
    const { results: [res] } = await influxql(env, `SELECT v FROM ${ident(measurement)} GROUP BY p`);
    const times = Object.fromEntries(res.series.map((s: { tags: { p: string }; values: number[][] }) => [s.tags.p, s.values[0][0]]));
    assert.deepEqual(times, { s: 1767323045000000000, ms: 1767323045123000000, us: 1767323045123456000 });
  });

  it('writes several points per message: an array of points and multi-line line protocol', async () => {
    const measurement = uid('multi');
    const r = await start({ measurement });
    send(r,
      { payload: [{ tags: { n: '1' }, fields: { v: 1 }, timestamp: 1001 }, { measurement, tags: { n: '2' }, fields: { v: 2 }, timestamp: 1002 }] },
      { payload: `${measurement},n=3 v=3 1003\n${measurement},n=4 v=4 1004` });
    await r.completed.wait(2, 10000);
    const { results: [res] } = await influxql(env, `SELECT v, n FROM ${ident(measurement)}`, 'ms');
    assert.deepEqual(res.series[0].values, [[1001, 1, '1'], [1002, 2, '2'], [1003, 3, '3'], [1004, 4, '4']]);
  });

  it('finds the one line of a batch with a field type conflict, sends it to Catch with its message, writes the others', async () => {
    const measurement = uid('conflict');
    const r = await start({ measurement, flushInterval: 200 });
    send(r, { payload: { v: 0.5 }, timestamp: 1000 });
    await r.completed.wait(1, 10000);
    send(r, ...[1, 2, 3, 4, 5].map((i) => (i === 3
      ? { payload: `${measurement} v=${i}i ${1000 + i}`, marker: `m${i}` }
      : { payload: { v: i + 0.5 }, timestamp: 1000 + i, marker: `m${i}` })));
    const [c] = await r.caught.wait(1, 10000);
    assert.equal(c.marker, 'm3');
    assert.match(errorText(c.error), /HTTP 400: .*field type conflict/);
    const done = await r.completed.wait(5, 10000);
    assert.deepEqual(done.slice(1).map((m) => m.marker).sort(), ['m1', 'm2', 'm4', 'm5']);
    const { results: [res] } = await influxql(env, `SELECT v FROM ${ident(measurement)}`, 'ms');
    assert.deepEqual(res.series[0].values.map((v: number[]) => v[1]), [0.5, 1.5, 2.5, 4.5, 5.5]);
  });
});
