/** streamkit-filter on a real Node-RED runtime: rules, JSONata mode, reject port, bad config. */
import assert from 'node:assert/strict';
import {
  buildFlow, errorText, expectRefused, helper, lastStatus, settle, start, statuses, type Conf, type Msg,
} from './util';

interface Routed { passed: unknown[]; rejected: unknown[] }

/** Sends every message through a filter with the reject port on; returns the `id` of each message per port. */
async function route(config: Conf, msgs: Msg[]): Promise<Routed> {
  const r = await start(buildFlow('filter', { rejectOutput: true, ...config }));
  msgs.forEach((m, i) => r.node.receive({ id: i, ...m }));
  await Promise.race([
    (async () => { while (r.out[0].msgs.length + r.out[1].msgs.length < msgs.length) await settle(5); })(),
    settle(2000),
  ]);
  assert.equal(r.caught.msgs.length, 0, `unexpected errors: ${JSON.stringify(r.caught.msgs.map((m) => m.error))}`);
  return { passed: r.out[0].msgs.map((m) => m.id), rejected: r.out[1].msgs.map((m) => m.id) };
}

/** One rule `payload op value`; `values` are the payloads sent, `pass` the indexes expected on output 1. */
async function expectRule(rule: Conf, values: unknown[], pass: number[], extra: Conf = {}): Promise<void> {
  const got = await route({ rules: [rule], ...extra }, values.map((v) => ({ payload: v })));
  const rejected = values.map((_, i) => i).filter((i) => !pass.includes(i));
  assert.deepEqual(got, { passed: pass, rejected }, `rule ${JSON.stringify(rule)} on ${JSON.stringify(values)}`);
}

describe('streamkit-filter', function () {
  afterEach(() => helper.unload());

  describe('rules', () => {
    it('passes with the default rule (payload > 0) and sends nothing for rejected messages when the reject port is off', async () => {
      const r = await start(buildFlow('filter'));
      for (const p of [5, 0, -1, 2]) r.node.receive({ payload: p });
      await r.out[0].wait(2);
      await settle();
      assert.deepEqual(r.out[0].msgs.map((m) => m.payload), [5, 2]);
      assert.equal(r.out.length, 1);
    });

    it('sends the original message object, unchanged, to the pass port', async () => {
      const r = await start(buildFlow('filter'));
      const msg = { payload: 3, topic: 't', extra: { a: [1] } } as Msg;
      r.node.receive(msg);
      const [out] = await r.out[0].wait(1);
      assert.equal(out.topic, 't');
      assert.deepEqual(out.extra, { a: [1] });
      assert.equal(out._msgid, msg._msgid);
    });

    it('sends rejected messages to the second output when the reject port is on', async () => {
      const got = await route({}, [{ payload: 1 }, { payload: -1 }, { payload: 0 }]);
      assert.deepEqual(got, { passed: [0], rejected: [1, 2] });
    });

    it('does not match a non-numeric string against a number operand (as the switch node: "x" > 0 is false)', async () => {
      await expectRule({ property: 'payload', op: 'gt', value: '0', valueType: 'num' }, ['x', 'error', '7', 7], [2, 3]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'lt', value: '100', valueType: 'num' }, ['abc', 50], [1]);
    });

    it('compares with eq: numbers numerically (5 == "5"), strings exactly', async () => {
      await expectRule({ property: 'payload', op: 'eq', value: '5', valueType: 'num' }, [5, '5', 6, '5.0', null], [0, 1, 3]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'eq', value: 'abc', valueType: 'str' }, ['abc', 'ABC', 'abcd', undefined], [0]);
    });

    it('compares with eq against a boolean operand', async () => {
      await expectRule({ property: 'payload', op: 'eq', value: 'true', valueType: 'bool' }, [true, false, 'true', 1], [0, 2]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'eq', value: 'false', valueType: 'bool' }, [true, false], [1]);
    });

    it('compares with neq', async () => {
      await expectRule({ property: 'payload', op: 'neq', value: '5', valueType: 'num' }, [5, 4, '5', 'x'], [1, 3]);
    });

    it('compares with lt, lte, gt, gte at the boundary', async () => {
      const values = [9, 10, 11, '10', '9.5'];
      await expectRule({ property: 'payload', op: 'lt', value: '10', valueType: 'num' }, values, [0, 4]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'lte', value: '10', valueType: 'num' }, values, [0, 1, 3, 4]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'gt', value: '10', valueType: 'num' }, values, [2]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'gte', value: '10', valueType: 'num' }, values, [1, 2, 3]);
    });

    it('compares strings as strings when one side is not numeric', async () => {
      await expectRule({ property: 'payload', op: 'gt', value: 'm', valueType: 'str' }, ['z', 'a', 'm', 'n'], [0, 3]);
    });

    it('never matches a comparison on a missing property', async () => {
      await expectRule({ property: 'payload.t', op: 'lt', value: '10', valueType: 'num' }, [{ t: 1 }, {}, null, 5], [0]);
    });

    it('compares with between, inclusive on both ends', async () => {
      await expectRule({ property: 'payload', op: 'btwn', value: '10', valueType: 'num', value2: '20', value2Type: 'num' },
        [9.99, 10, 15, 20, 20.01, '15'], [1, 2, 3, 5]);
    });

    it('takes between bounds from other msg properties', async () => {
      const got = await route({
        rules: [{ property: 'payload', op: 'btwn', value: 'lo', valueType: 'msg', value2: 'limits.hi', value2Type: 'msg' }],
      }, [
        { payload: 5, lo: 1, limits: { hi: 10 } },
        { payload: 5, lo: 6, limits: { hi: 10 } },
        { payload: 5, lo: 1, limits: { hi: 4 } },
        { payload: 5, lo: 1 },
      ]);
      assert.deepEqual(got, { passed: [0], rejected: [1, 2, 3] });
    });

    it('matches contains on a substring of a string and an element of an array', async () => {
      await expectRule({ property: 'payload', op: 'cont', value: 'err', valueType: 'str' },
        ['an error', 'ERR', 'ok', ['err', 'x'], ['errors'], 42], [0, 3]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'cont', value: '3', valueType: 'num' }, [[1, 2, 3], [1, '3'], [4], '123'], [0, 1, 3]);
    });

    it('matches a regex, case-sensitive by default and case-insensitive with ignore case', async () => {
      const values = ['temp-12', 'TEMP-12', 'temp-x', 'xtemp-1', 17];
      await expectRule({ property: 'payload', op: 'regex', value: '^temp-\\d+$' }, values, [0]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'regex', value: '^temp-\\d+$', ignoreCase: true }, values, [0, 1]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'regex', value: '^1\\d$' }, values, [4]);
    });

    it('matches is true and is false only on booleans', async () => {
      const values = [true, false, 'true', 1, 0, null];
      await expectRule({ property: 'payload', op: 'true' }, values, [0]);
      await helper.unload();
      await expectRule({ property: 'payload', op: 'false' }, values, [1]);
    });

    it('matches is null on null and missing properties, is not null on everything else', async () => {
      const got = await route({ rules: [{ property: 'payload.v', op: 'null' }] },
        [{ payload: { v: null } }, { payload: {} }, { payload: { v: 0 } }, { payload: { v: '' } }, { payload: null }]);
      assert.deepEqual(got, { passed: [0, 1, 4], rejected: [2, 3] });
      await helper.unload();
      const got2 = await route({ rules: [{ property: 'payload.v', op: 'nnull' }] },
        [{ payload: { v: null } }, { payload: {} }, { payload: { v: 0 } }, { payload: { v: false } }]);
      assert.deepEqual(got2, { passed: [2, 3], rejected: [0, 1] });
    });

    it('matches is of type for every type', async () => {
      const values = ['s', 1, true, { a: 1 }, [1], null, undefined, Buffer.from('x')];
      const types = ['string', 'number', 'boolean', 'object', 'array', 'null', 'undefined', 'buffer'];
      for (let i = 0; i < types.length; i++) {
        if (i > 0) await helper.unload();
        const got = await route({ rules: [{ property: 'payload.v', op: 'istype', value: types[i] }] }, values.map((v) => ({ payload: { v } })));
        assert.deepEqual(got.passed, [i], `is of type ${types[i]}`);
      }
    });

    it('compares with a number operand written with spaces and decimals', async () => {
      await expectRule({ property: 'payload', op: 'gte', value: ' 2.5 ', valueType: 'num' }, [2.5, 2.4, 3], [0, 2]);
    });

    it('compares against another msg property (msg operand)', async () => {
      const got = await route({ rules: [{ property: 'payload.temp', op: 'gt', value: 'threshold', valueType: 'msg' }] },
        [{ payload: { temp: 30 }, threshold: 25 }, { payload: { temp: 20 }, threshold: 25 }, { payload: { temp: 30 } }]);
      assert.deepEqual(got, { passed: [0], rejected: [1, 2] });
    });

    it('reads nested and bracketed property paths', async () => {
      const got = await route({ rules: [{ property: 'payload.list[1]["a b"]', op: 'eq', value: 'y', valueType: 'str' }] },
        [{ payload: { list: [{}, { 'a b': 'y' }] } }, { payload: { list: [{ 'a b': 'y' }] } }, { payload: 3 }]);
      assert.deepEqual(got, { passed: [0], rejected: [1, 2] });
    });

    it('combines several rules with all (AND)', async () => {
      const rules = [
        { property: 'payload', op: 'gt', value: '0', valueType: 'num' },
        { property: 'topic', op: 'eq', value: 'a', valueType: 'str' },
      ];
      const got = await route({ rules, combine: 'all' },
        [{ payload: 1, topic: 'a' }, { payload: 1, topic: 'b' }, { payload: -1, topic: 'a' }, { payload: -1, topic: 'b' }]);
      assert.deepEqual(got, { passed: [0], rejected: [1, 2, 3] });
    });

    it('combines several rules with any (OR)', async () => {
      const rules = [
        { property: 'payload', op: 'gt', value: '0', valueType: 'num' },
        { property: 'topic', op: 'eq', value: 'a', valueType: 'str' },
      ];
      const got = await route({ rules, combine: 'any' },
        [{ payload: 1, topic: 'a' }, { payload: 1, topic: 'b' }, { payload: -1, topic: 'a' }, { payload: -1, topic: 'b' }]);
      assert.deepEqual(got, { passed: [0, 1, 2], rejected: [3] });
    });

    it('keeps the order of messages', async () => {
      const r = await start(buildFlow('filter'));
      for (let i = 1; i <= 200; i++) r.node.receive({ payload: i % 3 === 0 ? -i : i });
      const out = await r.out[0].wait(134);
      assert.deepEqual(out.map((m) => m.payload), Array.from({ length: 200 }, (_, i) => i + 1).filter((i) => i % 3 !== 0));
    });

    it('completes (done) every message, passed or rejected, with the reject port off', async () => {
      const r = await start(buildFlow('filter'));
      const msgs = [{ payload: 1 }, { payload: -1 }, { payload: 2 }] as Msg[];
      for (const m of msgs) r.node.receive(m);
      const done = await r.completed.wait(3);
      assert.deepEqual(done.map((m) => m._msgid), msgs.map((m) => m._msgid));
    });

    it('shows a green status with a non-empty text', async () => {
      const r = await start(buildFlow('filter'));
      r.node.receive({ payload: 1 });
      await r.out[0].wait(1);
      const s = lastStatus(r.node);
      assert.ok(s, 'a status was set');
      assert.equal(s.fill, 'green');
      assert.equal(s.shape, 'dot');
      assert.ok(typeof s.text === 'string' && s.text.length > 0);
    });
  });

  describe('JSONata mode', () => {
    it('passes messages for which the expression is true', async () => {
      const got = await route({ mode: 'jsonata', expression: 'payload.temp > 20 and topic = "room"' }, [
        { payload: { temp: 25 }, topic: 'room' },
        { payload: { temp: 15 }, topic: 'room' },
        { payload: { temp: 25 }, topic: 'hall' },
      ]);
      assert.deepEqual(got, { passed: [0], rejected: [1, 2] });
    });

    it('rejects messages for which the expression is not exactly true (truthy numbers, strings, undefined)', async () => {
      const got = await route({ mode: 'jsonata', expression: 'payload' }, [
        { payload: true }, { payload: 1 }, { payload: 'yes' }, { payload: false }, {},
      ]);
      assert.deepEqual(got, { passed: [0], rejected: [1, 2, 3, 4] });
    });

    it('ignores the rules in JSONata mode', async () => {
      const got = await route({ mode: 'jsonata', expression: 'payload < 0', rules: [{ property: 'payload', op: 'gt', value: '0', valueType: 'num' }] },
        [{ payload: -1 }, { payload: 1 }]);
      assert.deepEqual(got, { passed: [0], rejected: [1] });
    });

    it('keeps the order of messages while evaluating asynchronously', async () => {
      const r = await start(buildFlow('filter', { mode: 'jsonata', expression: 'payload % 2 = 0' }));
      for (let i = 0; i < 300; i++) r.node.receive({ payload: i });
      const out = await r.out[0].wait(150);
      assert.deepEqual(out.map((m) => m.payload), Array.from({ length: 150 }, (_, i) => i * 2));
    });

    it('reports an expression that fails at evaluation with the original message and keeps working', async () => {
      const r = await start(buildFlow('filter', { mode: 'jsonata', expression: '$number(payload) > 1' }));
      r.node.receive({ payload: 'abc', marker: 'bad' });
      r.node.receive({ payload: '5', marker: 'good' });
      const [caught] = await r.caught.wait(1);
      assert.equal(caught.marker, 'bad');
      assert.ok(errorText(caught.error).length > 0);
      const [out] = await r.out[0].wait(1);
      assert.equal(out.marker, 'good');
      assert.ok(statuses(r.node).some((s) => s.fill === 'red'), 'a red status was shown');
    });
  });

  describe('invalid configuration', () => {
    const cases: [string, Conf][] = [
      ['a bad regex', { rules: [{ property: 'payload', op: 'regex', value: '([' }] }],
      ['a bad JSONata expression', { mode: 'jsonata', expression: 'payload >' }],
      ['a number operand that is not a number', { rules: [{ property: 'payload', op: 'gt', value: 'abc', valueType: 'num' }] }],
      ['an unknown type for is of type', { rules: [{ property: 'payload', op: 'istype', value: 'integer' }] }],
      ['no rules', { rules: [] }],
      ['an unknown operator', { rules: [{ property: 'payload', op: 'like', value: 'x', valueType: 'str' }] }],
      ['an invalid property path', { rules: [{ property: 'payload..x', op: 'true' }] }],
      ['between without an upper bound', { rules: [{ property: 'payload', op: 'btwn', value: '1', valueType: 'num' }] }],
    ];
    for (const [what, config] of cases) {
      it(`refuses ${what}: error at start, red status, a clear error for every message, no crash`, async () => {
        await expectRefused(await start(buildFlow('filter', config)));
      });
    }
  });
});
