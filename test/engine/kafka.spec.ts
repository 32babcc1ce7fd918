/**
 * The Kafka engine parts without a broker: offset tracking, backpressure, message completion, record codecs,
 * error classification, and KafkaSource / KafkaSink against fake kafkajs consumers and producers.
 */
import assert from 'node:assert/strict';
import {
  Backpressure, CompletionTracker, KafkaError, KafkaSink, KafkaSource, OffsetTracker, compareOffsets, decodeBytes,
  decodeHeaders, encodeHeaders, encodeKey, encodeValue, parseBrokers, partitionOf, toKafkaError,
  type ConsumedRecord, type ConsumerLike, type KafkaRecordError, type KafkaSourceOptions, type RecordHandle, type SourceState,
} from '../../src/engine';
import { until } from '../helpers/wait';
import type { BatchPayload, FetchedBatch } from '../../src/engine/kafka/consumer';

const tick = () => new Promise((r) => setImmediate(r));

describe('engine/kafka: OffsetTracker', () => {
  it('commits only the offset after the highest contiguous completed record', () => {
    const t = new OffsetTracker();
    const log = t.log('a', 0);
    const h = ['0', '1', '2', '3'].map((o) => t.emitOne(log, o));
    assert.equal(t.inFlight, 4);
    t.complete(h[1]);
    t.complete(h[2]);
    assert.deepEqual(t.committable(), [], 'offset 0 is still in the flow: nothing may be committed');
    t.complete(h[0]);
    assert.deepEqual(t.committable(), [{ topic: 'a', partition: 0, offset: '3' }]);
    t.committed(t.committable());
    assert.deepEqual(t.committable(), [], 'a position is committed once');
    t.complete(h[3]);
    assert.deepEqual(t.committable(), [{ topic: 'a', partition: 0, offset: '4' }]);
    assert.equal(t.inFlight, 0);
  });

  it('keeps partitions apart and follows gaps in the offsets (compaction, transaction markers)', () => {
    const t = new OffsetTracker();
    const p0 = t.log('a', 0);
    const p1 = t.log('a', 1);
    const a = t.emitOne(p0, '10');
    const b = t.emitOne(p1, '5');
    const c = t.emitOne(p0, '17');
    t.complete(c);
    t.complete(b);
    assert.deepEqual(t.committable(), [{ topic: 'a', partition: 1, offset: '6' }]);
    t.complete(a);
    assert.deepEqual(t.committable().find((x) => x.partition === 0), { topic: 'a', partition: 0, offset: '18' });
  });

  it('completes a batch emission as a whole and adds one to offsets beyond 2^53 exactly', () => {
    const t = new OffsetTracker();
    const log = t.log('big', 3);
    const h = t.emit(log, ['9007199254740993', '9007199254740994']);
    assert.equal(t.inFlight, 2);
    t.complete(h);
    assert.deepEqual(t.committable(), [{ topic: 'big', partition: 3, offset: '9007199254740995' }]);
  });

  it('forgets revoked partitions but keeps the in-flight count right, and recognises records fetched again', () => {
    const t = new OffsetTracker();
    const p0 = t.log('a', 0);
    const p1 = t.log('a', 1);
    const h0 = t.emitOne(p0, '0');
    const h1 = t.emitOne(p1, '0');
    t.assign([{ topic: 'a', partition: 1 }]);
    t.complete(h0);
    assert.equal(t.inFlight, 1);
    assert.deepEqual(t.committable(), [], 'a revoked partition is never committed by its old owner');
    assert.ok(t.log('a', 1).seen('0'), 'a kept partition remembers what it emitted');
    assert.ok(!t.log('a', 0).seen('0'), 'a partition assigned anew starts from scratch');
    t.complete(h1);
    assert.deepEqual(t.committable(), [{ topic: 'a', partition: 1, offset: '1' }]);
  });

  it('releases memory of long runs (100K records in order)', () => {
    const t = new OffsetTracker();
    const log = t.log('a', 0);
    for (let i = 0; i < 100000; i++) t.complete(t.emitOne(log, String(i)));
    assert.equal(log.pending, 0);
    assert.equal(t.committable()[0].offset, '100000');
    assert.ok((log as unknown as { offsets: string[] }).offsets.length < 2048);
  });

  it('compares offsets numerically', () => {
    assert.ok(compareOffsets('9', '10') < 0);
    assert.ok(compareOffsets('11', '10') > 0);
    assert.equal(compareOffsets('7', '7'), 0);
  });
});

describe('engine/kafka: Backpressure', () => {
  it('gives room up to the high mark, pauses there, and resumes only at the low mark', async () => {
    const bp = new Backpressure(10, 4);
    assert.equal(bp.room(0), 10);
    assert.equal(bp.room(7), 3);
    assert.equal(bp.room(10), 0);
    assert.ok(bp.paused);
    assert.equal(bp.room(3), 0, 'no room while paused, even below the high mark');
    let woken = false;
    void bp.wait().then(() => { woken = true; });
    assert.equal(bp.update(5), false);
    await tick();
    assert.equal(woken, false);
    assert.equal(bp.update(4), true);
    await tick();
    assert.ok(woken);
    assert.equal(bp.room(4), 6);
    assert.equal(bp.pauses, 1);
  });

  it('refuses marks that make no sense', () => {
    assert.throws(() => new Backpressure(0, 0), /in-flight limit/);
    assert.throws(() => new Backpressure(10, 10), /resume mark/);
    assert.throws(() => new Backpressure(10, -1), /resume mark/);
  });
});

describe('engine/flow: CompletionTracker', () => {
  type M = { _msgid: string; n?: number };
  const setup = () => {
    const t = new CompletionTracker();
    const done: string[] = [];
    const owner = {};
    const open = (id: string) => t.track(id, owner, () => done.push(id));
    /** A message of a new family `a`, sent by `from` (the emitter releases it) and received by `at`. */
    const arrived = (at = 'n', from = at): M => {
      open('a');
      const m: M = { _msgid: 'a' };
      t.delivered(m, from);
      t.release('a');
      t.received(m, at);
      return m;
    };
    /** Once pending completions ran: the families completed so far. */
    const completed = async (ids: string[], why?: string) => {
      await tick();
      assert.deepEqual(done, ids, why);
    };
    return { t, open, owner, arrived, completed };
  };

  it('completes a message sent nowhere as soon as the emitter releases it', async () => {
    const { t, open, completed } = setup();
    open('a');
    t.release('a');
    await completed(['a']);
    assert.equal(t.size, 0);
  });

  it('waits for every copy sent to several wires, and for every message a node sends per input', async () => {
    const { t, open, completed } = setup();
    open('a');
    const m: M = { _msgid: 'a' };
    const copy: M = { _msgid: 'a' };
    t.delivered(m, 'n');
    t.delivered(copy, 'n');
    t.release('a');
    t.received(m, 'n');
    t.received(copy, 'n');
    // The first node sends two messages (same id) before it is done.
    const out1: M = { _msgid: 'a', n: 1 };
    const out2: M = { _msgid: 'a', n: 2 };
    t.delivered(out1, 'n');
    t.delivered(out2, 'n');
    t.finished(m);
    t.finished(copy);
    await completed([], 'two follow-ups are still on their way');
    t.received(out1, 'n');
    t.finished(out1);
    t.received(out2, 'n');
    await completed([]);
    t.finished(out2);
    await completed(['a']);
  });

  it('keeps a family open when an error is handed to a Catch node right after the node finished', async () => {
    const { t, arrived, completed } = setup();
    t.finished(arrived()); // done(err): onComplete first …
    const caught: M = { _msgid: 'a' };
    t.received(caught, 'n'); // … then the Catch node gets a clone, synchronously
    await completed([]);
    t.finished(caught);
    await completed(['a']);
  });

  it('counts a message that a node sends on and is done with, before the next node gets it', async () => {
    const { t, arrived, completed } = setup();
    const m = arrived();
    t.delivered(m, 'n'); // the same object sent on
    t.finished(m);
    await completed([]);
    t.received(m, 'n');
    t.finished(m);
    await completed(['a']);
  });

  it('adds messages a node sends while it handles a member, whatever their id (split parts)', async () => {
    const { t, arrived, completed } = setup();
    const m = arrived('split', 'src');
    delete (m as { _msgid?: string })._msgid; // the split node drops the id …
    const part: M = { _msgid: 'fresh' };
    t.delivered(part, 'split'); // … and sends parts with a new one
    t.delivered({ _msgid: 'unrelated' }, 'elsewhere');
    t.returned(m, true);
    t.finished(m);
    await completed([], 'the part is still on its way');
    t.received(part, 'next');
    t.returned(part, false); // a node that never calls done: finished when its handler returns
    await completed(['a']);
    assert.equal(t.size, 0, 'the family and the ids it adopted are gone');
  });

  it('ignores a second done for the same message, other ids, and forgotten owners', async () => {
    const { t, open, owner, arrived, completed } = setup();
    open('b');
    const other: M = { _msgid: 'x' };
    t.delivered(other, 'n');
    const m = arrived();
    t.delivered({ _msgid: 'a' }, 'n');
    t.finished(m);
    t.finished(m);
    t.finished(other);
    await completed([], 'the second done must not complete the family early');
    t.forget(owner);
    assert.equal(t.size, 0);
  });
});

describe('engine/kafka: codecs and errors', () => {
  it('decodes strings, JSON and Buffers, keeps null, and throws on bad JSON', () => {
    assert.equal(decodeBytes(Buffer.from('hé'), 'string'), 'hé');
    assert.deepEqual(decodeBytes(Buffer.from('{"a":1}'), 'json'), { a: 1 });
    const b = Buffer.from([0, 255, 1]);
    assert.equal(decodeBytes(b, 'buffer'), b);
    assert.equal(decodeBytes(null, 'json'), null);
    assert.throws(() => decodeBytes(Buffer.from('{nope'), 'json'), SyntaxError);
  });

  it('decodes headers to strings, repeated headers to arrays', () => {
    assert.deepEqual(decodeHeaders({ a: Buffer.from('x'), b: [Buffer.from('1'), Buffer.from('2')], c: undefined }), { a: 'x', b: ['1', '2'] });
  });

  it('encodes objects as JSON, strings and Buffers as they are, null as a tombstone', () => {
    assert.equal(encodeValue({ a: 1 }), '{"a":1}');
    assert.equal(encodeValue('s'), 's');
    const b = Buffer.from([1, 2]);
    assert.equal(encodeValue(b), b);
    assert.deepEqual(encodeValue(new Uint8Array([3, 4])), Buffer.from([3, 4]));
    assert.equal(encodeValue(null), null);
    assert.equal(encodeValue(12.5), '12.5');
    assert.throws(() => encodeValue(undefined), (e: KafkaError) => e.reason === 'bad-message');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => encodeValue(cyclic), (e: KafkaError) => e.reason === 'bad-message');
    assert.equal(encodeKey(''), null);
    assert.equal(encodeKey(7), '7');
    assert.deepEqual(encodeHeaders({ a: 'x', n: 3, r: ['1', Buffer.from('2')], skip: null }), { a: 'x', n: '3', r: ['1', Buffer.from('2')] });
    assert.throws(() => encodeHeaders({ o: {} }), (e: KafkaError) => e.reason === 'bad-message');
  });

  it('reads partitions and broker lists, refusing bad ones', () => {
    assert.equal(partitionOf('3'), 3);
    assert.equal(partitionOf(undefined), undefined);
    assert.throws(() => partitionOf(-1), (e: KafkaError) => e.reason === 'bad-message');
    assert.throws(() => partitionOf(1.5), (e: KafkaError) => e.reason === 'bad-message');
    assert.deepEqual(parseBrokers('a:9092, b:9093\nc:1'), ['a:9092', 'b:9093', 'c:1']);
    assert.throws(() => parseBrokers(''), /no broker/);
    assert.throws(() => parseBrokers('a:99999'), /host:port/);
    assert.throws(() => parseBrokers('nohost'), /host:port/);
  });

  it('classifies kafkajs errors by what the user can do', () => {
    const wrap = (cause: object) => Object.assign(new Error('retries'), { name: 'KafkaJSNumberOfRetriesExceeded', cause });
    assert.equal(toKafkaError(Object.assign(new Error('bad pw'), { name: 'KafkaJSSASLAuthenticationError' })).reason, 'authentication');
    const conn = toKafkaError(wrap(Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError', retriable: true })));
    assert.equal(conn.reason, 'connection');
    assert.equal(conn.retriable, true);
    assert.equal(toKafkaError(Object.assign(new Error('x'), { type: 'TOPIC_AUTHORIZATION_FAILED' })).reason, 'authorization');
    assert.equal(toKafkaError(Object.assign(new Error('too big'), { type: 'MESSAGE_TOO_LARGE' })).reason, 'record-too-large');
    assert.equal(toKafkaError(new Error('LZ4 compression not implemented')).reason, 'unsupported-compression');
    assert.equal(toKafkaError(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })).reason, 'tls');
    assert.equal(toKafkaError(new Error('odd')).reason, 'broker');
  });
});

// ---- KafkaSource against a fake consumer ---------------------------------------------------------------------

class FakeConsumer implements ConsumerLike {
  events = { GROUP_JOIN: 'join', CRASH: 'crash', REBALANCING: 'rebalancing' };
  listeners = new Map<string, ((e: { payload: Record<string, unknown> }) => void)[]>();
  eachBatch: ((p: BatchPayload) => Promise<void>) | null = null;
  paused = false;
  commits: { topic: string; partition: number; offset: string }[][] = [];
  resolved = new Map<number, string>();
  disconnected = false;
  connectError: Error | null = null;
  heartbeatError: Error | null = null;
  async connect() { if (this.connectError) throw this.connectError; }
  async subscribe() { /* topics come with the batches */ }
  async run(c: { eachBatch(p: BatchPayload): Promise<void> }) { this.eachBatch = c.eachBatch; }
  pause() { this.paused = true; }
  resume() { this.paused = false; }
  async commitOffsets(o: { topic: string; partition: number; offset: string }[]) { this.commits.push(o); }
  async disconnect() { this.disconnected = true; }
  on(event: string, listener: (e: { payload: Record<string, unknown> }) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  emit(event: string, payload: Record<string, unknown>) { for (const l of this.listeners.get(event) ?? []) l({ payload }); }
  join(assignment: Record<string, number[]>) { this.emit('join', { memberAssignment: assignment }); }
  /** Delivers one fetched batch; resolves when eachBatch returns. */
  deliver(partition: number, values: (string | null)[], first = 0, topic = 't'): Promise<void> {
    const batch: FetchedBatch = {
      topic, partition, highWatermark: String(first + values.length),
      messages: values.map((v, i) => ({ offset: String(first + i), key: Buffer.from(`k${i}`), value: v === null ? null : Buffer.from(v),
        timestamp: '1700000000000', headers: { h: Buffer.from('v') } })),
    };
    return this.eachBatch!({
      batch,
      resolveOffset: (o) => { this.resolved.set(partition, o); },
      heartbeat: async () => { if (this.heartbeatError) throw this.heartbeatError; },
      isRunning: () => !this.disconnected,
      isStale: () => false,
    });
  }
}

/** A KafkaSource on fake consumers; with `deadLetters`, undecodable records are also sent there (acknowledged at once). */
function source(opts: Partial<KafkaSourceOptions> = {}, deadLetters?: unknown[]) {
  const consumers: FakeConsumer[] = [];
  const emitted: { records: ConsumedRecord | ConsumedRecord[]; handle: RecordHandle }[] = [];
  const poison: { err: KafkaRecordError; done: () => void }[] = [];
  const states: SourceState[] = [];
  const warnings: KafkaError[] = [];
  const s = new KafkaSource(() => { const c = new FakeConsumer(); consumers.push(c); return c; }, {
    topics: ['t'], fromBeginning: true, keyFormat: 'string', valueFormat: 'json', output: 'record',
    maxInFlight: 4, resumeAt: 2, commitIntervalMs: 60000,
    deadLetter: deadLetters
      ? { topic: 'dlq', sink: { send: (r: unknown, done: () => void) => { deadLetters.push(r); setImmediate(done); } } } : undefined,
    ...opts,
  }, {
    emit: (records, handle) => emitted.push({ records, handle }),
    poison: (err, done) => poison.push({ err, done }),
    state: (st) => states.push(st),
    warn: (e) => warnings.push(e),
  });
  return { s, consumers, emitted, poison, states, warnings };
}

describe('engine/kafka: KafkaSource', () => {
  it('emits decoded records in order and commits only completed work', async () => {
    const { s, consumers, emitted } = source();
    s.start();
    await tick();
    const c = consumers[0];
    c.join({ t: [0] });
    await c.deliver(0, ['{"a":1}', '"x"', '3']);
    assert.equal(emitted.length, 3);
    const first = emitted[0].records as ConsumedRecord;
    assert.deepEqual({ ...first, headers: first.headers }, { topic: 't', partition: 0, offset: '0', key: 'k0', value: { a: 1 },
      headers: { h: 'v' }, timestamp: 1700000000000 });
    assert.equal(c.resolved.get(0), '2', 'the fetch position moves on');
    s.complete(emitted[1].handle);
    await s.commit();
    assert.deepEqual(c.commits, [], 'offset 0 is not completed: no commit');
    s.complete(emitted[0].handle);
    await s.commit();
    assert.deepEqual(c.commits, [[{ topic: 't', partition: 0, offset: '2' }]]);
    s.complete(emitted[2].handle);
    assert.equal(await s.close(100), 0);
    assert.deepEqual(c.commits[1], [{ topic: 't', partition: 0, offset: '3' }], 'close commits what completed');
    assert.ok(c.disconnected);
  });

  it('never has more than maxInFlight records in flight: pauses, and resumes at the low mark', async () => {
    const { s, consumers, emitted, states } = source();
    s.start();
    await tick();
    const c = consumers[0];
    c.join({ t: [0] });
    let batchDone = false;
    void c.deliver(0, ['1', '2', '3', '4', '5', '6', '7']).then(() => { batchDone = true; });
    await tick();
    assert.equal(emitted.length, 4);
    assert.equal(s.tracker.inFlight, 4);
    assert.ok(c.paused);
    assert.equal(states.at(-1), 'paused');
    s.complete(emitted[0].handle);
    await tick();
    assert.equal(emitted.length, 4, 'one completion is not enough: resume waits for the low mark');
    s.complete(emitted[1].handle);
    await until(() => emitted.length === 6);
    assert.ok(s.tracker.inFlight <= 4);
    for (const e of emitted.slice(2)) s.complete(e.handle);
    await until(() => batchDone);
    assert.equal(emitted.length, 7);
    assert.equal(c.resolved.get(0), '6');
    assert.equal(s.backpressure.pauses, 2);
    await s.close(10);
  });

  it('hands the rest of a batch back when the group rebalances while paused', async () => {
    const { s, consumers, emitted } = source();
    s.start();
    await tick();
    const c = consumers[0];
    c.join({ t: [0] });
    c.heartbeatError = new Error('The group is rebalancing');
    await c.deliver(0, ['1', '2', '3', '4', '5', '6']);
    assert.equal(emitted.length, 4);
    assert.equal(c.resolved.get(0), '3', 'only what was emitted is resolved: the rest is fetched again');
    // The group comes back with the same partition: records fetched again are not emitted twice.
    c.heartbeatError = null;
    c.join({ t: [0] });
    for (const e of emitted) s.complete(e.handle);
    await c.deliver(0, ['1', '2', '3', '4', '5', '6']);
    assert.deepEqual(emitted.slice(4).map((e) => (e.records as ConsumedRecord).offset), ['4', '5']);
    await s.close(10);
  });

  it('emits one batch per fetched batch, within the room left, in batch mode', async () => {
    const { s, consumers, emitted } = source({ output: 'batch', maxInFlight: 5, resumeAt: 0 });
    s.start();
    await tick();
    const c = consumers[0];
    c.join({ t: [0] });
    const run = c.deliver(0, ['1', '2', '3', '4', '5', '6', '7']);
    await tick();
    assert.equal(emitted.length, 1);
    assert.deepEqual((emitted[0].records as ConsumedRecord[]).map((r) => r.value), [1, 2, 3, 4, 5]);
    s.complete(emitted[0].handle);
    await run;
    assert.deepEqual((emitted[1].records as ConsumedRecord[]).map((r) => r.value), [6, 7]);
    s.complete(emitted[1].handle);
    await s.commit();
    assert.deepEqual(c.commits.at(-1), [{ topic: 't', partition: 0, offset: '7' }]);
    await s.close(10);
  });

  it('reports an undecodable record with its raw bytes, never blocks its partition, and dead-letters it', async () => {
    const dead: unknown[] = [];
    const { s, consumers, emitted, poison } = source({}, dead);
    s.start();
    await tick();
    const c = consumers[0];
    c.join({ t: [0] });
    await c.deliver(0, ['1', '{bad', '3']);
    assert.equal(emitted.length, 2);
    assert.equal(poison.length, 1);
    assert.equal(poison[0].err.reason, 'bad-record');
    assert.equal(poison[0].err.raw.value!.toString(), '{bad');
    assert.equal(poison[0].err.raw.offset, '1');
    for (const e of emitted) s.complete(e.handle);
    poison[0].done();
    await until(() => dead.length === 1);
    await tick();
    await s.commit();
    assert.deepEqual(c.commits.at(-1), [{ topic: 't', partition: 0, offset: '3' }]);
    const d = dead[0] as { topic: string; value: Buffer; headers: Record<string, string> };
    assert.equal(d.topic, 'dlq');
    assert.equal(d.value.toString(), '{bad');
    assert.equal(d.headers['streamkit-offset'], '1');
    assert.match(d.headers['streamkit-error'], /cannot be decoded/);
    await s.close(10);
  });

  it('waits for records in flight on close, up to the timeout, and reports what is left', async () => {
    const { s, consumers, emitted } = source();
    s.start();
    await tick();
    const c = consumers[0];
    c.join({ t: [0] });
    await c.deliver(0, ['1', '2']);
    setTimeout(() => s.complete(emitted[0].handle), 20);
    const t0 = Date.now();
    const left = await s.close(150);
    assert.equal(left, 1);
    assert.ok(Date.now() - t0 >= 140);
    assert.deepEqual(c.commits.at(-1), [{ topic: 't', partition: 0, offset: '1' }]);
  });

  it('starts a new consumer after a failed start, saying why', async () => {
    const { s, consumers, states } = source();
    const orig = FakeConsumer.prototype.connect;
    let first = true;
    FakeConsumer.prototype.connect = async function () {
      if (first) { first = false; throw Object.assign(new Error('SASL authentication failed'), { name: 'KafkaJSSASLAuthenticationError' }); }
    };
    try {
      s.start();
      await until(() => states.includes('error'));
      assert.equal(s.lastError?.reason, 'authentication');
      await until(() => consumers.length === 2, 3000);
      assert.ok(consumers[0].disconnected);
    } finally {
      FakeConsumer.prototype.connect = orig;
      await s.close(10);
    }
  });

  it('is unreachable, once, while the brokers cannot be reached, trying new consumers until one joins the group', async () => {
    const { s, consumers, states } = source();
    const orig = FakeConsumer.prototype.connect;
    let refusals = 2;
    FakeConsumer.prototype.connect = async function () {
      if (refusals-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError', retriable: true });
    };
    try {
      s.start();
      await until(() => consumers.length === 3, 5000);
      await until(() => consumers[2].eachBatch !== null);
      assert.equal(s.state, 'unreachable');
      assert.match(String(s.lastError?.message), /ECONNREFUSED/);
      consumers[2].join({ t: [0] });
      // The brokers lost again by a running consumer (kafkajs restarts it itself): unreachable, then connected.
      for (let i = 0; i < 2; i++) {
        consumers[2].emit('crash', { error: Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError', retriable: true }),
          restart: true });
      }
      consumers[2].join({ t: [0] });
      assert.deepEqual([...states], ['unreachable', 'connected', 'unreachable', 'connected']);
      assert.ok(consumers[0].disconnected && consumers[1].disconnected);
    } finally {
      FakeConsumer.prototype.connect = orig;
      await s.close(10);
    }
  });
});

// ---- KafkaSink against a fake producer -------------------------------------------------------------------------

describe('engine/kafka: KafkaSink', () => {
  const opts = { acks: -1 as const, compression: 0, lingerMs: 0, batchSize: 100, maxBuffered: 5 };
  const rec = (v: string, topic = 't') => ({ topic, key: null, value: v });

  it('acknowledges records only after the broker took them, batching those queued together', async () => {
    const requests: string[][] = [];
    let release: () => void = () => undefined;
    const producer = { sendBatch: (b: { topicMessages: { messages: { value: unknown }[] }[] }) => {
      requests.push(b.topicMessages.flatMap((t) => t.messages.map((m) => String(m.value))));
      return new Promise<void>((r) => { release = r; });
    } };
    const sink = new KafkaSink(async () => producer, opts);
    const acked: string[] = [];
    for (const v of ['a', 'b']) sink.send(rec(v), (e) => { assert.equal(e, undefined); acked.push(v); });
    await until(() => requests.length === 1);
    sink.send(rec('c'), () => acked.push('c'));
    sink.send(rec('d', 'other'), () => acked.push('d'));
    assert.deepEqual(acked, []);
    release();
    await until(() => requests.length === 2);
    assert.deepEqual(acked, ['a', 'b']);
    assert.deepEqual(requests[1], ['c', 'd'], 'records queued during a request go in the next one');
    release();
    await until(() => acked.length === 4);
    assert.equal(sink.buffered, 0);
  });

  it('keeps records while the broker is unreachable, retries, and counts the overflow of a full buffer', async () => {
    let down = true;
    const sent: string[] = [];
    const producer = { sendBatch: async (b: { topicMessages: { messages: { value: unknown }[] }[] }) => {
      if (down) throw Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true });
      sent.push(...b.topicMessages.flatMap((t) => t.messages.map((m) => String(m.value))));
    } };
    const states: string[] = [];
    const sink = new KafkaSink(async () => producer, opts, (st) => states.push(st));
    const results: (string | undefined)[] = [];
    for (let i = 0; i < 7; i++) sink.send(rec(String(i)), (e) => results.push(e ? e.reason : `ok${i}`));
    assert.deepEqual(results, ['buffer-full', 'buffer-full']);
    assert.equal(sink.stats.overflow, 2);
    await until(() => states.includes('retrying'));
    assert.equal(sink.lastError?.reason, 'connection');
    down = false;
    await until(() => results.length === 7, 5000);
    assert.deepEqual(sent, ['0', '1', '2', '3', '4']);
    assert.deepEqual(states, ['ready', 'retrying', 'ready']);
  });

  it('fails only the records a broker refuses for good', async () => {
    const producer = { sendBatch: async (b: { topicMessages: { messages: { value: unknown }[] }[] }) => {
      if (b.topicMessages.some((t) => t.messages.some((m) => m.value === 'huge'))) {
        throw Object.assign(new Error('The request included a message larger than the max message size'), { type: 'MESSAGE_TOO_LARGE' });
      }
    } };
    const sink = new KafkaSink(async () => producer, opts);
    const results: string[] = [];
    for (const v of ['a', 'huge', 'b']) sink.send(rec(v), (e) => results.push(`${v}:${e ? e.reason : 'ok'}`));
    await until(() => results.length === 3);
    assert.deepEqual(results.sort(), ['a:ok', 'b:ok', 'huge:record-too-large']);
    assert.equal(sink.stats.failed, 1);
  });

  it('does not wait on close while the brokers cannot be reached', async () => {
    const sink = new KafkaSink(() => new Promise<never>(() => undefined), opts);
    sink.send(rec('x'), () => assert.fail('never acknowledged'));
    const t0 = Date.now();
    assert.equal(await sink.close(5000), 1);
    assert.ok(Date.now() - t0 < 1000);
  });

  it('connects before the first record: retrying with the reason while the brokers cannot be reached, ready once they can', async () => {
    let attempts = 0;
    const producer = { sendBatch: async () => undefined };
    const states: string[] = [];
    const sink = new KafkaSink(async () => {
      if (++attempts < 3) throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError', retriable: true });
      return producer;
    }, opts, (st) => states.push(st));
    assert.equal(sink.state, 'connecting');
    sink.connect();
    await until(() => states.includes('retrying'));
    assert.equal(sink.lastError?.reason, 'connection');
    assert.match(sink.lastError!.message, /ECONNREFUSED/);
    await until(() => sink.state === 'ready', 5000);
    assert.equal(attempts, 3, 'tried again after a backoff until connected');
    assert.deepEqual(states, ['retrying', 'ready']);
    assert.equal(await sink.close(10), 0);
  });

  it('stops trying to connect when closed', async () => {
    let attempts = 0;
    const sink = new KafkaSink(async () => {
      attempts++;
      throw Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError', retriable: true });
    }, opts);
    sink.connect();
    await until(() => sink.state === 'retrying');
    await sink.close(10);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(attempts, 1, 'no attempt after close');
  });

  it('stops waiting on close when acknowledgements stop coming', async () => {
    let calls = 0;
    const producer = { sendBatch: () => (++calls === 1 ? Promise.resolve() : new Promise<void>(() => undefined)) };
    const sink = new KafkaSink(async () => producer, { ...opts, batchSize: 1 });
    const acked: string[] = [];
    for (const v of ['a', 'b', 'c']) sink.send(rec(v), () => acked.push(v));
    await until(() => acked.length === 1);
    const t0 = Date.now();
    assert.equal(await sink.close(10000, 100), 2, 'b is in a request that never returns, c waits behind it');
    assert.ok(Date.now() - t0 < 2000, `gave up after no acknowledgement for 100 ms, not the 10 s timeout (${Date.now() - t0} ms)`);
  });

  it('waits on close for queued records, then reports those left undelivered', async () => {
    const producer = { sendBatch: () => new Promise<void>(() => undefined) };
    const sink = new KafkaSink(async () => producer, opts);
    sink.send(rec('x'), () => assert.fail('never acknowledged'));
    await until(() => sink.state === 'ready');
    assert.equal(await sink.close(30), 1);
    let closed: KafkaError | undefined;
    sink.send(rec('y'), (e) => { closed = e; });
    assert.equal(closed?.reason, 'closed');
  });
});
