/** The engine's small building blocks: timestamps, property paths, the serial queue, the registry, the rate meter. */
import assert from 'node:assert/strict';
import {
  EngineError, RateMeter, SerialQueue, StateRegistry, compileGetter, parsePath, parseTimestamp, timestampExtractor,
} from '../../src/engine';

describe('engine: timestamps', () => {
  it('reads numbers in s, ms, us and ns, flooring toward −∞', () => {
    assert.equal(parseTimestamp(1.5, 's'), 1500);
    assert.equal(parseTimestamp(1234.9, 'ms'), 1234);
    assert.equal(parseTimestamp(1999, 'us'), 1);
    assert.equal(parseTimestamp(-1, 'us'), -1);
    assert.equal(parseTimestamp(-1500000, 'ns'), -2);
  });

  it('reads digit strings and BigInt exactly beyond 2^53 for us and ns', () => {
    assert.equal(parseTimestamp('1700000000123456789', 'ns'), 1700000000123);
    assert.equal(parseTimestamp(1700000000123456789n, 'ns'), 1700000000123);
    assert.equal(parseTimestamp('-1', 'ns'), -1);
    assert.equal(parseTimestamp('1700000000', 's'), 1700000000000);
  });

  it('reads ISO-8601 strings with a zone and Dates, and refuses a local time without a zone', () => {
    assert.equal(parseTimestamp('2026-01-01T00:00:01.250Z'), Date.UTC(2026, 0, 1, 0, 0, 1, 250));
    assert.equal(parseTimestamp('2026-01-01T08:00:00+08:00'), Date.UTC(2026, 0, 1));
    assert.equal(parseTimestamp(new Date(42)), 42);
    assert.throws(() => parseTimestamp('2026-01-01T00:00:00'), (e: EngineError) => e.reason === 'bad-timestamp');
  });

  for (const bad of [undefined, null, NaN, Infinity, 'soon', {}, [], new Date('x'), true]) {
    it(`refuses ${String(bad)} as a timestamp with reason bad-timestamp`, () => {
      assert.throws(() => parseTimestamp(bad), (e: EngineError) => e instanceof EngineError && e.reason === 'bad-timestamp');
    });
  }

  it('takes the wall clock for a missing timestamp only when asked to, never for an unparseable one', () => {
    const withClock = timestampExtractor('ms', 'processingTime', () => 777);
    assert.equal(withClock(undefined), 777);
    assert.equal(withClock(null), 777);
    assert.equal(withClock(5), 5);
    assert.throws(() => withClock('soon'), (e: EngineError) => e.reason === 'bad-timestamp');
    assert.throws(() => timestampExtractor('ms', 'error')(undefined), (e: EngineError) => e.reason === 'bad-timestamp');
  });
});

describe('engine: property paths', () => {
  it('reads dotted, indexed and quoted paths, with or without a msg. prefix', () => {
    const msg = { payload: { a: [10, { 'b c': 5 }], x: null }, topic: 't' };
    assert.equal(compileGetter('topic')(msg), 't');
    assert.equal(compileGetter('msg.payload.a[0]')(msg), 10);
    assert.equal(compileGetter('payload.a[1]["b c"]')(msg), 5);
    assert.equal(compileGetter("payload.a[1]['b c']")(msg), 5);
    assert.equal(compileGetter('payload.x.y.z')(msg), undefined);
    assert.equal(compileGetter('payload.missing')(msg), undefined);
  });

  for (const bad of ['', 'payload..a', '.payload', 'payload[', 'payload[a]', 'a b']) {
    it(`refuses the path ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parsePath(bad), (e: EngineError) => e.reason === 'invalid-config');
    });
  }
});

describe('engine: SerialQueue', () => {
  it('runs synchronous jobs at once and keeps arrival order across asynchronous ones', async () => {
    const order: number[] = [];
    const q = new SerialQueue<number>((n) => {
      if (n % 2 === 0) return new Promise<void>((r) => setTimeout(() => { order.push(n); r(); }, 5));
      order.push(n);
    });
    q.push(1);
    assert.deepEqual(order, [1], 'a synchronous job on an idle queue runs inside push');
    for (let i = 2; i <= 8; i++) q.push(i);
    await q.drained();
    assert.deepEqual(order, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(q.length, 0);
  });

  it('goes on with the next job after one that throws or rejects', async () => {
    const done: number[] = [];
    const q = new SerialQueue<number>((n) => {
      if (n === 1) throw new Error('sync');
      if (n === 2) return Promise.reject(new Error('async'));
      done.push(n);
    });
    [1, 2, 3].forEach((n) => q.push(n));
    await q.drained();
    assert.deepEqual(done, [3]);
  });
});

describe('engine: StateRegistry', () => {
  it('hands parked state back only under the same configuration key, once', () => {
    const r = new StateRegistry();
    r.park('n1', 'k', { a: 1 });
    assert.equal(r.take('n1', 'other'), undefined, 'another configuration starts empty');
    assert.equal(r.size, 0, 'and the stale state is gone');
    r.park('n1', 'k', { a: 2 });
    assert.deepEqual(r.take('n1', 'k'), { a: 2 });
    assert.equal(r.take('n1', 'k'), undefined);
  });
});

describe('engine: RateMeter', () => {
  it('turns counts into a rate per second at each sample', () => {
    let t = 0;
    const m = new RateMeter(() => t);
    m.mark(); m.mark(4);
    t = 500;
    assert.equal(m.sample(), 10);
    t = 1500;
    assert.equal(m.sample(), 0);
    assert.equal(m.perSecond, 0);
  });
});

describe('engine: the package main from plain Node.js', () => {
  it('exports a working WindowOperator as require("node-red-contrib-streamkit") (dist/engine.js, built)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require('../..') as typeof import('../../src/engine');
    const out: unknown[] = [];
    const op = new engine.WindowOperator({ window: { type: 'tumbling', size: 10 }, aggregates: ['count', 'sum'] }, (o) => out.push(o));
    op.process('k', 1, 2);
    op.process('k', 3, 4);
    op.eos();
    assert.deepEqual(out, [
      { kind: 'result', key: 'k', window: { type: 'tumbling', start: 0, end: 10 }, timing: 'ON_TIME', pane: 0, watermark: Infinity, aggregates: { count: 2, sum: 6 } },
      { kind: 'eos' },
    ]);
  });
});
