/** streamkit-session-window on a real Node-RED runtime. */
import assert from 'node:assert/strict';
import { buildFlow, eos, helper, rec, result, send, settle, start, windowSuite, type Conf, type Msg } from './util';

// Gap 1 s unless a test says otherwise.
const flow = (over: Conf = {}) => buildFlow('session', over);
const sessions = (msgs: Msg[]) => msgs.map((m) => [m.key, m.window.start, m.window.end, m.payload.count]);

describe('streamkit-session-window', function () {
  afterEach(() => helper.unload());

  windowSuite({
    kind: 'session',
    base: {},
    w1: { type: 'session', start: 100, end: 1300, firstTs: 100, lastTs: 300 },
    w2: { type: 'session', start: 5000, end: 6000, firstTs: 5000, lastTs: 5000 },
    otherWindow: { gap: 2 },
    invalid: [
      ['a zero gap', { gap: 0 }],
      ['a negative gap', { gap: -1 }],
      ['a missing gap', { gap: undefined }],
      ['a gap that is not a number', { gap: 'abc' }],
    ],
    processing: { gap: 200, gapUnits: 'ms' },
    processingLong: { gap: 1, gapUnits: 'min' },
  });

  describe('sessions', () => {
    it('emits a session as [first, last + gap) with msg.window.firstTs and lastTs', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('a', 600, 2), rec('a', 1500, 3));
      const out = await eos(r);
      assert.equal(out.length, 1);
      assert.deepEqual(out[0].window, { type: 'session', start: 100, end: 2500, firstTs: 100, lastTs: 1500 });
      assert.equal(out[0].timestamp, 2499);
      assert.deepEqual(out[0].payload, { count: 3, sum: 6, min: 1, max: 3, avg: 2 });
    });

    it('starts a new session for records exactly gap apart, and keeps records less than gap apart together', async () => {
      const r = await start(flow());
      send(r, rec('b', 100, 1), rec('a', 100, 1), rec('b', 1099, 2), rec('a', 1100, 2));
      const out = await eos(r);
      assert.deepEqual(sessions(out).sort(), [['a', 100, 1100, 1], ['a', 1100, 2100, 1], ['b', 100, 2099, 2]].sort());
    });

    it('fires a session once the watermark passes its end (last + gap - 1)', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('a', 1099, 2));
      await settle();
      assert.equal(r.out[0].msgs.length, 0);
      send(r, rec('b', 2099, 1)); // W = 2099 - 1 = 2098 = end - 1 of a's session
      const [m] = await r.out[0].wait(1);
      assert.deepEqual([m.key, m.window.start, m.window.end, m.watermark], ['a', 100, 2099, 2098]);
    });

    it('keeps sessions per key', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('b', 500, 1), rec('a', 900, 1), rec('b', 1800, 1));
      const out = await eos(r);
      // b's first session is released by b@1800 (W = 1799), the others by EOS, in end order.
      assert.deepEqual(sessions(out), [['b', 500, 1500, 1], ['a', 100, 1900, 2], ['b', 1800, 2800, 1]]);
    });

    it('merges two sessions bridged by an out-of-order record', async () => {
      const r = await start(flow({ maxOutOfOrderness: 5, maxOutOfOrdernessUnits: 's' }));
      send(r, rec('a', 100, 1), rec('a', 1900, 2), rec('a', 1000, 3));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.window, m.payload.count]), [
        [{ type: 'session', start: 100, end: 2900, firstTs: 100, lastTs: 1900 }, 3],
      ]);
    });

    it('extends a fired session within allowed lateness and fires it LATE with the full value', async () => {
      const r = await start(flow({ allowedLateness: 5, allowedLatenessUnits: 's' }));
      send(r, rec('a', 100, 1), rec('b', 5000, 9));
      const [onTime] = await r.out[0].wait(1);
      assert.deepEqual([onTime.window.start, onTime.window.end, onTime.timing], [100, 1100, 'ON_TIME']);
      send(r, rec('a', 500, 2));
      const [, late] = await r.out[0].wait(2);
      assert.deepEqual([late.key, late.window.start, late.window.end, late.timing, late.payload.count], ['a', 100, 1500, 'LATE', 2]);
      assert.equal(late.watermark, 4999);
    });

    it('sends a record whose session would end before the watermark minus lateness to the late output', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('a', 5000, 2));
      await r.out[0].wait(1);
      send(r, rec('a', 3000, 3, { marker: 'late' })); // [3000, 4000): 3999 <= W = 4999
      const [side] = await r.out[1].wait(1);
      assert.equal(side.marker, 'late');
      assert.deepEqual(side.late, { watermark: 4999, reason: 'late' });
      send(r, rec('a', 4500, 4)); // [4500, 5500) overlaps the open session [5000, 6000): merged, not late
      const out = await eos(r);
      assert.deepEqual(sessions(out), [['a', 100, 1100, 1], ['a', 4500, 6000, 2]]);
      assert.equal(r.out[1].msgs.length, 1);
    });
  });

  describe('emit on update and retractions', () => {
    it('emits an EARLY update of the growing session for every record', async () => {
      const r = await start(flow({ emit: 'update' }));
      send(r, rec('a', 100, 1), rec('a', 600, 2));
      const out = await r.out[0].wait(2);
      assert.deepEqual(out.map((m) => [m.window.start, m.window.end, m.timing, m.payload.count]), [
        [100, 1100, 'EARLY', 1], [100, 1600, 'EARLY', 2],
      ]);
      const all = await eos(r);
      assert.equal(all.length, 2, 'nothing more at EOS');
    });

    it('does not retract merged-away sessions without retractions', async () => {
      const r = await start(flow({ emit: 'update', maxOutOfOrderness: 5, maxOutOfOrdernessUnits: 's' }));
      send(r, rec('a', 100, 1), rec('a', 1900, 2), rec('a', 1000, 3));
      const out = await r.out[0].wait(3);
      await settle();
      assert.equal(r.out[0].msgs.length, 3);
      assert.deepEqual(out.map((m) => [m.retract === true, m.window.start, m.window.end, m.payload.count]), [
        [false, 100, 1100, 1], [false, 1900, 2900, 1], [false, 100, 2900, 3],
      ]);
    });

    it('retracts every merged-away session that was emitted before the merged result', async () => {
      const r = await start(flow({ emit: 'update', retractions: true, maxOutOfOrderness: 5, maxOutOfOrdernessUnits: 's' }));
      send(r, rec('a', 100, 1), rec('a', 1900, 2), rec('a', 1000, 3));
      const out = await r.out[0].wait(5);
      assert.deepEqual(out.map((m) => [m.retract === true, m.window.start, m.window.end, m.payload.sum]), [
        [false, 100, 1100, 1], [false, 1900, 2900, 2],
        [true, 100, 1100, 1], [true, 1900, 2900, 2], [false, 100, 2900, 6],
      ]);
      assert.deepEqual(result(out[2]), { key: 'a', start: 100, end: 1100, timing: 'EARLY', pane: 0, retract: true, payload: { count: 1, sum: 1, min: 1, max: 1, avg: 1 } });
    });

    it('retracts the previous value of a growing session before its update', async () => {
      const r = await start(flow({ emit: 'update', retractions: true }));
      send(r, rec('a', 100, 1), rec('a', 600, 2));
      const out = await r.out[0].wait(3);
      assert.deepEqual(out.map((m) => [m.retract === true, m.window.start, m.window.end, m.payload.count]), [
        [false, 100, 1100, 1], [true, 100, 1100, 1], [false, 100, 1600, 2],
      ]);
    });
  });
});
