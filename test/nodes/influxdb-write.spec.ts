/**
 * streamkit-influxdb-write (with its config node streamkit-influxdb) on a real Node-RED runtime, against a fake
 * InfluxDB HTTP server: what is sent, when done() is called, retries, rejected lines, the buffer bound, EOS,
 * close and redeploy. The real servers are in test/integration/influxdb.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NodeInitializer } from 'node-red';
import { FakeInflux, deferred, type FakeAnswer } from '../helpers/fake-influx';
import { attachInflux, influxFlow, startInflux as start } from '../helpers/influx-flow';
import { freePort } from '../helpers/node-red-process';
import { until } from '../helpers/wait';
import { EOS, errorText, expectRefused, helper, nodes, settle, statuses, type Conf, type Msg, type Running } from './util';

const send = (r: Running, ...msgs: Msg[]) => { for (const m of msgs) r.node.receive(m); };
const result = (key: string, start: number, payload: Conf, extra: Conf = {}): Msg =>
  ({ payload, key, topic: key, window: { type: 'tumbling', start, end: start + 1000 }, timing: 'ON_TIME', pane: 1, timestamp: start + 999, ...extra });
const texts = (r: Running) => statuses(r.node).map((s) => s.text ?? '');
const green = (r: Running) => statuses(r.node).at(-1)?.fill === 'green';

describe('streamkit-influxdb-write', function () {
  let influx: FakeInflux;
  beforeEach(async () => { influx = await FakeInflux.start(); });
  afterEach(async () => { await helper.unload(); await influx.close(); });

  describe('points', () => {
    it('writes a window result as one point: measurement, key tag, fields, window start in the precision', async () => {
      const r = await start(influxFlow(influx.url, { integerFields: 'count' }));
      send(r, result('sensor 1', 5000, { count: 3, sum: 7.5, avg: 2.5, min: null }));
      await r.completed.wait(1);
      const [req] = influx.requests;
      assert.equal(req.path, '/api/v2/write');
      assert.deepEqual([req.query.get('org'), req.query.get('bucket'), req.query.get('precision')], ['o', 'b', 'ms']);
      assert.equal(req.headers.authorization, 'Token secret-token');
      assert.deepEqual(req.lines, ['m,key=sensor\\ 1 avg=2.5,count=3i,sum=7.5 5000']);
    });

    it('takes the time from the window end, msg.timestamp or the clock, as configured, in s/us/ns precision', async () => {
      const cases: [Conf, Msg, (t0: number) => string][] = [
        [{ timeFrom: 'end', precision: 's' }, result('k', 5000, { v: 1 }), () => '6'],
        [{ timeFrom: 'timestamp', precision: 'us' }, { payload: { v: 1 }, timestamp: 1234.5 }, () => '1234500'],
        [{ timeFrom: 'start', precision: 'ns' }, { payload: { v: 1 }, timestamp: '2026-01-01T00:00:00.123456789Z' }, () => '1767225600123456789'],
      ];
      for (const [conf, msg, expected] of cases) {
        const r = await start(influxFlow(influx.url, conf));
        send(r, msg);
        await r.completed.wait(1);
        const line = influx.requests[influx.requests.length - 1].lines[0];
        assert.equal(line.split(' ').pop(), expected(0), JSON.stringify(conf));
        assert.equal(influx.requests[influx.requests.length - 1].query.get('precision'), conf.precision);
        await helper.unload();
      }
      const r = await start(influxFlow(influx.url, { timeFrom: 'now' }));
      const t0 = Date.now();
      send(r, result('k', 5000, { v: 1 }));
      await r.completed.wait(1);
      const ts = Number(influx.requests[influx.requests.length - 1].lines[0].split(' ').pop());
      assert.ok(ts >= t0 && ts <= Date.now(), 'now: the clock at arrival');
    });

    it('promotes chosen properties to tags, and honours msg.measurement, msg.bucket and msg.org', async () => {
      const r = await start(influxFlow(influx.url, { tagProps: 'site, room', keyTag: '' }));
      send(r, { payload: { site: 'north', room: 'a=b', t: 21.5 }, key: 'ignored', measurement: 'climate', bucket: 'b2', org: 'o2', timestamp: 7 });
      await r.completed.wait(1);
      const [req] = influx.requests;
      assert.deepEqual([req.query.get('org'), req.query.get('bucket')], ['o2', 'b2']);
      assert.deepEqual(req.lines, ['climate,room=a\\=b,site=north t=21.5 7']);
    });

    it('writes explicit points and line-protocol strings, several per message, in one batch', async () => {
      const r = await start(influxFlow(influx.url));
      send(r,
        { payload: [{ measurement: 'p', tags: { t: 'x' }, fields: { n: 5n, s: 'say "hi"', ok: true }, timestamp: 1000 }, { fields: { v: 1 }, timestamp: 2000 }] },
        { payload: 'lp,t=y v=1i 3000\nlp v=2i 4000' },
        { payload: ['lp v=3i 5000'] });
      await r.completed.wait(3);
      assert.deepEqual(influx.written(), ['p,t=x n=5i,ok=T,s="say \\"hi\\"" 1000', 'm v=1 2000', 'lp,t=y v=1i 3000', 'lp v=2i 4000', 'lp v=3i 5000']);
      assert.equal(influx.requests.length, 1, 'one request for the three messages');
    });

    for (const [what, payload] of [
      ['NaN', { v: NaN }], ['Infinity', { v: Infinity }], ['a fraction in an integer field', { count: 1.5 }],
      ['an integer beyond 64 bits', { count: 2n ** 64n }], ['a nested object', { v: { deep: 1 } }], ['an empty object', {}],
      ['invalid line protocol', 'no fields here'], ['a field name ending with a backslash', { 'v\\': 1 }], ['a reserved name', { _v: 1 }],
    ] as [string, unknown][]) {
      it(`refuses ${what} with a clear error to Catch, red status, and keeps writing`, async () => {
        const r = await start(influxFlow(influx.url, { integerFields: 'count' }));
        const bad = { payload, marker: 'bad' } as Msg;
        send(r, bad, { payload: { v: 1 }, timestamp: 1, marker: 'good' });
        const [c] = await r.caught.wait(1);
        assert.equal(c.marker, 'bad');
        assert.ok(errorText(c.error).length > 10, errorText(c.error));
        const [ok] = await r.completed.wait(1);
        assert.equal(ok.marker, 'good');
        assert.deepEqual(influx.written(), ['m v=1 1']);
        await settle(50);
        assert.ok(statuses(r.node).some((s) => s.fill === 'red'));
      });
    }

    it('writes the good points of an array and reports the bad ones with the message', async () => {
      const r = await start(influxFlow(influx.url));
      send(r, { payload: [{ fields: { v: 1 }, timestamp: 1 }, { fields: { v: NaN } }, 'not a line'], marker: 'mixed' });
      await r.completed.wait(1);
      const caught = await r.caught.wait(2);
      assert.deepEqual(caught.map((c) => c.marker), ['mixed', 'mixed']);
      assert.match(errorText(caught[0].error), /element 1/);
      assert.match(errorText(caught[1].error), /element 2/);
      assert.deepEqual(influx.written(), ['m v=1 1']);
    });
  });

  describe('acknowledgement', () => {
    it('calls done() only after InfluxDB answered 2xx for the batch holding the message', async () => {
      const gate = deferred<FakeAnswer>();
      influx.answer = () => gate.promise;
      const r = await start(influxFlow(influx.url));
      send(r, result('a', 0, { v: 1 }), result('b', 0, { v: 2 }));
      await influx.waitRequests(1);
      await settle(100);
      assert.equal(r.completed.msgs.length, 0, 'nothing done before the answer');
      gate.resolve({ status: 204 });
      await r.completed.wait(2);
    });

    it('sends a batch when it is full, without waiting for the flush interval', async () => {
      const r = await start(influxFlow(influx.url, { batchSize: 3, flushInterval: 1, flushIntervalUnits: 'h' }));
      for (let i = 0; i < 7; i++) send(r, { payload: { v: i }, timestamp: i });
      await r.completed.wait(6);
      assert.deepEqual(influx.requests.map((q) => q.lines.length), [3, 3]);
      await settle(100);
      assert.equal(r.completed.msgs.length, 6, 'the seventh waits for the interval');
      send(r, EOS());
      await r.completed.wait(8);
      assert.deepEqual(influx.requests.map((q) => q.lines.length), [3, 3, 1]);
    });

    it('on EOS writes what is buffered and completes the EOS message after it', async () => {
      const r = await start(influxFlow(influx.url, { flushInterval: 1, flushIntervalUnits: 'h' }));
      const eos = EOS() as Msg;
      send(r, { payload: { v: 1 }, timestamp: 1 }, eos);
      const done = await r.completed.wait(2);
      assert.equal(done[1]._msgid, eos._msgid);
      assert.deepEqual(influx.written(), ['m v=1 1']);
    });

    it('retries 503 and network-less answers after Retry-After, shows retrying, holds done() until written', async () => {
      const answers: FakeAnswer[] = [{ status: 503, headers: { 'retry-after': '1' }, body: '{"message":"busy"}' }, { status: 500 }, { status: 204 }];
      influx.answer = (_q, i) => answers[Math.min(i, answers.length - 1)];
      const r = await start(influxFlow(influx.url));
      const t0 = Date.now();
      send(r, result('a', 0, { v: 1 }));
      await influx.waitRequests(1);
      await settle(300);
      assert.equal(r.completed.msgs.length, 0);
      // The test helper's RED._ returns catalog keys: the status shows `status.retrying` (the text says when).
      assert.ok(texts(r).some((s) => s.includes('status.retrying')), texts(r).join(' | '));
      assert.ok(statuses(r.node).some((s) => s.fill === 'yellow'));
      await r.completed.wait(1, 4000);
      assert.ok(Date.now() - t0 >= 1000, 'waited Retry-After (seconds)');
      assert.equal(influx.requests.length, 3);
      assert.deepEqual(influx.requests.map((q) => q.lines), [['m,key=a v=1 0'], ['m,key=a v=1 0'], ['m,key=a v=1 0']]);
      assert.equal(r.caught.msgs.length, 0);
    });

    it('sends nothing newer while an older batch is being retried (order is kept)', async () => {
      influx.answer = (_q, i) => ({ status: i < 2 ? 503 : 204 });
      const r = await start(influxFlow(influx.url, { batchSize: 1 }));
      send(r, { payload: { v: 1 }, timestamp: 1 }, { payload: { v: 2 }, timestamp: 1 });
      await r.completed.wait(2, 4000);
      assert.deepEqual(influx.requests.map((q) => q.lines[0]), ['m v=1 1', 'm v=1 1', 'm v=1 1', 'm v=2 1']);
    });

    it('reports a batch as not written after the retry time limit, to Catch with each message', async () => {
      influx.answer = () => ({ status: 503, body: '{"message":"down"}' });
      const r = await start(influxFlow(influx.url, { maxRetryTime: 0.3 }));
      send(r, { payload: { v: 1 }, marker: 'x' });
      const [c] = await r.caught.wait(1, 4000);
      assert.equal(c.marker, 'x');
      assert.match(errorText(c.error), /HTTP 503: down \(gave up after retrying for \d+ s\)/);
    });
  });

  describe('rejected lines', () => {
    it('sends the lines InfluxDB refuses to Catch with their message and the server text; the rest is done', async () => {
      // The server names no line (as InfluxDB 2.x for a field type conflict): the node finds it by halves.
      influx.answer = (q) => (q.lines.some((l) => l.includes('v=9i'))
        ? { status: 422, body: '{"code":"unprocessable entity","message":"partial write: field type conflict dropped=1"}' } : { status: 204 });
      const r = await start(influxFlow(influx.url, { integerFields: 'v' }));
      const msgs = [1, 2, 9, 4, 5].map((v) => ({ payload: { v }, timestamp: v, marker: `m${v}` }));
      send(r, ...msgs);
      const [c] = await r.caught.wait(1);
      assert.equal(c.marker, 'm9');
      assert.match(errorText(c.error), /HTTP 422: partial write: field type conflict/);
      const done = await r.completed.wait(4);
      assert.deepEqual(done.map((m) => m.marker).sort(), ['m1', 'm2', 'm4', 'm5']);
      assert.deepEqual(new Set(influx.written()), new Set(['m v=1i 1', 'm v=2i 2', 'm v=4i 4', 'm v=5i 5']));
    });

    it('takes the line numbers InfluxDB 3 gives, without sending anything again', async () => {
      influx.answer = () => ({ status: 400, body: JSON.stringify({ error: 'partial write of line protocol occurred',
        data: [{ original_line: 'm v=2 2', line_number: 2, error_message: 'invalid column type' }] }) });
      const r = await start(influxFlow(influx.url));
      send(r, ...[1, 2, 3].map((v) => ({ payload: { v }, timestamp: v, marker: `m${v}` })));
      const [c] = await r.caught.wait(1);
      assert.equal(c.marker, 'm2');
      assert.match(errorText(c.error), /line 2: invalid column type/);
      await r.completed.wait(2);
      assert.equal(influx.requests.length, 1);
    });

    it('reports every message of a batch refused as a whole (401)', async () => {
      influx.answer = () => ({ status: 401, body: '{"code":"unauthorized","message":"unauthorized access"}' });
      const r = await start(influxFlow(influx.url));
      send(r, { payload: { v: 1 }, marker: 'a' }, { payload: { v: 2 }, marker: 'b' });
      const caught = await r.caught.wait(2);
      assert.deepEqual(caught.map((c) => c.marker), ['a', 'b']);
      assert.match(errorText(caught[0].error), /HTTP 401: unauthorized access/);
      assert.equal(influx.requests.length, 1);
    });
  });

  describe('buffer', () => {
    it('holds back messages (and their done) while the buffer is full, and writes them all later', async () => {
      const gate = deferred<FakeAnswer>();
      influx.answer = (_q, i) => (i === 0 ? gate.promise : { status: 204 });
      const r = await start(influxFlow(influx.url, { maxLines: 3, batchSize: 2, flushInterval: 0 }));
      for (let i = 0; i < 6; i++) send(r, { payload: { v: i }, timestamp: i });
      await settle(1100);
      assert.equal(influx.requests.length, 1, 'one batch in flight');
      assert.equal(r.completed.msgs.length, 0);
      assert.ok(texts(r).some((s) => s.includes('status.buffered')), texts(r).join(' | '));
      gate.resolve({ status: 204 });
      await r.completed.wait(6);
      assert.deepEqual(influx.written(), [0, 1, 2, 3, 4, 5].map((i) => `m v=${i} ${i}`));
    });

    it('drops the oldest waiting lines with drop-oldest, with a counted warning, and completes their messages', async () => {
      const gate = deferred<FakeAnswer>();
      influx.answer = (_q, i) => (i === 0 ? gate.promise : { status: 204 });
      const r = await start(influxFlow(influx.url, { maxLines: 3, batchSize: 1, flushInterval: 0, overflow: 'drop-oldest' }));
      for (let i = 0; i < 6; i++) send(r, { payload: { v: i }, timestamp: i });
      // One line in flight, three waiting: lines 1, 2 and 3 made room for 3, 4 and 5.
      await r.completed.wait(3);
      gate.resolve({ status: 204 });
      await r.completed.wait(6);
      assert.deepEqual(influx.written(), ['m v=0 0', 'm v=4 4', 'm v=5 5']);
      await settle(1100);
      const warnings = (r.node as unknown as { warn: { getCalls(): { args: unknown[] }[] } }).warn.getCalls().map((c) => String(c.args[0]));
      assert.ok(warnings.some((w) => w.includes('warnings.dropped')), warnings.join(' | '));
    });
  });

  describe('close and redeploy', () => {
    it('writes what it holds when closed, before close completes', async () => {
      const r = await start(influxFlow(influx.url, { flushInterval: 1, flushIntervalUnits: 'h' }));
      send(r, { payload: { v: 1 }, timestamp: 1 }, { payload: { v: 2 }, timestamp: 2 });
      await settle(20);
      assert.equal(influx.requests.length, 0);
      await helper.unload();
      assert.deepEqual(influx.written(), ['m v=1 1', 'm v=2 2'], 'written before the flow stopped');
    });

    it('hands lines InfluxDB has not accepted to the redeployed node, which writes them and completes their messages', async () => {
      let up = false;
      influx.answer = () => ({ status: up ? 204 : 503 });
      const f = influxFlow(influx.url, { retryMinDelay: 0.05, retryMaxDelay: 0.05 });
      const r = await start(f);
      send(r, { payload: { v: 1 }, timestamp: 1, marker: 'a' }, { payload: { v: 2 }, timestamp: 2, marker: 'b' });
      await influx.waitRequests(2);
      await helper.setFlows(f.flow.map((n) => (n.id === f.id ? { ...n, name: 'renamed' } : n)) as never, 'nodes');
      assert.notEqual(helper.getNode(f.id), r.node);
      up = true;
      await r.completed.wait(2, 4000);
      assert.deepEqual(influx.written(), ['m v=1 1', 'm v=2 2']);
      assert.equal(r.caught.msgs.length, 0);
    });

    it('reports its lines as not written when removed while InfluxDB is down', async function () {
      this.timeout(20000);
      influx.answer = () => ({ status: 503 });
      const f = influxFlow(influx.url, { maxRetryTime: 0 });
      const r = await start(f);
      send(r, { payload: { v: 1 }, timestamp: 1, marker: 'a' });
      await influx.waitRequests(1);
      await helper.setFlows(f.flow.filter((n) => n.id !== f.id) as never, 'nodes');
      const [c] = await r.caught.wait(1, 15000);
      assert.equal(c.marker, 'a');
      assert.match(errorText(c.error), /errors\.removed/, 'the catalog text (the test helper shows keys)');
    });
  });

  describe('reachability (before any message)', () => {
    it('shows a ring while InfluxDB cannot be reached, asks again, and turns green once it answers, writing nothing', async () => {
      const port = await freePort();
      const r = await start(influxFlow(`http://127.0.0.1:${port}`));
      await until(() => texts(r).some((s) => s.includes('status.unreachable')), 5000, 'unreachable status');
      assert.ok(statuses(r.node).every((st) => st.shape === 'ring' && st.fill === 'yellow'), JSON.stringify(statuses(r.node)));
      assert.match(texts(r)[0], /status\.connecting/, 'connecting until the first answer (the test helper shows catalog keys)');
      const later = await FakeInflux.start(undefined, port);
      try {
        await until(() => green(r), 5000, 'green status once the server answers');
        assert.equal(statuses(r.node).at(-1)?.shape, 'dot');
        assert.deepEqual(later.probes.map((q) => [q.method, q.path]), [['GET', '/health']], 'asked once, and no more');
        assert.equal(later.requests.length, 0, 'nothing written');
        assert.equal(r.caught.msgs.length, 0);
        send(r, { payload: { v: 1 }, timestamp: 1 });
        await r.completed.wait(1);
        assert.deepEqual(later.written(), ['m v=1 1']);
      } finally {
        await later.close();
      }
    });

    it('asks /ping on v1, and takes a server answering 503 to its health check for unreachable', async () => {
      influx.health = () => ({ status: 503, body: '{"message":"not ready"}' });
      const r = await start(influxFlow(influx.url, {}, { version: 'v1' }));
      await until(() => influx.probes.length >= 2, 5000, 'a second health check');
      assert.ok(!green(r));
      assert.ok(texts(r).some((s) => s.includes('status.unreachable')), texts(r).join(' | '));
      influx.health = () => ({ status: 204 });
      await until(() => green(r), 5000, 'green status');
      assert.ok(influx.probes.every((q) => q.method === 'GET' && q.path === '/ping'));
      assert.equal(influx.requests.length, 0, 'nothing written');
    });
  });

  describe('v1', () => {
    it('writes to /write with the database, retention policy, precision and Basic credentials', async () => {
      const f = influxFlow(influx.url, { precision: 'ns', retentionPolicy: 'weekly' }, { version: 'v1', database: 'db1' });
      f.credentials[f.configId] = { username: 'u', password: 'p w' };
      const r = await start(f);
      send(r, { payload: { v: 1 }, timestamp: 1 }, { payload: { v: 2 }, timestamp: 2, database: 'db2' });
      await r.completed.wait(2);
      const q = influx.requests.map((x) => [x.path, x.query.get('db'), x.query.get('rp'), x.query.get('precision'), x.lines]);
      assert.deepEqual(q, [['/write', 'db1', 'weekly', 'n', ['m v=1 1000000']], ['/write', 'db2', 'weekly', 'n', ['m v=2 2000000']]]);
      assert.equal(influx.requests[0].headers.authorization, `Basic ${Buffer.from('u:p w').toString('base64')}`);
    });

    it('accepts names beginning with "_" on v1', async () => {
      const r = await start(influxFlow(influx.url, {}, { version: 'v1' }));
      send(r, { payload: { _v: 1 }, timestamp: 1 });
      await r.completed.wait(1);
      assert.deepEqual(influx.written(), ['m _v=1 1']);
    });
  });

  describe('TLS', () => {
    it("writes over https, trusting the CA of Node-RED's tls-config node", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-influx-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const secure = await FakeInflux.start({ key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') });
      try {
        const f = influxFlow(secure.url, {}, { usetls: true, tls: 'tls1' });
        f.flow.push({ id: 'tls1', type: 'tls-config', name: '', cert: '', key: '', ca: path.join(dir, 'cert.pem'), certname: '', keyname: '',
          caname: '', servername: '', verifyservercert: true, alpnprotocol: '' });
        const nodeRed = path.dirname(require.resolve(`${process.env.STREAMKIT_NODE_RED || 'node-red'}/package.json`));
        const tlsNode = require(path.join(path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [nodeRed] })), 'core', 'network', '05-tls.js')) as NodeInitializer;
        await helper.load([tlsNode, nodes.influxdb, nodes.influxdbWrite], f.flow as never, f.credentials as never);
        const r = attachInflux(f);
        send(r, { payload: { v: 1 }, timestamp: 1 });
        await r.completed.wait(1, 5000);
        assert.deepEqual(secure.written(), ['m v=1 1']);
        assert.equal(r.caught.msgs.length, 0);
      } finally {
        await secure.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('invalid configuration', () => {
    const cases: [string, Conf, Conf][] = [
      ['a URL that is not http(s)', {}, { url: 'ftp://x' }],
      ['an unknown API version', {}, { version: 'v9' }],
      ['a zero timeout', {}, { timeout: 0 }],
      ['an unknown precision', { precision: 'h' }, {}],
      ['an unknown time source', { timeFrom: 'later' }, {}],
      ['a batch size of 0', { batchSize: 0 }, {}],
      ['a fractional buffer size', { maxLines: 2.5 }, {}],
      ['an unknown overflow policy', { overflow: 'spill' }, {}],
      ['a longest retry delay below the first', { retryMinDelay: 5, retryMaxDelay: 1 }, {}],
      ['a bad JSONata expression', { fieldsProp: 'payload +', fieldsPropType: 'jsonata' }, {}],
    ];
    for (const [what, over, conn] of cases) {
      it(`refuses ${what}: error at start, red status, a clear error for every message`, async () => {
        const f = influxFlow(conn.url ?? influx.url, over, conn);
        await expectRefused(await start(f));
        assert.equal(influx.requests.length, 0);
      });
    }

    it('refuses a missing connection', async () => {
      const f = influxFlow(influx.url);
      f.flow = f.flow.filter((n) => n.id !== f.configId);
      const r = await start(f);
      await expectRefused(r);
    });
  });

  it('exposes its counters on the metrics endpoint: in, written, errors, buffered, retries, dropped', async () => {
    // The registry the built node files share (dist/engine.js).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { metrics } = require('../../dist/engine.js') as typeof import('../../src/engine');
    influx.answer = (_q, i) => ({ status: i === 0 ? 503 : 204 });
    const r = await start(influxFlow(influx.url));
    send(r, { payload: [{ fields: { v: 1 } }, { fields: { v: 2 } }] }, { payload: { v: NaN } });
    await r.completed.wait(1, 3000);
    const c = metrics.list().find((x) => x.node.id === r.node.id)?.read();
    assert.deepEqual(c, { in: 2, out: 0, errors: 1, buffered: 0, written: 2, retries: 1, dropped: 0 });
    await helper.unload();
    assert.ok(!metrics.list().some((x) => x.node.id === r.node.id), 'gone when stopped');
  });

  it('reads the fields and key with JSONata when configured', async () => {
    const r = await start(influxFlow(influx.url, { fieldsProp: '{"t": payload.temp * 2}', fieldsPropType: 'jsonata', keyProp: '"k-" & topic', keyPropType: 'jsonata' }));
    send(r, { payload: { temp: 10 }, topic: 'x', timestamp: 3 }, { payload: { temp: 1 }, topic: 'y', timestamp: 4 });
    await r.completed.wait(2);
    assert.deepEqual(influx.written(), ['m,key=k-x t=20 3', 'm,key=k-y t=2 4']);
  });
});
