/**
 * KeyedAggregator: running per-key aggregates without windows (the aggregate node's engine).
 */
import assert from 'node:assert/strict';
import { KeyedAggregator } from '../../src/engine';
import type { KeyedAggregatorOptions, KeyedResult } from '../../src/engine';
import type { AggregateName } from '../../src/engine/types';

function make(options: KeyedAggregatorOptions): { agg: KeyedAggregator; take: () => KeyedResult[] } {
  const outs: KeyedResult[] = [];
  const agg = new KeyedAggregator(options, (r) => outs.push(r));
  return { agg, take: () => outs.splice(0) };
}

const ALL: AggregateName[] = [
  'count', 'sum', 'min', 'max', 'avg', 'first', 'last',
  'varPop', 'varSamp', 'stddevPop', 'stddevSamp', 'distinct',
];

describe('engine: KeyedAggregator', () => {
  describe('emit update', () => {
    it('emits the running aggregates of the key at every add', () => {
      const { agg, take } = make({ aggregates: ['count', 'sum', 'avg'], emit: 'update' });
      agg.add('a', 2);
      assert.deepEqual(take(), [{ key: 'a', aggregates: { count: 1, sum: 2, avg: 2 } }]);
      agg.add('a', 4);
      assert.deepEqual(take(), [{ key: 'a', aggregates: { count: 2, sum: 6, avg: 3 } }]);
    });

    it('keeps keys independent', () => {
      const { agg, take } = make({ aggregates: ['count', 'sum'], emit: 'update' });
      agg.add('a', 1); agg.add('b', 10); agg.add('a', 2);
      assert.deepEqual(take(), [
        { key: 'a', aggregates: { count: 1, sum: 1 } },
        { key: 'b', aggregates: { count: 1, sum: 10 } },
        { key: 'a', aggregates: { count: 2, sum: 3 } },
      ]);
      assert.equal(agg.size, 2);
    });

    it('uses count, sum, min, max, avg by default', () => {
      const { agg, take } = make({ emit: 'update' });
      agg.add('a', 3);
      assert.deepEqual(take(), [{ key: 'a', aggregates: { count: 1, sum: 3, min: 3, max: 3, avg: 3 } }]);
    });
  });

  describe('emit interval', () => {
    it('emits nothing on add and every changed key in key order (UTF-16) on flush', () => {
      const { agg, take } = make({ aggregates: ['count', 'sum'], emit: 'interval' });
      agg.add('b', 1); agg.add('a', 2); agg.add('B', 3); agg.add('b', 4);
      assert.deepEqual(take(), []);
      agg.flush();
      assert.deepEqual(take(), [
        { key: 'B', aggregates: { count: 1, sum: 3 } },
        { key: 'a', aggregates: { count: 1, sum: 2 } },
        { key: 'b', aggregates: { count: 2, sum: 5 } },
      ]);
    });

    it('emits only the keys changed since the last flush, with cumulative values', () => {
      const { agg, take } = make({ aggregates: ['count', 'sum'], emit: 'interval' });
      agg.add('a', 1); agg.add('b', 2);
      agg.flush(); take();
      agg.flush();
      assert.deepEqual(take(), [], 'nothing changed');
      agg.add('b', 5);
      agg.flush();
      assert.deepEqual(take(), [{ key: 'b', aggregates: { count: 2, sum: 7 } }]);
    });

    it('with resetAfterEmit, starts every flushed key afresh', () => {
      const { agg, take } = make({ aggregates: ['count', 'sum', 'min'], emit: 'interval', resetAfterEmit: true });
      agg.add('a', 5); agg.add('a', 1); agg.add('b', 2);
      agg.flush();
      assert.deepEqual(take(), [
        { key: 'a', aggregates: { count: 2, sum: 6, min: 1 } },
        { key: 'b', aggregates: { count: 1, sum: 2, min: 2 } },
      ]);
      agg.add('a', 7);
      agg.flush();
      assert.deepEqual(take(), [{ key: 'a', aggregates: { count: 1, sum: 7, min: 7 } }]);
      agg.flush();
      assert.deepEqual(take(), []);
    });
  });

  describe('ttl', () => {
    it('forgets a key idle for ttlMs or more (by the injected clock), counting from its last add', () => {
      const clock = { t: 0 };
      const { agg, take } = make({ aggregates: ['count'], emit: 'update', ttlMs: 100, now: () => clock.t });
      agg.add('a', 1);
      clock.t = 50; agg.add('b', 1);
      clock.t = 60; agg.add('a', 1);
      take();
      clock.t = 149; agg.expire();
      assert.equal(agg.size, 2, 'b idle 99 ms, a idle 89 ms');
      clock.t = 150; agg.expire();
      assert.equal(agg.size, 1, 'b idle exactly 100 ms is forgotten');
      clock.t = 160; agg.expire();
      assert.equal(agg.size, 0);
      agg.add('a', 1);
      assert.deepEqual(take(), [{ key: 'a', aggregates: { count: 1 } }], 'a forgotten key starts afresh');
    });

    it('keeps keys forever without ttlMs', () => {
      const clock = { t: 0 };
      const { agg } = make({ aggregates: ['count'], emit: 'update', now: () => clock.t });
      agg.add('a', 1);
      clock.t = 1e12; agg.expire();
      assert.equal(agg.size, 1);
    });
  });

  describe('reset', () => {
    it('reset(key) clears one key', () => {
      const { agg, take } = make({ aggregates: ['count'], emit: 'update' });
      agg.add('a', 1); agg.add('a', 1); agg.add('b', 1);
      agg.reset('a');
      assert.equal(agg.size, 1);
      take();
      agg.add('a', 1); agg.add('b', 1);
      assert.deepEqual(take(), [{ key: 'a', aggregates: { count: 1 } }, { key: 'b', aggregates: { count: 2 } }]);
    });

    it('reset() clears every key', () => {
      const { agg, take } = make({ aggregates: ['count'], emit: 'interval' });
      agg.add('a', 1); agg.add('b', 1);
      agg.reset();
      assert.equal(agg.size, 0);
      agg.flush();
      assert.deepEqual(take(), [], 'a reset key is not flushed');
      agg.add('b', 1);
      agg.flush();
      assert.deepEqual(take(), [{ key: 'b', aggregates: { count: 1 } }]);
    });
  });

  describe('aggregates', () => {
    it('computes every aggregate name', () => {
      const { agg, take } = make({ aggregates: ALL, emit: 'interval' });
      for (const v of [4, 7, 13, 16, 7]) agg.add('k', v);
      agg.flush();
      const [r] = take();
      // mean 9.4; deviations −5.4, −2.4, 3.6, 6.6, −2.4 → M2 = 29.16 + 5.76 + 12.96 + 43.56 + 5.76 = 97.2
      const want: Record<string, number> = {
        count: 5, sum: 47, min: 4, max: 16, avg: 9.4, first: 4, last: 7,
        varPop: 97.2 / 5, varSamp: 97.2 / 4, stddevPop: Math.sqrt(97.2 / 5), stddevSamp: Math.sqrt(97.2 / 4), distinct: 4,
      };
      assert.deepEqual(Object.keys(r.aggregates).sort(), Object.keys(want).sort());
      for (const [k, v] of Object.entries(want)) {
        assert.ok(Math.abs((r.aggregates[k] as number) - v) < 1e-9, `${k} = ${String(r.aggregates[k])}, want ${v}`);
      }
    });

    it('computes variance exactly on large offsets (Welford)', () => {
      const { agg, take } = make({ aggregates: ['varPop', 'varSamp'], emit: 'interval' });
      for (const d of [4, 7, 13, 16]) agg.add('k', 1e9 + d);
      agg.flush();
      const [r] = take();
      assert.ok(Math.abs((r.aggregates.varPop as number) - 22.5) < 1e-6, `varPop = ${String(r.aggregates.varPop)}`);
      assert.ok(Math.abs((r.aggregates.varSamp as number) - 30) < 1e-6, `varSamp = ${String(r.aggregates.varSamp)}`);
    });

    it('returns null where an aggregate is undefined (varSamp/stddevSamp of one value)', () => {
      const { agg, take } = make({ aggregates: ['varPop', 'varSamp', 'stddevPop', 'stddevSamp'], emit: 'update' });
      agg.add('k', 5);
      assert.deepEqual(take(), [{ key: 'k', aggregates: { varPop: 0, varSamp: null, stddevPop: 0, stddevSamp: null } }]);
    });

    it('takes first/last in arrival order and accepts any value for count/first/last/distinct', () => {
      const { agg, take } = make({ aggregates: ['count', 'first', 'last', 'distinct'], emit: 'interval' });
      for (const v of ['x', { a: 1 }, 'x', true]) agg.add('k', v);
      agg.flush();
      assert.deepEqual(take(), [{ key: 'k', aggregates: { count: 4, first: 'x', last: true, distinct: 3 } }]);
    });

    it('throws on a non-numeric value for a numeric aggregate and leaves the key unchanged', () => {
      const { agg, take } = make({ aggregates: ['count', 'sum'], emit: 'update' });
      agg.add('k', 2);
      take();
      for (const bad of ['abc', NaN, Infinity, null, undefined]) {
        assert.throws(() => agg.add('k', bad), `value ${String(bad)} must be refused`);
      }
      assert.deepEqual(take(), []);
      agg.add('k', 3);
      assert.deepEqual(take(), [{ key: 'k', aggregates: { count: 2, sum: 5 } }]);
    });
  });

  describe('snapshot', () => {
    it('restores (via JSON) and continues exactly, including pending interval keys', () => {
      const opts: KeyedAggregatorOptions = { aggregates: ALL, emit: 'interval' };
      const a = make(opts);
      const b = make(opts);
      for (const [k, v] of [['x', 1], ['y', 5], ['x', 1e9], ['y', 2]] as const) { a.agg.add(k, v); b.agg.add(k, v); }
      a.agg.flush();
      b.agg.flush();
      a.agg.add('x', 3); b.agg.add('x', 3);
      const c = make(opts);
      c.agg.restore(JSON.parse(JSON.stringify(b.agg.snapshot())));
      assert.equal(c.agg.size, a.agg.size);
      a.agg.add('z', 4); c.agg.add('z', 4);
      a.agg.flush(); c.agg.flush();
      const want = a.take().slice(2);
      assert.equal(want.length, 2);
      assert.deepEqual(c.take(), want);
    });
  });
});
