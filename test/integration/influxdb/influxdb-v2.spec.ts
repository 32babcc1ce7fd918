/**
 * streamkit-influxdb-write against a real InfluxDB 2.x (scripts/services/influxdb.sh v2): written through the
 * node, read back with Flux, compared exactly — special characters everywhere, every field type, the tag/field
 * split, timestamps at each precision, several points per message; a field type conflict in one line of a
 * batch; close and redeploy with points buffered.
 */
import assert from 'node:assert/strict';
import { requireService } from '../../helpers/services';
import { attachInflux, influxFlow, startInflux, type InfluxFlow } from '../../helpers/influx-flow';
import { errorText, helper, settle, uid, type Conf, type Msg, type Running } from '../../nodes/util';
import { fluxRows, fluxString, greenOnceAnswered, service, type V2Env } from './servers';

const SPECIAL = ' ,="\'é😀\\x';
const TIME = '2026-01-02T03:04:05.123456789Z';

describe('influxdb write → InfluxDB 2.x (real server)', function () {
  this.timeout(60000);
  let env: V2Env;
  before(function () {
    env = requireService(this, 'influxdb-v2', ['INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET']) as unknown as V2Env;
  });
  afterEach(() => helper.unload());

  const flowFor = (over: Conf = {}): InfluxFlow => {
    const f = influxFlow(env.INFLUX_URL, over, { org: env.INFLUX_ORG, bucket: env.INFLUX_BUCKET });
    f.credentials[f.configId] = { token: env.INFLUX_TOKEN };
    return f;
  };
  const rowsOf = (run: string, extra = '') => fluxRows(env,
    `from(bucket: ${fluxString(env.INFLUX_BUCKET)}) |> range(start: 0) |> filter(fn: (r) => r.run == ${fluxString(run)})${extra}`);
  const send = (r: Running, ...msgs: Msg[]) => { for (const m of msgs) r.node.receive(m); };

  it('asks the server whether it is up (/health) when deployed, and shows a green dot before any message', async () => {
    await greenOnceAnswered(await startInflux(flowFor()));
  });

  it('reads back exactly what it wrote: special characters, every field type, tags apart from fields, nanoseconds', async () => {
    const run = uid('run');
    // A comma cannot be in the comma-separated tag list (the key tag, named on its own, has one).
    const tagName = `tag${SPECIAL.replace(',', '')}`;
    const r = await startInflux(flowFor({
      precision: 'ns', timeFrom: 'timestamp', keyTag: `key${SPECIAL}`, tagProps: `run, ${tagName}`, integerFields: 'int, maxInt',
    }));
    const measurement = `m${SPECIAL}`;
    const payload = {
      run, [tagName]: `v${SPECIAL}`, [`f${SPECIAL}`]: 1.5,
      float: 0.1, big: 1e21, tiny: 5e-324, neg: -2.5, int: 42, maxInt: 9223372036854775807n, minInt: -9223372036854775808n,
      yes: true, no: false, str: 'say "hi" \\ back\nslash é😀 ,= x', empty: '',
    };
    send(r, { payload, key: `k${SPECIAL}`, measurement, timestamp: TIME });
    await r.completed.wait(1, 10000);
    assert.equal(r.caught.msgs.length, 0, JSON.stringify(r.caught.msgs.map((m) => m.error)));

    const rows = await rowsOf(run);
    const fields = Object.fromEntries(rows.map((x) => [x._field, x]));
    assert.deepEqual(Object.keys(fields).sort(),
      ['big', 'empty', 'f ,="\'é😀\\x', 'float', 'int', 'maxInt', 'minInt', 'neg', 'no', 'str', 'tiny', 'yes'].sort(), 'tags are not fields');
    for (const x of rows) {
      assert.equal(x._measurement, measurement);
      assert.equal(x._time, TIME);
      assert.equal(x[tagName], `v${SPECIAL}`);
      assert.equal(x[`key${SPECIAL}`], `k${SPECIAL}`);
    }
    const typed = (f: string) => [fields[f]._type, fields[f]._value];
    for (const f of ['float', 'big', 'tiny', 'neg', `f${SPECIAL}`]) {
      assert.equal(fields[f]._type, 'double', f);
      assert.equal(Number(fields[f]._value), (payload as Record<string, unknown>)[f], f);
    }
    assert.deepEqual(typed('int'), ['long', '42']);
    assert.deepEqual(typed('maxInt'), ['long', '9223372036854775807']);
    assert.deepEqual(typed('minInt'), ['long', '-9223372036854775808']);
    assert.deepEqual(typed('yes'), ['boolean', 'true']);
    assert.deepEqual(typed('no'), ['boolean', 'false']);
    // Flux's CSV writes a newline inside a value as CRLF: read the string with its newline made visible by the server.
    const [str] = await fluxRows(env, `import "strings"\nfrom(bucket: ${fluxString(env.INFLUX_BUCKET)}) |> range(start: 0) `
      + `|> filter(fn: (r) => r.run == ${fluxString(run)} and r._field == "str") `
      + '|> map(fn: (r) => ({r with _value: strings.replaceAll(v: r._value, t: "\\n", u: "<LF>")}))');
    assert.deepEqual([str._type, str._value], ['string', payload.str.replace('\n', '<LF>')]);
    assert.deepEqual(typed('empty'), ['string', '']);
  });

  it('writes a newline in a tag value as the two characters \\n (lossy, as the client library does)', async () => {
    const run = uid('run');
    const r = await startInflux(flowFor({ tagProps: 'run, t' }));
    send(r, { payload: { run, t: 'a\nb', v: 1 }, timestamp: 1000 });
    await r.completed.wait(1, 10000);
    const [row] = await rowsOf(run);
    assert.equal(row.t, 'a\\nb');
  });

  for (const [precision, time] of [['s', '2026-01-02T03:04:05Z'], ['ms', '2026-01-02T03:04:05.123Z'],
    ['us', '2026-01-02T03:04:05.123456Z'], ['ns', TIME]] as const) {
    it(`writes timestamps in ${precision} precision (floored)`, async () => {
      const run = uid('run');
      const r = await startInflux(flowFor({ precision, timeFrom: 'timestamp', tagProps: 'run' }));
      send(r, { payload: { run, v: 1 }, timestamp: TIME }, { payload: { run: `${run}w`, v: 2 }, window: { start: Date.parse('2026-01-01T00:00:00Z'), end: 0 } });
      await r.completed.wait(2, 10000);
      assert.deepEqual((await rowsOf(run)).map((x) => x._time), [time]);
    });
  }

  it('takes a window result\'s time from the window start and its key as a tag; several points per message', async () => {
    const run = uid('run');
    const r = await startInflux(flowFor({ integerFields: 'count', measurement: 'win', tagProps: 'run' }));
    send(r,
      { payload: { run, count: 3, avg: 2.5 }, key: 'sensor-1', window: { type: 'tumbling', start: 1767225600000, end: 1767225605000 }, timestamp: 1767225604999 },
      { payload: [
        { measurement: 'pts', tags: { run, n: '1' }, fields: { v: 1 }, timestamp: 1767225600001 },
        { measurement: 'pts', tags: { run, n: '2' }, fields: { v: 2 }, timestamp: 1767225600002 },
      ] },
      { payload: `lp,run=${run} u=7u,i=-7i 1767225600003\nlp,run=${run} s="two\\"" 1767225600004` });
    await r.completed.wait(3, 10000);
    const rows = (await rowsOf(run)).sort((a, b) => Date.parse(a._time) - Date.parse(b._time) || a._field.localeCompare(b._field));
    assert.deepEqual(rows.map((x) => [x._measurement, x._field, x._type, x._value, x._time, x.key ?? x.n ?? '']), [
      ['win', 'avg', 'double', '2.5', '2026-01-01T00:00:00Z', 'sensor-1'],
      ['win', 'count', 'long', '3', '2026-01-01T00:00:00Z', 'sensor-1'],
      ['pts', 'v', 'double', '1', '2026-01-01T00:00:00.001Z', '1'],
      ['pts', 'v', 'double', '2', '2026-01-01T00:00:00.002Z', '2'],
      ['lp', 'i', 'long', '-7', '2026-01-01T00:00:00.003Z', ''],
      ['lp', 'u', 'unsignedLong', '7', '2026-01-01T00:00:00.003Z', ''],
      ['lp', 's', 'string', 'two"', '2026-01-01T00:00:00.004Z', ''],
    ]);
  });

  it('sends the one line of a batch with a field type conflict to Catch with its message; the others are written', async () => {
    const run = uid('run');
    const r = await startInflux(flowFor({ measurement: 'conflict', tagProps: 'run', flushInterval: 200 }));
    send(r, { payload: { run, v: 0.5 }, timestamp: 1000 });
    await r.completed.wait(1, 10000);
    const msgs = [1, 2, 3, 4, 5].map((i) => (i === 3
      ? { payload: `conflict,run=${run} v=${i}i ${1000 + i}`, marker: `m${i}` }
      : { payload: { run, v: i + 0.5 }, timestamp: 1000 + i, marker: `m${i}` }));
    send(r, ...msgs);
    const [c] = await r.caught.wait(1, 10000);
    assert.equal(c.marker, 'm3');
    assert.match(errorText(c.error), /HTTP 422: .*field type conflict/);
    const done = await r.completed.wait(5, 10000);
    assert.deepEqual(done.slice(1).map((m) => m.marker).sort(), ['m1', 'm2', 'm4', 'm5']);
    const rows = await rowsOf(run);
    assert.deepEqual(rows.map((x) => x._value).sort(), ['0.5', '1.5', '2.5', '4.5', '5.5']);
  });

  it('writes everything it holds when closed, before close completes', async () => {
    const run = uid('run');
    const r = await startInflux(flowFor({ tagProps: 'run', flushInterval: 1, flushIntervalUnits: 'h', batchSize: 500 }));
    for (let i = 0; i < 20000; i++) r.node.receive({ payload: { run, v: i }, timestamp: 1000 + i });
    await settle(50);
    await helper.unload();
    const [row] = await rowsOf(run, ' |> count()');
    assert.equal(row._value, '20000');
  });

  it('hands buffered points to the redeployed node while InfluxDB is down; all are written once it is back', async function () {
    this.timeout(120000);
    const run = uid('run');
    const f = flowFor({ tagProps: 'run', retryMinDelay: 0.2, retryMaxDelay: 1 });
    const r = await startInflux(f);
    try {
      await service('stop', 'v2');
      for (let i = 0; i < 5000; i++) r.node.receive({ payload: { run, v: i }, timestamp: 1000 + i, i });
      await settle(500);
      await helper.setFlows(f.flow.map((n) => (n.id === f.id ? { ...n, name: 'redeployed' } : n)) as never, 'nodes');
      const r2 = attachInflux(f);
      assert.notEqual(r2.node, r.node);
      assert.equal(r.completed.msgs.length, 0, 'nothing done while the server is down');
    } finally {
      await service('start', 'v2');
    }
    await r.completed.wait(5000, 30000);
    assert.equal(new Set(r.completed.msgs.map((m) => m.i)).size, 5000, "every original message's done() was called once");
    assert.equal(r.caught.msgs.length, 0);
    const [row] = await rowsOf(run, ' |> count()');
    assert.equal(row._value, '5000');
  });
});
