/** streamkit-aggregate on a real Node-RED runtime: keyed running aggregates without windows. */
import assert from 'node:assert/strict';
import {
  attach, buildFlow, errorText, errors, expectRefused, helper, isEosMsg, lastStatus, rec, send, settle, start, statuses,
  withConfig, withoutNode, EOS, type Conf, type Msg, type Running,
} from './util';

const flow = (over: Conf = {}) => buildFlow('aggregate', over);
const kv = (key: string, payload: unknown, extra: Conf = {}): Msg => rec(key, undefined, payload, extra);
const counts = (msgs: Msg[]) => msgs.filter((m) => !isEosMsg(m)).map((m) => [m.key, m.payload.count, m.payload.sum]);

/** Sends EOS; resolves with the results before the forwarded EOS. */
async function eos(r: Running): Promise<Msg[]> {
  const n = r.out[0].msgs.filter(isEosMsg).length;
  send(r, EOS());
  await r.out[0].waitWhere(isEosMsg, n + 1);
  const i = r.out[0].msgs.findIndex((m, j) => isEosMsg(m) && r.out[0].msgs.slice(0, j + 1).filter(isEosMsg).length === n + 1);
  return r.out[0].msgs.slice(0, i).filter((m) => !isEosMsg(m));
}

describe('streamkit-aggregate', function () {
  afterEach(() => helper.unload());

  describe('emit on update', () => {
    it('emits the running aggregates of the key on every record as msg.payload, with key, topic and timestamp', async () => {
      const r = await start(flow());
      const t0 = Date.now();
      send(r, kv('a', 1), kv('a', 2), kv('a', 6));
      const out = await r.out[0].wait(3);
      assert.deepEqual(out.map((m) => m.payload), [
        { count: 1, sum: 1, min: 1, max: 1, avg: 1 },
        { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 },
        { count: 3, sum: 9, min: 1, max: 6, avg: 3 },
      ]);
      for (const m of out) {
        assert.equal(m.key, 'a');
        assert.equal(m.topic, 'a');
        assert.ok(typeof m.timestamp === 'number' && m.timestamp >= t0 && m.timestamp <= Date.now());
        assert.ok(!('window' in m));
      }
    });

    it('keeps keys apart', async () => {
      const r = await start(flow());
      send(r, kv('a', 1), kv('b', 10), kv('a', 2), kv('b', 20));
      const out = await r.out[0].wait(4);
      assert.deepEqual(counts(out), [['a', 1, 1], ['b', 1, 10], ['a', 2, 3], ['b', 2, 30]]);
    });

    it('computes every aggregate (first/last in arrival order)', async () => {
      const all = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'varPop', 'varSamp', 'stddevPop', 'stddevSamp', 'distinct'];
      const r = await start(flow({ aggregates: all }));
      for (const v of [2, 4, 4, 4, 5, 5, 7, 9]) send(r, kv('a', v));
      const out = await r.out[0].wait(8);
      const p = out[7].payload;
      assert.deepEqual(Object.keys(p).sort(), [...all].sort());
      assert.deepEqual([p.count, p.sum, p.min, p.max, p.avg, p.first, p.last, p.distinct], [8, 40, 2, 9, 5, 2, 9, 5]);
      assert.ok(Math.abs(p.varPop - 4) < 1e-12);
      assert.ok(Math.abs(p.varSamp - 32 / 7) < 1e-12);
      assert.ok(Math.abs(p.stddevPop - 2) < 1e-12);
      assert.ok(Math.abs(p.stddevSamp - Math.sqrt(32 / 7)) < 1e-12);
      assert.deepEqual([out[0].payload.varSamp, out[0].payload.stddevSamp, out[0].payload.varPop], [null, null, 0]);
    });

    it('emits only the configured aggregates, and accepts non-numeric values for count/first/last/distinct', async () => {
      const r = await start(flow({ aggregates: ['count', 'distinct', 'last'] }));
      send(r, kv('a', 'x'), kv('a', 'y'), kv('a', 'x'));
      const out = await r.out[0].wait(3);
      assert.deepEqual(out[2].payload, { count: 3, distinct: 2, last: 'x' });
      assert.equal(r.caught.msgs.length, 0);
    });

    it('falls back to msg.topic for the key', async () => {
      const r = await start(flow());
      send(r, { payload: 1, topic: 't' } as Msg, { payload: 2, key: '', topic: 't' } as Msg);
      const out = await r.out[0].wait(2);
      assert.deepEqual(counts(out), [['t', 1, 1], ['t', 2, 3]]);
    });

    it('reads value and key from other msg properties', async () => {
      const r = await start(flow({ valueProp: 'payload.temp', keyProp: 'payload.room' }));
      send(r, { payload: { temp: 20, room: 'kitchen' }, key: 'x' } as Msg, { payload: { temp: 22, room: 'kitchen' } } as Msg);
      const out = await r.out[0].wait(2);
      assert.deepEqual(counts(out), [['kitchen', 1, 20], ['kitchen', 2, 42]]);
    });

    it('reads value and key from JSONata expressions, in order', async () => {
      const r = await start(flow({ valueProp: 'payload.t * 2', valuePropType: 'jsonata', keyProp: '$lowercase(payload.room)', keyPropType: 'jsonata' }));
      for (let i = 1; i <= 20; i++) send(r, { payload: { t: i, room: i % 2 ? 'A' : 'B' } } as Msg);
      const out = await r.out[0].wait(20);
      assert.deepEqual(counts(out).slice(0, 4), [['a', 1, 2], ['b', 1, 4], ['a', 2, 8], ['b', 2, 12]]);
      assert.deepEqual(counts(out)[19], ['b', 10, 220]);
    });

    it('processes a batch (msg.payload = array of records)', async () => {
      const r = await start(flow());
      send(r, { payload: [{ payload: 1, key: 'a' }, { payload: 2, key: 'b' }, { payload: 3, key: 'a' }] } as Msg);
      send(r, { payload: [4, 5], key: 'b' } as Msg);
      const out = await r.out[0].wait(5);
      assert.deepEqual(counts(out), [['a', 1, 1], ['b', 1, 2], ['a', 2, 4], ['b', 2, 6], ['b', 3, 11]]);
    });

    it('forwards EOS (msg.control = {type: "eos"})', async () => {
      const r = await start(flow());
      send(r, kv('a', 1));
      const out = await eos(r);
      assert.equal(out.length, 1);
      const last = r.out[0].msgs[r.out[0].msgs.length - 1];
      assert.deepEqual(last.control, { type: 'eos' });
    });

    it('completes (done) every message: records, reset and EOS', async () => {
      const r = await start(flow());
      const msgs = [kv('a', 1), { reset: true } as Msg, kv('a', 2), EOS()];
      send(r, ...msgs);
      const done = await r.completed.wait(4);
      assert.deepEqual(done.map((m) => m._msgid).sort(), msgs.map((m) => m._msgid).sort());
    });

    it('shows a green status with a non-empty text', async () => {
      const r = await start(flow());
      send(r, kv('a', 1));
      await r.out[0].wait(1);
      const s = lastStatus(r.node);
      assert.equal(s?.fill, 'green');
      assert.ok(s?.text && s.text.length > 0);
    });
  });

  describe('emit every interval', () => {
    it('emits each key that changed since the last interval, in key order, and nothing for unchanged keys', async () => {
      const r = await start(flow({ emit: 'interval', interval: 300, intervalUnits: 'ms' }));
      send(r, kv('b', 1), kv('a', 1), kv('a', 2));
      await settle(20);
      assert.equal(r.out[0].msgs.length, 0, 'nothing on update');
      const first = await r.out[0].wait(2, 2000);
      assert.deepEqual(counts(first), [['a', 2, 3], ['b', 1, 1]]);
      send(r, kv('a', 4));
      const [, , second] = await r.out[0].wait(3, 2000);
      assert.deepEqual(counts([second]), [['a', 3, 7]], 'cumulative without resetAfterEmit');
      await settle(700);
      assert.equal(r.out[0].msgs.length, 3, 'nothing while no key changes');
    });

    it('clears each key after it was emitted with resetAfterEmit (per-interval statistics)', async () => {
      const r = await start(flow({ emit: 'interval', interval: 0.15, intervalUnits: 's', resetAfterEmit: true }));
      send(r, kv('a', 1), kv('a', 2));
      const [first] = await r.out[0].wait(1, 1000);
      assert.deepEqual(first.payload, { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 });
      send(r, kv('a', 10));
      const [, second] = await r.out[0].wait(2, 1000);
      assert.deepEqual(second.payload, { count: 1, sum: 10, min: 10, max: 10, avg: 10 });
    });

    it('flushes pending keys on EOS before forwarding it', async () => {
      const r = await start(flow({ emit: 'interval', interval: 1, intervalUnits: 'min' }));
      send(r, kv('a', 1), kv('b', 2));
      const out = await eos(r);
      assert.deepEqual(counts(out), [['a', 1, 1], ['b', 1, 2]]);
    });

    it('flushes pending keys when the node is removed', async () => {
      const tf = flow({ emit: 'interval', interval: 1, intervalUnits: 'min' });
      const r = await start(tf);
      send(r, kv('a', 1), kv('a', 2));
      await settle();
      await helper.setFlows(withoutNode(tf) as never, 'nodes');
      const out = await r.out[0].wait(1);
      assert.deepEqual(counts(out), [['a', 2, 3]]);
    });
  });

  describe('ttl', () => {
    it('forgets a key that received nothing for the ttl', async () => {
      const r = await start(flow({ ttl: 0.2, ttlUnits: 's' }));
      send(r, kv('a', 1), kv('a', 2));
      await r.out[0].wait(2);
      await settle(500);
      send(r, kv('a', 5));
      const [, , m] = await r.out[0].wait(3);
      assert.deepEqual(m.payload, { count: 1, sum: 5, min: 5, max: 5, avg: 5 });
    });

    it('keeps a key that keeps receiving records within the ttl', async () => {
      const r = await start(flow({ ttl: 1000, ttlUnits: 'ms' }));
      for (let i = 0; i < 6; i++) {
        send(r, kv('a', 1));
        await settle(100);
      }
      const out = await r.out[0].wait(6);
      assert.equal(out[5].payload.count, 6);
    });

    it('keeps keys forever without a ttl', async () => {
      const r = await start(flow({ ttl: 0 }));
      send(r, kv('a', 1));
      await settle(300);
      send(r, kv('a', 1));
      const [, m] = await r.out[0].wait(2);
      assert.equal(m.payload.count, 2);
    });
  });

  describe('reset', () => {
    it('clears only the key of a msg.reset that has a key (or topic)', async () => {
      const r = await start(flow());
      send(r, kv('a', 1), kv('a', 2), kv('b', 5));
      send(r, { reset: true, key: 'a' } as Msg);
      send(r, kv('a', 10), kv('b', 6));
      const out = await r.out[0].wait(5);
      assert.deepEqual(counts(out).slice(3), [['a', 1, 10], ['b', 2, 11]]);
      await helper.unload();
      const r2 = await start(flow());
      send(r2, kv('a', 1), kv('b', 5), { reset: true, topic: 'b' } as Msg, kv('a', 1), kv('b', 5));
      const out2 = await r2.out[0].wait(4);
      assert.deepEqual(counts(out2).slice(2), [['a', 2, 2], ['b', 1, 5]]);
    });

    it('clears every key on a msg.reset without key or topic, without emitting anything', async () => {
      const r = await start(flow());
      send(r, kv('a', 1), kv('b', 5), { reset: true } as Msg);
      await settle();
      assert.equal(r.out[0].msgs.length, 2);
      send(r, kv('a', 1), kv('b', 5));
      const out = await r.out[0].wait(4);
      assert.deepEqual(counts(out).slice(2), [['a', 1, 1], ['b', 1, 5]]);
    });

    it('clears pending keys in interval mode on msg.reset', async () => {
      const r = await start(flow({ emit: 'interval', interval: 1, intervalUnits: 'min' }));
      send(r, kv('a', 1), { reset: true } as Msg);
      const out = await eos(r);
      assert.deepEqual(out, []);
    });
  });

  describe('bad input', () => {
    for (const [what, bad] of [
      ['a non-numeric value', kv('a', 'abc', { marker: 'bad' })],
      ['a missing value', { key: 'a', marker: 'bad' } as Msg],
      ['a missing key', { payload: 1, marker: 'bad' } as Msg],
    ] as [string, Msg][]) {
      it(`reports ${what} with the original msg (Catch), turns the status red, and keeps working`, async () => {
        const r = await start(flow());
        send(r, kv('a', 1), bad, kv('a', 2));
        const [c] = await r.caught.wait(1);
        assert.equal(c.marker, 'bad');
        assert.equal(c._msgid, bad._msgid);
        assert.ok(errorText(c.error).length > 0);
        assert.equal(errors(r.node)[0]?.msg, bad);
        const out = await r.out[0].wait(2);
        assert.deepEqual(counts(out), [['a', 1, 1], ['a', 2, 3]]);
        const s = statuses(r.node).find((x) => x.fill === 'red');
        assert.ok(s, 'a red status');
        assert.equal(s.shape, 'ring');
        assert.ok(s.text && s.text.length > 0);
      });
    }
  });

  describe('bad input (JSONata)', () => {
    it('reports a JSONata value that fails on a message with the original msg, turns the status red, and keeps working', async () => {
      const r = await start(flow({ valueProp: '$number(payload)', valuePropType: 'jsonata' }));
      const bad = kv('a', 'abc', { marker: 'bad' });
      send(r, kv('a', '1'), bad, kv('a', '2'));
      const [c] = await r.caught.wait(1);
      assert.equal(c.marker, 'bad');
      assert.equal(c._msgid, bad._msgid);
      const out = await r.out[0].wait(2);
      assert.deepEqual(counts(out), [['a', 1, 1], ['a', 2, 3]]);
      assert.ok(statuses(r.node).some((x) => x.fill === 'red'), 'a red status was shown');
    });

    it('emits the results of the records of a batch before one that fails in JSONata', async () => {
      const r = await start(flow({ valueProp: '$number(payload)', valuePropType: 'jsonata' }));
      send(r, { payload: [{ payload: '1', key: 'a' }, { payload: 'abc', key: 'a' }] } as Msg);
      await r.caught.wait(1);
      const [m] = await r.out[0].wait(1, 500);
      assert.equal(m.payload.count, 1);
    });
  });

  describe('redeploy', () => {
    it('resumes the running aggregates after a full redeploy with the same configuration', async () => {
      const tf = flow();
      let r = await start(tf);
      send(r, kv('a', 1), kv('a', 2));
      await r.out[0].wait(2);
      await helper.setFlows(tf.flow as never, 'full');
      r = attach(tf);
      send(r, kv('a', 3));
      const [m] = await r.out[0].wait(1);
      assert.deepEqual(m.payload, { count: 3, sum: 6, min: 1, max: 3, avg: 2 });
    });

    it('keeps keys pending in interval mode across a redeploy', async () => {
      const tf = flow({ emit: 'interval', interval: 1, intervalUnits: 'min' });
      let r = await start(tf);
      send(r, kv('a', 1), kv('a', 2));
      await settle();
      await helper.setFlows(withConfig(tf, { name: 'renamed' }).flow as never, 'nodes');
      r = attach(tf);
      const out = await eos(r);
      assert.deepEqual(counts(out), [['a', 2, 3]]);
    });

    it('does not take over the state when the aggregates changed', async () => {
      const tf = flow();
      let r = await start(tf);
      send(r, kv('a', 1), kv('a', 2));
      await r.out[0].wait(2);
      const tf2 = withConfig(tf, { aggregates: ['count', 'sum'] });
      await helper.setFlows(tf2.flow as never, 'nodes');
      r = attach(tf2);
      send(r, kv('a', 3));
      const [m] = await r.out[0].wait(1);
      assert.deepEqual(m.payload, { count: 1, sum: 3 });
    });

    it('does not take over the state when the key property changed', async () => {
      const tf = flow();
      let r = await start(tf);
      send(r, kv('a', 1));
      await r.out[0].wait(1);
      const tf2 = withConfig(tf, { keyProp: 'topic' });
      await helper.setFlows(tf2.flow as never, 'nodes');
      r = attach(tf2);
      send(r, { payload: 3, topic: 'a' } as Msg);
      const [m] = await r.out[0].wait(1);
      assert.equal(m.payload.count, 1);
    });
  });

  describe('invalid configuration', () => {
    const cases: [string, Conf][] = [
      ['an unknown aggregate', { aggregates: ['median'] }],
      ['no aggregates', { aggregates: [] }],
      ['an interval of zero in interval mode', { emit: 'interval', interval: 0 }],
      ['a negative interval in interval mode', { emit: 'interval', interval: -1 }],
      ['an interval that is not a number', { emit: 'interval', interval: 'soon' }],
      ['an unknown emit mode', { emit: 'sometimes' }],
      ['a negative ttl', { ttl: -1 }],
      ['a ttl with an unknown unit', { ttl: 1, ttlUnits: 'fortnights' }],
      ['a bad JSONata value expression', { valueProp: 'payload +', valuePropType: 'jsonata' }],
      ['a bad JSONata key expression', { keyProp: '(', keyPropType: 'jsonata' }],
      ['an invalid msg path', { valueProp: 'payload..x' }],
    ];
    for (const [what, config] of cases) {
      it(`refuses ${what}: error at start, red status, a clear error for every message, no crash`, async () => {
        await expectRefused(await start(flow(config)));
      });
    }
  });
});
