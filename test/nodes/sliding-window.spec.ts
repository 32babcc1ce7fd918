/** streamkit-sliding-window on a real Node-RED runtime. */
import assert from 'node:assert/strict';
import { buildFlow, eos, helper, rec, result, send, settle, start, windowSuite, type Conf, type Msg } from './util';

// Size 1 s, slide 0.5 s unless a test says otherwise.
const flow = (over: Conf = {}) => buildFlow('sliding', over);
const spans = (msgs: Msg[]) => msgs.map((m) => [m.window.start, m.window.end, m.payload.count]);

describe('streamkit-sliding-window', function () {
  afterEach(() => helper.unload());

  windowSuite({
    kind: 'sliding',
    // With slide = size the records at 100..300 fall into exactly one window.
    base: { size: 1, slide: 1 },
    w1: { type: 'sliding', start: 0, end: 1000 },
    w2: { type: 'sliding', start: 5000, end: 6000 },
    otherWindow: { size: 0.5, slide: 0.5 },
    invalid: [
      ['a negative size', { size: -1 }],
      ['a zero slide', { slide: 0 }],
      ['a negative slide', { slide: -0.5 }],
      ['a slide that is not a number', { slide: 'x' }],
      ['a missing size', { size: undefined }],
    ],
    processing: { size: 200, sizeUnits: 'ms', slide: 200, slideUnits: 'ms' },
    processingLong: { size: 1, sizeUnits: 'min', slide: 1, slideUnits: 'min' },
  });

  describe('window assignment', () => {
    it('puts a record into every window that contains it (size / slide windows) and emits them by end', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('a', 700, 2), rec('a', 1200, 3));
      const out = await eos(r);
      assert.deepEqual(spans(out), [[-500, 500, 1], [0, 1000, 2], [500, 1500, 2], [1000, 2000, 1]]);
      assert.deepEqual(out.map((m) => m.window.type), ['sliding', 'sliding', 'sliding', 'sliding']);
      assert.deepEqual(out.map((m) => m.timestamp), [499, 999, 1499, 1999]);
      assert.deepEqual(out[2].payload, { count: 2, sum: 5, min: 2, max: 3, avg: 2.5 });
    });

    it('fires each window as soon as the watermark passes its end', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('a', 700, 2));
      const [first] = await r.out[0].wait(1);
      assert.deepEqual([first.window.start, first.window.end, first.payload.count, first.watermark], [-500, 500, 1, 699]);
      await settle();
      assert.equal(r.out[0].msgs.length, 1);
      send(r, rec('a', 1000, 3));
      const [, second] = await r.out[0].wait(2);
      assert.deepEqual([second.window.start, second.payload.count, second.timing], [0, 2, 'ON_TIME']);
    });

    it('handles a size that is not a multiple of the slide (3 or 4 windows per record)', async () => {
      const r = await start(flow({ size: 1000, sizeUnits: 'ms', slide: 300, slideUnits: 'ms' }));
      send(r, rec('a', 950, 1));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => m.window.start), [0, 300, 600, 900]);
      await helper.unload();
      const r2 = await start(flow({ size: 1000, sizeUnits: 'ms', slide: 300, slideUnits: 'ms' }));
      send(r2, rec('a', 150, 1));
      const out2 = await eos(r2);
      assert.deepEqual(out2.map((m) => m.window.start), [-600, -300, 0]);
    });

    it('shifts windows by an offset', async () => {
      const r = await start(flow({ offset: 100, offsetUnits: 'ms' }));
      send(r, rec('a', 100, 1));
      const out = await eos(r);
      assert.deepEqual(spans(out), [[-400, 600, 1], [100, 1100, 1]]);
    });

    it('ignores (without error or late output) a record in the gap between windows when slide > size', async () => {
      const r = await start(flow({ size: 0.5, slide: 1 }));
      send(r, rec('a', 200, 1), rec('a', 700, 2), rec('a', 1100, 3));
      const out = await eos(r);
      assert.deepEqual(spans(out), [[0, 500, 1], [1000, 1500, 1]]);
      assert.equal(r.out[1].msgs.length, 0);
      assert.equal(r.caught.msgs.length, 0);
    });

    it('sends a late record in the gap between windows to the late output', async () => {
      const r = await start(flow({ size: 0.5, slide: 1 }));
      send(r, rec('a', 200, 1), rec('a', 3000, 2), rec('a', 700, 3, { marker: 'gap' }));
      const [side] = await r.out[1].wait(1);
      assert.equal(side.marker, 'gap');
      assert.deepEqual(side.late, { watermark: 2999, reason: 'late' });
    });

    it('judges lateness per window: a record late for one window is still added to a later one, and not side-output', async () => {
      const r = await start(flow());
      send(r, rec('a', 100, 1), rec('a', 1200, 2)); // W = 1199: [-500,500) and [0,1000) fired and cleaned
      await r.out[0].wait(2);
      send(r, rec('a', 600, 3));
      const out = await eos(r);
      assert.deepEqual(spans(out), [[-500, 500, 1], [0, 1000, 1], [500, 1500, 2], [1000, 2000, 1]]);
      assert.equal(r.out[1].msgs.length, 0);
    });

    it('orders windows released together by end, then start, then key', async () => {
      const r = await start(flow());
      send(r, rec('c', 100, 1), rec('b', 700, 1), rec('a', 700, 1));
      const out = await eos(r);
      assert.deepEqual(out.map((m) => [m.window.start, m.key]), [
        [-500, 'c'], [0, 'a'], [0, 'b'], [0, 'c'], [500, 'a'], [500, 'b'],
      ]);
    });
  });

  describe('lateness, emit on update and retractions', () => {
    it('re-fires every window a record within allowed lateness lands in, LATE and in start order', async () => {
      const r = await start(flow({ allowedLateness: 3, allowedLatenessUnits: 's' }));
      send(r, rec('a', 700, 1), rec('a', 3000, 2)); // W = 2999: [0,1000) and [500,1500) fired ON_TIME
      await r.out[0].wait(2);
      send(r, rec('a', 800, 5));
      const out = await r.out[0].wait(4);
      assert.deepEqual(out.slice(2).map(result), [
        { key: 'a', start: 0, end: 1000, timing: 'LATE', pane: 1, payload: { count: 2, sum: 6, min: 1, max: 5, avg: 3 } },
        { key: 'a', start: 500, end: 1500, timing: 'LATE', pane: 1, payload: { count: 2, sum: 6, min: 1, max: 5, avg: 3 } },
      ]);
    });

    it('emits an EARLY update for each window a record lands in', async () => {
      const r = await start(flow({ emit: 'update' }));
      send(r, rec('a', 700, 1), rec('a', 800, 2));
      const out = await r.out[0].wait(4);
      assert.deepEqual(out.map((m) => [m.window.start, m.timing, m.pane, m.payload.count]), [
        [0, 'EARLY', 0, 1], [500, 'EARLY', 0, 1], [0, 'EARLY', 1, 2], [500, 'EARLY', 1, 2],
      ]);
      const all = await eos(r);
      assert.equal(all.length, 4);
    });

    it('retracts the previous result of each window before its update', async () => {
      const r = await start(flow({ emit: 'update', retractions: true }));
      send(r, rec('a', 700, 1), rec('a', 800, 2));
      const out = await r.out[0].wait(6);
      assert.deepEqual(out.map((m) => [m.window.start, m.retract === true, m.payload.count]), [
        [0, false, 1], [500, false, 1], [0, true, 1], [0, false, 2], [500, true, 1], [500, false, 2],
      ]);
    });
  });
});
