/**
 * The InfluxDB write path with a fake transport and a fake clock: batches, order, retries and backoff, answers
 * naming or not naming refused lines, the buffer bound, flush, close and handover; and the client-library
 * transport against a fake HTTP server.
 */
import assert from 'node:assert/strict';
import {
  ClientTransport, InfluxWriter, LineTicket, MessageTicket, ServerProbe, judge, retryAfterMs, retryDelay,
  type Clock, type TicketOutcome, type WriteResponse, type WriteTarget, type WriterOptions,
} from '../../src/engine';
import { FakeInflux } from '../helpers/fake-influx';

class FakeClock implements Clock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  rnd = 0;
  now = () => this.t;
  random = () => this.rnd;
  setTimeout = (fn: () => void, ms: number) => { const id = ++this.next; this.timers.push({ at: this.t + ms, fn, id }); return id; };
  clearTimeout = (id: unknown) => { this.timers = this.timers.filter((x) => x.id !== id); };
  /** Moves the clock, running the timers that fall due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushPromises();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await flushPromises();
  }
}

const flushPromises = async () => { for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r)); };

/** Records batches; answers with `answer(lines, index)` (default 204) when `respond` allows, or at once. */
class FakeTransport {
  calls: { target: WriteTarget; lines: string[]; resolve: (r: WriteResponse) => void }[] = [];
  auto: ((lines: string[], i: number) => WriteResponse) | null = () => ({ status: 204, body: '' });
  write(target: WriteTarget, lines: string[]): Promise<WriteResponse> {
    return new Promise((resolve) => {
      const i = this.calls.push({ target, lines, resolve }) - 1;
      if (this.auto) resolve(this.auto(lines, i));
    });
  }
  get batches(): string[][] { return this.calls.map((c) => c.lines); }
}

const T: WriteTarget = { org: 'o', bucket: 'b', precision: 'ms' };
const OPTS: WriterOptions = {
  batchSize: 3, flushIntervalMs: 100, maxLines: 100, overflow: 'block',
  retry: { minDelayMs: 1000, maxDelayMs: 8000, base: 2, jitterMs: 0, maxRetryTimeMs: 0 },
};

function setup(o: Partial<WriterOptions> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const writer = new InfluxWriter(transport, { ...OPTS, ...o }, clock);
  const outcomes: Record<string, TicketOutcome> = {};
  const add = (name: string, lines: string[], stamped = true, target = T) =>
    writer.add(target, lines, stamped, new MessageTicket(lines.length, (out) => { outcomes[name] = out; }));
  return { clock, transport, writer, outcomes, add };
}

describe('engine: InfluxDB writer', () => {
  it('sends full batches at once and the rest after the flush interval; completes a message when all its lines are written', async () => {
    const { clock, transport, outcomes, add } = setup();
    add('a', ['a1', 'a2']);
    add('b', ['b1', 'b2']);
    await clock.advance(0);
    assert.deepEqual(transport.batches, [['a1', 'a2', 'b1']]);
    assert.deepEqual(outcomes.a, { written: 2, rejected: [], failed: [], dropped: 0 });
    assert.ok(!('b' in outcomes), 'b2 still waits');
    await clock.advance(99);
    assert.equal(transport.calls.length, 1);
    await clock.advance(1);
    assert.deepEqual(transport.batches[1], ['b2']);
    assert.equal(outcomes.b.written, 2);
  });

  it('keeps one batch in flight per target, in order, and targets apart', async () => {
    const { clock, transport, writer, add } = setup({ flushIntervalMs: 0 });
    transport.auto = null;
    add('a', ['a1']);
    add('b', ['b1']);
    add('c', ['c1'], true, { database: 'd', precision: 's' });
    await clock.advance(0);
    assert.deepEqual(transport.calls.map((c) => [c.target.bucket ?? c.target.database, c.lines]), [['b', ['a1']], ['d', ['c1']]]);
    transport.calls[0].resolve({ status: 204, body: '' });
    await clock.advance(0);
    assert.deepEqual(transport.calls[2].lines, ['b1']);
    assert.equal(writer.buffered, 2);
  });

  it('with several requests in flight, never sends a point while an earlier write of it is in flight or retried', async () => {
    const { clock, transport, outcomes, add } = setup({ flushIntervalMs: 0, batchSize: 2, maxInFlight: 3 });
    transport.auto = null;
    add('a', ['m,k=a v=1 1', 'm,k=b v=1 1']);
    add('b', ['m,k=c v=1 1', 'm,k=d v=1 1']);
    add('c', ['m,k=a v=2 1', 'm,k=e v=1 1']);   // rewrites point (k=a, 1): waits for the first batch
    await clock.advance(0);
    assert.deepEqual(transport.batches, [['m,k=a v=1 1', 'm,k=b v=1 1'], ['m,k=c v=1 1', 'm,k=d v=1 1']]);
    transport.calls[1].resolve({ status: 204, body: '' });
    await clock.advance(0);
    assert.equal(transport.calls.length, 2, 'the rewrite still waits');
    transport.calls[0].resolve({ status: 503, body: '' });
    await clock.advance(0);
    assert.equal(transport.calls.length, 2, 'also while the first write is retried');
    await clock.advance(1000);
    transport.calls[2].resolve({ status: 204, body: '' });
    await clock.advance(0);
    assert.deepEqual(transport.batches.slice(2), [['m,k=a v=1 1', 'm,k=b v=1 1'], ['m,k=a v=2 1', 'm,k=e v=1 1']]);
    transport.calls[3].resolve({ status: 204, body: '' });
    await clock.advance(0);
    assert.deepEqual([outcomes.a.written, outcomes.b.written, outcomes.c.written], [2, 2, 2]);
  });

  it('sends other points in parallel while one request is retried', async () => {
    const { clock, transport, outcomes, add } = setup({ flushIntervalMs: 0, batchSize: 1, maxInFlight: 2 });
    transport.auto = (lines) => (lines[0].startsWith('x') ? { status: 503, body: '' } : { status: 204, body: '' });
    add('x', ['x v=1 1']);
    add('y', ['y v=1 1']);
    add('z', ['z v=1 1']);
    await clock.advance(0);
    assert.equal(outcomes.y.written + outcomes.z.written, 2);
    assert.ok(!('x' in outcomes));
  });

  it('retries 5xx, 429 and network failures with growing delays, holding later batches back, then completes', async () => {
    const { clock, transport, writer, outcomes, add } = setup({ flushIntervalMs: 0, batchSize: 1 });
    const answers: WriteResponse[] = [{ status: 503, body: '' }, { status: 0, body: 'ECONNREFUSED' }, { status: 429, body: '' }];
    transport.auto = (_l, i) => answers[i] ?? { status: 204, body: '' };
    add('a', ['a1']);
    add('b', ['b1']);
    await clock.advance(0);
    assert.equal(transport.calls.length, 1);
    assert.equal(writer.nextRetryAt, clock.t + 1000, 'first retry after minDelay (random 0)');
    await clock.advance(1000);
    assert.equal(transport.calls.length, 2);
    assert.equal(writer.nextRetryAt, clock.t + 2000, 'then doubled');
    await clock.advance(2000);
    await clock.advance(4000);
    assert.deepEqual(transport.batches, [['a1'], ['a1'], ['a1'], ['a1'], ['b1']]);
    assert.equal(outcomes.a.written, 1);
    assert.equal(outcomes.b.written, 1);
    assert.equal(writer.stats.retries, 3);
    assert.equal(writer.nextRetryAt, undefined);
    assert.match(writer.lastError?.text ?? '', /HTTP 429/);
  });

  it('waits Retry-After seconds when the server says so', async () => {
    const { clock, transport, writer, add } = setup({ flushIntervalMs: 0 });
    transport.auto = (_l, i) => (i === 0 ? { status: 503, body: '', retryAfter: '7' } : { status: 204, body: '' });
    add('a', ['a1']);
    await clock.advance(0);
    assert.equal(writer.nextRetryAt, clock.t + 7000);
  });

  it('gives up after the retry time limit and reports the lines as failed', async () => {
    const { clock, transport, outcomes, add } = setup({ flushIntervalMs: 0, retry: { ...OPTS.retry, maxRetryTimeMs: 2500 } });
    transport.auto = () => ({ status: 500, body: '{"message":"boom"}' });
    add('a', ['a1']);
    await clock.advance(10000);
    assert.deepEqual(outcomes.a.failed, ['HTTP 500: boom (gave up after retrying for 3 s)']);
    assert.equal(transport.calls.length, 3);
  });

  it('finds the lines a server refuses without naming them by sending halves again, and writes the others', async () => {
    const { clock, transport, outcomes, add } = setup({ flushIntervalMs: 0, batchSize: 8 });
    transport.auto = (lines) => (lines.some((l) => l.startsWith('bad'))
      ? { status: 422, body: '{"message":"partial write: field type conflict dropped=2"}' } : { status: 204, body: '' });
    ['g1', 'g2', 'bad3', 'g4', 'g5', 'g6', 'bad7', 'g8'].forEach((l) => add(l, [l]));
    await clock.advance(0);
    for (const g of ['g1', 'g2', 'g4', 'g5', 'g6', 'g8']) assert.equal(outcomes[g].written, 1, g);
    for (const b of ['bad3', 'bad7']) assert.match(outcomes[b].rejected[0], /HTTP 422: partial write/);
    assert.ok(transport.calls.length <= 1 + 2 * 2 * 3, `${transport.calls.length} requests`);
  });

  it('one shared ticket completes each one-line message with its own context: written, rejected, dropped', async () => {
    const { clock, transport, writer } = setup({ flushIntervalMs: 0, batchSize: 4, maxLines: 4, overflow: 'drop-oldest', maxInFlight: 1 });
    const outcomes: Record<string, TicketOutcome> = {};
    const ticket = new LineTicket<string>((out, name) => { outcomes[name] = { ...out, rejected: [...out.rejected], failed: [...out.failed] }; });
    transport.auto = (lines) => (lines.some((l) => l.startsWith('bad'))
      ? { status: 422, body: '{"message":"partial write: field type conflict dropped=1"}' } : { status: 204, body: '' });
    for (const l of ['g1', 'bad2', 'g3']) writer.add(T, [l], true, ticket, undefined, l);
    await clock.advance(0);
    assert.deepEqual(outcomes.g1, { written: 1, rejected: [], failed: [], dropped: 0 });
    assert.deepEqual(outcomes.g3, { written: 1, rejected: [], failed: [], dropped: 0 });
    assert.equal(outcomes.bad2.written, 0);
    assert.match(outcomes.bad2.rejected[0], /HTTP 422: partial write/);
    transport.auto = null;
    // a in flight, b–d waiting; e and f make the oldest waiting lines (b, c) go
    for (const l of ['a', 'b', 'c', 'd', 'e', 'f']) writer.add(T, [l], true, ticket, undefined, l);
    assert.deepEqual(outcomes.b, { written: 0, rejected: [], failed: [], dropped: 1 });
    assert.deepEqual(outcomes.c, { written: 0, rejected: [], failed: [], dropped: 1 });
    assert.deepEqual(Object.keys(outcomes).sort(), ['b', 'bad2', 'c', 'g1', 'g3']);
  });

  it('refuses the whole batch instead of sending again when a line has no timestamp (a resend would duplicate it)', async () => {
    const { clock, transport, outcomes, add } = setup({ flushIntervalMs: 10, batchSize: 2 });
    transport.auto = () => ({ status: 422, body: '{"message":"partial write: points beyond retention policy dropped=1"}' });
    add('a', ['a v=1'], false);
    add('b', ['b v=1 5']);
    await clock.advance(10);
    assert.equal(transport.calls.length, 1);
    assert.ok(outcomes.a.rejected.length === 1 && outcomes.b.rejected.length === 1);
  });

  it('rejects the line InfluxDB 2.x quotes as unparsable and sends the rest again (2.x wrote none of the batch)', async () => {
    const { clock, transport, outcomes, add } = setup({ flushIntervalMs: 0 });
    transport.auto = (lines, i) => (i === 0 ? { status: 400, body: JSON.stringify({ code: 'invalid', message: `unable to parse '${lines[1]}': bad` }) } : { status: 204, body: '' });
    add('a', ['a "q" 1', 'b 2', 'c 3']);
    await clock.advance(0);
    assert.deepEqual(transport.batches, [['a "q" 1', 'b 2', 'c 3'], ['a "q" 1', 'c 3']]);
    assert.equal(outcomes.a.written, 2);
    assert.match(outcomes.a.rejected[0], /unable to parse 'b 2'/);
  });

  it('splits a batch the server finds too large (413)', async () => {
    const { clock, transport, outcomes, add } = setup({ flushIntervalMs: 0, batchSize: 4 });
    transport.auto = (lines) => (lines.length > 2 ? { status: 413, body: '' } : { status: 204, body: '' });
    add('a', ['1', '2', '3', '4']);
    await clock.advance(0);
    assert.deepEqual(transport.batches, [['1', '2', '3', '4'], ['1', '2'], ['3', '4']]);
    assert.equal(outcomes.a.written, 4);
  });

  it('drop-oldest drops the oldest waiting lines of any target, never the batch in flight', async () => {
    const { clock, transport, writer, outcomes, add } = setup({ flushIntervalMs: 0, batchSize: 1, maxLines: 3, overflow: 'drop-oldest' });
    transport.auto = null;
    add('a', ['a']);
    add('b', ['b'], true, { org: 'o', bucket: 'other', precision: 'ms' });
    await clock.advance(0);
    add('c', ['c']);
    add('d', ['d']);
    assert.equal(writer.stats.dropped, 1);
    assert.equal(outcomes.c.dropped, 1, 'c waited longest (a and b are in flight)');
    assert.equal(writer.full, false, 'drop-oldest never holds callers back');
  });

  it('block: reports full and lets callers wait for room', async () => {
    const { clock, transport, writer, add } = setup({ flushIntervalMs: 0, maxLines: 2 });
    transport.auto = null;
    add('a', ['a1', 'a2']);
    assert.equal(writer.full, true);
    let room = false;
    void writer.whenRoom().then(() => { room = true; });
    await clock.advance(0);
    assert.equal(room, false);
    transport.calls[0].resolve({ status: 204, body: '' });
    await clock.advance(0);
    assert.equal(room, true);
  });

  it('flush sends at once and resolves when everything before it is settled', async () => {
    const { clock, transport, writer, add } = setup({ flushIntervalMs: 60000 });
    add('a', ['a1']);
    let flushed = false;
    void writer.flush().then(() => { flushed = true; });
    await clock.advance(0);
    assert.deepEqual(transport.batches, [['a1']]);
    assert.equal(flushed, true);
  });

  it('close hands back what is not settled, in order; answers after close are ignored; a new writer takes it over', async () => {
    const { clock, transport, writer, outcomes, add } = setup({ flushIntervalMs: 0, batchSize: 1 });
    transport.auto = null;
    add('a', ['a1']);
    add('b', ['b1']);
    await clock.advance(0);
    const closing = writer.close(clock.t + 500);
    await clock.advance(500);
    const parked = await closing;
    assert.deepEqual(parked.targets.map((x) => x.entries.map((e) => e.line)), [['a1', 'b1']]);
    transport.calls[0].resolve({ status: 204, body: '' });
    await clock.advance(0);
    assert.ok(!('a' in outcomes), 'the old writer no longer settles');
    const next = setup({ flushIntervalMs: 0, batchSize: 5 });
    next.writer.adopt(parked);
    await next.clock.advance(0);
    assert.deepEqual(next.transport.batches, [['a1', 'b1']]);
    assert.equal(outcomes.a.written, 1, "the original message's ticket completes");
    assert.equal(outcomes.b.written, 1);
  });
});

describe('engine: InfluxDB answers', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('3', 0), 3000);
    assert.equal(retryAfterMs(new Date(10000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs('soon', 0), undefined);
  });

  it('classifies statuses', () => {
    const k = (status: number, body = '') => judge({ status, body }, ['a', 'b'], 0).kind;
    assert.deepEqual([204, 201, 200, 0, 429, 500, 503, 413, 401, 404, 400, 422].map((s) => k(s)),
      ['written', 'written', 'written', 'retry', 'retry', 'retry', 'retry', 'too-large', 'rejected', 'rejected', 'unidentified', 'unidentified']);
  });

  it('maps InfluxDB 3 line numbers to lines, counting newlines inside a line', () => {
    const v = judge({ status: 400, body: JSON.stringify({ error: 'partial write', data: [{ line_number: 3, error_message: 'bad' }] }) },
      ['m s="x\ny" 1', 'm v=2 2'], 0);
    assert.equal(v.kind, 'lines');
    if (v.kind === 'lines') assert.deepEqual([...v.rejected], [[1, 'line 3: bad']]);
  });

  it('1.x partial writes quote the bad line and wrote the others', () => {
    const v = judge({ status: 400, body: '{"error":"partial write: unable to parse \'m v=\': missing field value dropped=0"}' }, ['m v=1 1', 'm v='], 0);
    assert.ok(v.kind === 'lines' && v.rest === 'written' && v.rejected.has(1));
  });
});

describe('engine: retry delays', () => {
  it('grows exponentially within [d_n, d_n+1), capped, plus jitter', () => {
    const o = { minDelayMs: 1000, maxDelayMs: 5000, base: 2, jitterMs: 100, maxRetryTimeMs: 0 };
    assert.equal(retryDelay(o, 1, undefined, () => 0), 1000);
    assert.equal(retryDelay(o, 1, undefined, () => 0.5), 1500 + 50);
    assert.equal(retryDelay(o, 3, undefined, () => 0.999), 4000 + Math.round(999) + 100);
    assert.equal(retryDelay(o, 9, undefined, () => 0), 5000);
    assert.equal(retryDelay(o, 2, 7000, () => 1), 7100);
  });
});

describe('engine: InfluxDB server probe', () => {
  it('asks until the server answers, with the retry delays, and never again after it did or a write was acknowledged', async () => {
    const clock = new FakeClock();
    const answers: WriteResponse[] = [{ status: 0, body: 'connect ECONNREFUSED 127.0.0.1:1' }, { status: 503, body: '{"message":"not ready"}' }, { status: 404, body: '' }];
    const asked: number[] = [];
    const probe = new ServerProbe(async () => { asked.push(clock.t); return answers[asked.length - 1]; }, OPTS.retry, () => undefined, clock);
    assert.equal(probe.state, 'connecting');
    probe.start();
    await clock.advance(0);
    assert.deepEqual([probe.state, probe.lastError], ['unreachable', 'no answer: connect ECONNREFUSED 127.0.0.1:1']);
    await clock.advance(1000);
    assert.deepEqual([probe.state, probe.lastError], ['unreachable', 'HTTP 503: not ready']);
    await clock.advance(2000);
    assert.equal(probe.state, 'reachable', 'any answer below 500 comes from a server that is up');
    assert.deepEqual(asked.map((t) => t - asked[0]), [0, 1000, 3000], 'backoff 1 s, then 2 s');
    await clock.advance(60000);
    assert.equal(asked.length, 3);

    const stopped = new ServerProbe(async () => { asked.push(clock.t); return answers[0]; }, OPTS.retry, () => undefined, clock);
    stopped.start();
    await clock.advance(0);
    stopped.reached();
    await clock.advance(60000);
    assert.equal(stopped.state, 'reachable');
    assert.equal(asked.length, 4, 'a write acknowledged ends the asking');
  });
});

describe('engine: client-library transport', () => {
  let fake: FakeInflux;
  beforeEach(async () => { fake = await FakeInflux.start(); });
  afterEach(() => fake.close());

  it('v2: POSTs one batch per write to /api/v2/write with the token, and returns the answer, Retry-After included', async () => {
    const t = new ClientTransport({ url: fake.url, version: 'v2', token: 'tok', timeoutMs: 2000, batchSize: 2 });
    fake.answer = (_q, i) => (i === 0 ? { status: 204 } : { status: 503, body: '{"message":"later"}', headers: { 'retry-after': '4' } });
    const lines = ['m v=1 1', 'm v=2 2'];
    assert.deepEqual(await t.write({ org: 'o', bucket: 'b', precision: 'us' }, lines), { status: 204, body: '' });
    assert.deepEqual(await t.write({ org: 'o', bucket: 'b', precision: 'us' }, lines), { status: 503, body: '{"message":"later"}', retryAfter: '4' });
    assert.deepEqual(fake.requests.map((r) => [r.path, r.query.get('org'), r.query.get('bucket'), r.query.get('precision'), r.headers.authorization, r.lines]),
      [['/api/v2/write', 'o', 'b', 'us', 'Token tok', lines], ['/api/v2/write', 'o', 'b', 'us', 'Token tok', lines]]);
    t.dispose();
  });

  it('asks /health (v2) or /ping (v1) for a health check, writing nothing', async () => {
    for (const [version, path] of [['v2', '/health'], ['v1', '/ping']] as const) {
      const t = new ClientTransport({ url: fake.url, version, token: 'tok', timeoutMs: 2000, batchSize: 2 });
      assert.equal((await t.ping()).status, version === 'v2' ? 200 : 204);
      assert.equal(fake.probes.at(-1)?.path, path);
      t.dispose();
    }
    fake.health = () => ({ status: 503, body: '{"message":"not ready"}' });
    const t = new ClientTransport({ url: fake.url, version: 'v2', timeoutMs: 2000, batchSize: 2 });
    assert.deepEqual(await t.ping(), { status: 503, body: '{"message":"not ready"}', retryAfter: undefined });
    t.dispose();
    assert.equal(fake.requests.length, 0);
  });

  it('v1: POSTs to /write with db, rp and precision; no answer is status 0', async () => {
    const t = new ClientTransport({ url: fake.url, version: 'v1', timeoutMs: 2000, batchSize: 10 });
    assert.equal((await t.write({ database: 'd', retentionPolicy: 'r', precision: 'us' }, ['m v=1'])).status, 204);
    assert.deepEqual([fake.requests[0].path, fake.requests[0].query.get('db'), fake.requests[0].query.get('rp'), fake.requests[0].query.get('precision')],
      ['/write', 'd', 'r', 'u']);
    await fake.close();
    const r = await t.write({ database: 'd', precision: 'ms' }, ['m v=1']);
    assert.equal(r.status, 0);
    assert.match(r.body, /ECONNREFUSED|socket hang up/);
    fake = await FakeInflux.start();
  });
});
