/** streamkit-tumbling-window on a real Node-RED runtime. */
import assert from 'node:assert/strict';
import {
  buildFlow, eos, helper, rec, send, settle, start, windowSuite, result, type Conf,
} from './util';

const flow = (over: Conf = {}) => buildFlow('tumbling', over);

describe('streamkit-tumbling-window', function () {
  afterEach(() => helper.unload());

  windowSuite({
    kind: 'tumbling',
    base: {},
    w1: { type: 'tumbling', start: 0, end: 1000 },
    w2: { type: 'tumbling', start: 5000, end: 6000 },
    otherWindow: { size: 2 },
    invalid: [
      ['a negative size', { size: -5 }],
      ['a zero size', { size: 0 }],
      ['a size that is not a number', { size: 'abc' }],
      ['a size below one millisecond', { size: 0.0001 }],
      ['an offset not smaller than the size', { offset: 1 }],
    ],
    processing: { size: 200, sizeUnits: 'ms' },
    processingLong: { size: 1, sizeUnits: 'min' },
  });

  describe('defaults', () => {
    it('uses count, sum, min, max and avg when the config has no aggregates (flows saved without the field)', async () => {
      const r = await start(flow({ aggregates: undefined }));
      send(r, rec('a', 100, 1), rec('a', 200, 3));
      const [m] = await eos(r);
      assert.deepEqual(m.payload, { count: 2, sum: 4, min: 1, max: 3, avg: 2 });
    });

    it('drops records after EOS too with lateOutput drop', async () => {
      const r = await start(flow({ lateOutput: 'drop' }));
      send(r, rec('a', 100, 1));
      await eos(r);
      send(r, rec('a', 200, 2));
      await settle();
      assert.equal(r.out[0].msgs.length, 2);
      assert.equal(r.caught.msgs.length, 0);
    });
  });

  describe('window assignment', () => {
    it('aligns windows to the epoch in the size unit (1 min windows of ISO timestamps)', async () => {
      const r = await start(flow({ size: 1, sizeUnits: 'min' }));
      const base = Date.parse('2024-01-01T00:00:00Z');
      send(r, rec('a', '2024-01-01T00:00:30Z', 1), rec('a', '2024-01-01T00:00:59.999Z', 2), rec('a', '2024-01-01T00:01:00Z', 3));
      const out = await eos(r);
      assert.deepEqual(out.map(result), [
        { key: 'a', start: base, end: base + 60000, timing: 'ON_TIME', pane: 0, payload: { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 } },
        { key: 'a', start: base + 60000, end: base + 120000, timing: 'ON_TIME', pane: 0, payload: { count: 1, sum: 3, min: 3, max: 3, avg: 3 } },
      ]);
    });

    it('puts end - 1 and end into different windows (half-open [start, end))', async () => {
      const r = await start(flow());
      send(r, rec('a', 999, 1), rec('a', 1000, 2));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.window.start, m.window.end, m.payload.sum, m.timestamp]), [[0, 1000, 1, 999], [1000, 2000, 2, 1999]]);
    });

    it('shifts windows by a positive offset', async () => {
      const r = await start(flow({ offset: 250, offsetUnits: 'ms' }));
      send(r, rec('a', 100, 1), rec('a', 250, 2), rec('a', 1249, 3));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.window.start, m.window.end, m.payload.sum]), [[-750, 250, 1], [250, 1250, 5]]);
    });

    it('shifts windows by a negative offset', async () => {
      const r = await start(flow({ offset: -0.25, offsetUnits: 's' }));
      send(r, rec('a', 100, 1), rec('a', 750, 2));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.window.start, m.window.end, m.payload.sum]), [[-250, 750, 1], [750, 1750, 2]]);
    });

    it('assigns negative timestamps with floor semantics', async () => {
      const r = await start(flow());
      send(r, rec('a', -1500, 1), rec('a', -1, 2));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.window.start, m.window.end]), [[-2000, -1000], [-1000, 0]]);
    });
  });

  describe('watermark and lateness', () => {
    it('waits max out-of-orderness (B) before firing, and accepts records up to B behind the newest', async () => {
      const r = await start(flow({ maxOutOfOrderness: 500, maxOutOfOrdernessUnits: 'ms' }));
      send(r, rec('a', 100, 1), rec('a', 1400, 2), rec('a', 900, 3));
      await settle();
      assert.equal(r.out[0].msgs.length, 0, 'W = 1400 - 500 - 1 = 899 < 999');
      assert.equal(r.out[1].msgs.length, 0, 't = 900 > W is not late');
      send(r, rec('a', 1500, 4));
      const [m] = await r.out[0].wait(1);
      assert.deepEqual(result(m), { key: 'a', start: 0, end: 1000, timing: 'ON_TIME', pane: 0, payload: { count: 2, sum: 4, min: 1, max: 3, avg: 2 } });
      assert.equal(m.watermark, 999);
    });

    it('re-fires a window LATE with the full value for a record within allowed lateness (L), then sends later records to the late output', async () => {
      const r = await start(flow({ allowedLateness: 1, allowedLatenessUnits: 's' }));
      send(r, rec('a', 100, 1), rec('a', 1500, 5));
      const [onTime] = await r.out[0].wait(1);
      assert.deepEqual(result(onTime), { key: 'a', start: 0, end: 1000, timing: 'ON_TIME', pane: 0, payload: { count: 1, sum: 1, min: 1, max: 1, avg: 1 } });
      send(r, rec('a', 200, 2));
      const [, late] = await r.out[0].wait(2);
      assert.deepEqual(result(late), { key: 'a', start: 0, end: 1000, timing: 'LATE', pane: 1, payload: { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 } });
      assert.equal(late.watermark, 1499);
      assert.equal(late.timestamp, 999);
      send(r, rec('a', 2500, 7)); // W = 2499: [1000, 2000) fires, [0, 1000) is cleaned up (999 + 1000 <= 2499)
      const [, , next] = await r.out[0].wait(3);
      assert.deepEqual([next.window.start, next.timing, next.payload.count], [1000, 'ON_TIME', 1]);
      const msg = rec('a', 300, 3, { marker: 'too-late' });
      send(r, msg);
      const [side] = await r.out[1].wait(1);
      assert.equal(side.marker, 'too-late');
      assert.deepEqual(side.late, { watermark: 2499, reason: 'late' });
      const out = await eos(r);
      assert.equal(out.length, 4);
      assert.equal(r.out[1].msgs.length, 1);
    });

    it('combines B and L: lateness is judged against W = maxTs - B - 1', async () => {
      const r = await start(flow({ maxOutOfOrderness: 500, maxOutOfOrdernessUnits: 'ms', allowedLateness: 500, allowedLatenessUnits: 'ms' }));
      send(r, rec('a', 100, 1), rec('a', 1500, 2)); // W = 999: [0,1000) fires
      await r.out[0].wait(1);
      send(r, rec('a', 200, 3)); // 999 + 500 > 999: LATE firing
      const [, late] = await r.out[0].wait(2);
      assert.equal(late.timing, 'LATE');
      assert.equal(late.payload.count, 2);
      send(r, rec('a', 2000, 4), rec('a', 300, 5)); // W = 1499 >= 999 + 500: window gone, 300 + 500 <= 1499: late output
      const [side] = await r.out[1].wait(1);
      assert.equal(side.payload, 5);
      assert.equal(side.late.watermark, 1499);
    });

    it('drops records after allowed lateness with lateOutput drop, and still re-fires within it', async () => {
      const tf = flow({ allowedLateness: 1, allowedLatenessUnits: 's', lateOutput: 'drop' });
      assert.equal(tf.out.length, 1);
      const r = await start(tf);
      send(r, rec('a', 100, 1), rec('a', 1500, 5), rec('a', 200, 2), rec('a', 2500, 7), rec('a', 300, 3));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.window.start, m.timing, m.payload.count]), [
        [0, 'ON_TIME', 1], [0, 'LATE', 2], [1000, 'ON_TIME', 1], [2000, 'ON_TIME', 1],
      ]);
    });
  });

  describe('emit on update', () => {
    it('emits an EARLY result for every record, nothing at close, and LATE results within allowed lateness', async () => {
      const r = await start(flow({ emit: 'update', allowedLateness: 1, allowedLatenessUnits: 's' }));
      send(r, rec('a', 100, 1), rec('a', 200, 2));
      const early = await r.out[0].wait(2);
      assert.deepEqual(early.map(result), [
        { key: 'a', start: 0, end: 1000, timing: 'EARLY', pane: 0, payload: { count: 1, sum: 1, min: 1, max: 1, avg: 1 } },
        { key: 'a', start: 0, end: 1000, timing: 'EARLY', pane: 1, payload: { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 } },
      ]);
      assert.equal(early[0].timestamp, 999);
      send(r, rec('a', 1500, 5)); // closes [0, 1000) silently, EARLY for [1000, 2000)
      const [, , e3] = await r.out[0].wait(3);
      assert.deepEqual([e3.window.start, e3.timing, e3.pane], [1000, 'EARLY', 0]);
      send(r, rec('a', 300, 3));
      const [, , , late] = await r.out[0].wait(4);
      assert.deepEqual(result(late), { key: 'a', start: 0, end: 1000, timing: 'LATE', pane: 2, payload: { count: 3, sum: 6, min: 1, max: 3, avg: 2 } });
      const out = await eos(r);
      assert.equal(out.length, 4, 'nothing more at EOS');
    });
  });

  describe('retractions', () => {
    it('retracts the previous result (msg.retract = true, previous aggregates) before each update', async () => {
      const r = await start(flow({ emit: 'update', retractions: true }));
      send(r, rec('a', 100, 1), rec('a', 200, 2), rec('a', 300, 3));
      const out = await r.out[0].wait(5);
      assert.deepEqual(out.map((m) => [m.retract === true, m.pane, m.payload.count, m.window.start, m.key]), [
        [false, 0, 1, 0, 'a'],
        [true, 0, 1, 0, 'a'],
        [false, 1, 2, 0, 'a'],
        [true, 1, 2, 0, 'a'],
        [false, 2, 3, 0, 'a'],
      ]);
      assert.equal(out[1].timestamp, 999);
      assert.equal(out[1].topic, 'a');
    });

    it('retracts the ON_TIME result before a LATE firing', async () => {
      const r = await start(flow({ retractions: true, allowedLateness: 1, allowedLatenessUnits: 's' }));
      send(r, rec('a', 100, 1), rec('a', 1500, 5), rec('a', 200, 2));
      const out = await r.out[0].wait(3);
      assert.deepEqual(out.map((m) => [m.retract === true, m.timing, m.payload.count]), [
        [false, 'ON_TIME', 1], [true, 'ON_TIME', 1], [false, 'LATE', 2],
      ]);
    });

    it('retracts the result as it was emitted, even after a later node changed that message', async () => {
      const r = await start(flow({ emit: 'update', retractions: true }));
      send(r, rec('a', 100, 1));
      const [first] = await r.out[0].wait(1);
      first.payload.count = 99;
      first.window.start = -1;
      send(r, rec('a', 200, 2));
      const out = await r.out[0].wait(3);
      assert.deepEqual(out.slice(1).map((m) => [m.retract === true, m.payload.count, m.window.start]), [[true, 1, 0], [false, 2, 0]]);
    });

    it('emits no retraction for a window emitted only once', async () => {
      const r = await start(flow({ retractions: true }));
      send(r, rec('a', 100, 1), rec('a', 200, 2));
      const out = await eos(r);
      assert.equal(out.length, 1);
      assert.ok(!('retract' in out[0]));
    });
  });
});
