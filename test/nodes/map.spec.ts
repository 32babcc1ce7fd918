/** streamkit-map on a real Node-RED runtime: JSONata results into a property, flat-map, errors, bad config. */
import assert from 'node:assert/strict';
import {
  buildFlow, errorText, expectRefused, helper, lastStatus, settle, start, statuses, type Conf, type Msg,
} from './util';

describe('streamkit-map', function () {
  afterEach(() => helper.unload());

  it('sets msg.payload to the expression result and keeps the other properties', async () => {
    const r = await start(buildFlow('map', { expression: 'payload.temp * 2' }));
    r.node.receive({ payload: { temp: 21 }, topic: 'room', other: [1] } as Msg);
    const [out] = await r.out[0].wait(1);
    assert.equal(out.payload, 42);
    assert.equal(out.topic, 'room');
    assert.deepEqual(out.other, [1]);
  });

  it('sets a property other than payload, creating the path, and leaves payload unchanged', async () => {
    const r = await start(buildFlow('map', { property: 'result.label', expression: '$uppercase(topic) & "-" & payload' }));
    r.node.receive({ payload: 7, topic: 'abc' } as Msg);
    const [out] = await r.out[0].wait(1);
    assert.deepEqual(out.result, { label: 'ABC-7' });
    assert.equal(out.payload, 7);
  });

  it('accepts a property written with the msg. prefix', async () => {
    const r = await start(buildFlow('map', { property: 'msg.value', expression: 'payload + 1' }));
    r.node.receive({ payload: 1 } as Msg);
    const [out] = await r.out[0].wait(1);
    assert.equal(out.value, 2);
    assert.equal(out.payload, 1);
  });

  it('sends an array result as one message when flat-map is off', async () => {
    const r = await start(buildFlow('map', { expression: 'payload.items', flatMap: false }));
    r.node.receive({ payload: { items: [1, 2, 3] } } as Msg);
    await r.out[0].wait(1);
    await settle();
    assert.equal(r.out[0].msgs.length, 1);
    assert.deepEqual(r.out[0].msgs[0].payload, [1, 2, 3]);
  });

  it('turns an array result into one message per element, in order, with flat-map on', async () => {
    const r = await start(buildFlow('map', { expression: 'payload.items', flatMap: true }));
    r.node.receive({ payload: { items: [{ v: 1 }, { v: 2 }, { v: 3 }] }, topic: 't', meta: { n: 1 } } as Msg);
    const out = await r.out[0].wait(3);
    await settle();
    assert.equal(r.out[0].msgs.length, 3);
    assert.deepEqual(out.map((m) => m.payload), [{ v: 1 }, { v: 2 }, { v: 3 }]);
    assert.deepEqual(out.map((m) => m.topic), ['t', 't', 't']);
    // Each element is its own message: changing one does not change the others.
    assert.notEqual(out[0], out[1]);
    assert.notEqual(out[0].meta, out[1].meta);
    out[0].meta.n = 99;
    assert.equal(out[1].meta.n, 1);
    assert.equal(out[2].meta.n, 1);
  });

  it('flat-maps into a property other than payload', async () => {
    const r = await start(buildFlow('map', { property: 'item', expression: 'payload', flatMap: true }));
    r.node.receive({ payload: ['a', 'b'] } as Msg);
    const out = await r.out[0].wait(2);
    assert.deepEqual(out.map((m) => m.item), ['a', 'b']);
    assert.deepEqual(out.map((m) => m.payload), [['a', 'b'], ['a', 'b']]);
  });

  it('sends nothing for an empty array with flat-map on, and goes on with the next message', async () => {
    const r = await start(buildFlow('map', { expression: 'payload', flatMap: true }));
    r.node.receive({ payload: [], marker: 'empty' } as Msg);
    r.node.receive({ payload: [5], marker: 'one' } as Msg);
    const [out] = await r.out[0].wait(1);
    await settle();
    assert.equal(r.out[0].msgs.length, 1);
    assert.equal(out.marker, 'one');
    assert.equal(out.payload, 5);
    assert.equal(r.caught.msgs.length, 0);
  });

  it('sends a non-array result as a single message with flat-map on', async () => {
    const r = await start(buildFlow('map', { expression: 'payload.n', flatMap: true }));
    r.node.receive({ payload: { n: 'x' } } as Msg);
    r.node.receive({ payload: { n: { a: 1 } } } as Msg);
    const out = await r.out[0].wait(2);
    assert.deepEqual(out.map((m) => m.payload), ['x', { a: 1 }]);
  });

  it('still sends the message when the expression yields nothing', async () => {
    const r = await start(buildFlow('map', { expression: 'payload.missing' }));
    r.node.receive({ payload: { a: 1 }, marker: 'm' } as Msg);
    const [out] = await r.out[0].wait(1);
    assert.equal(out.marker, 'm');
    assert.equal(out.payload, undefined);
  });

  it('keeps the order of messages across asynchronous evaluations', async () => {
    const r = await start(buildFlow('map', { expression: 'payload * 10' }));
    for (let i = 0; i < 300; i++) r.node.receive({ payload: i } as Msg);
    const out = await r.out[0].wait(300);
    assert.deepEqual(out.map((m) => m.payload), Array.from({ length: 300 }, (_, i) => i * 10));
  });

  it('reports an expression that fails on a message with the original message, shows red, and keeps working', async () => {
    const r = await start(buildFlow('map', { expression: '$number(payload) + 1' }));
    r.node.receive({ payload: 'abc', marker: 'bad' } as Msg);
    r.node.receive({ payload: '41', marker: 'good' } as Msg);
    const [caught] = await r.caught.wait(1);
    assert.equal(caught.marker, 'bad');
    assert.equal(caught.payload, 'abc');
    assert.ok(errorText(caught.error).length > 0);
    const [out] = await r.out[0].wait(1);
    assert.equal(out.marker, 'good');
    assert.equal(out.payload, 42);
    await settle();
    assert.equal(r.out[0].msgs.length, 1, 'the failed message is not sent');
    const red = statuses(r.node).find((s) => s.fill === 'red');
    assert.ok(red, 'a red status was shown');
    assert.ok(typeof red.text === 'string' && red.text.length > 0);
  });

  it('completes (done) every message, including one flat-mapped to nothing, but not one that failed', async () => {
    const r = await start(buildFlow('map', { expression: '$type(payload.n) = "string" ? $number(payload.n) : payload.n', flatMap: true }));
    const msgs = [{ payload: { n: [] } }, { payload: { n: 'x' } }, { payload: { n: '3' } }] as Msg[];
    for (const m of msgs) r.node.receive(m);
    await r.caught.wait(1);
    await r.completed.wait(2);
    await settle();
    assert.deepEqual(r.completed.msgs.map((m) => m._msgid), [msgs[0]._msgid, msgs[2]._msgid]);
  });

  it('shows a green status with a non-empty text', async () => {
    const r = await start(buildFlow('map'));
    r.node.receive({ payload: 1 } as Msg);
    await r.out[0].wait(1);
    const s = lastStatus(r.node);
    assert.ok(s);
    assert.equal(s.fill, 'green');
    assert.ok(typeof s.text === 'string' && s.text.length > 0);
  });

  describe('invalid configuration', () => {
    const cases: [string, Conf][] = [
      ['a bad JSONata expression', { expression: 'payload +' }],
      ['an invalid property path', { property: 'payload..x' }],
      ['a property path that starts with a digit', { property: '1abc' }],
    ];
    for (const [what, config] of cases) {
      it(`refuses ${what}: error at start, red status, a clear error for every message, no crash`, async () => {
        await expectRefused(await start(buildFlow('map', config)));
      });
    }
  });
});
