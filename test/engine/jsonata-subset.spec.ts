/**
 * The compiled JSONata subset (src/engine/expr/jsonata-subset.ts) against JSONata 2.0.5 itself.
 *
 * The contract: for every input, the closure returns NOT_COMPILED or exactly what `jsonata(expr).evaluate(input)`
 * resolves to (deep equal, -0 and 0 told apart, as JSONata returns them); where JSONata throws, the closure
 * returns NOT_COMPILED. Expressions outside the subset compile to null.
 *
 * 1. Examples: expressions typical of Node-RED flows over typical msgs (one test per expression), expressions
 *    outside the subset, and one test per mismatch found (each a minimal reproduction).
 * 2. Properties: expression text from a small grammar of the subset, parsed by JSONata, over random input objects.
 *
 * Tests that fail show mismatches found in the compiler (src/ is not changed here): comparisons and arithmetic
 * with an undefined operand, unary minus on NaN/±Infinity, duplicate object keys, predicates and group-by attached
 * to a whole path, literal or constructor, and parenthesised expressions (JSONata blocks) that compile to null.
 *
 * FC_RUNS scales the number of property runs (default 1); FC_SEED replays a seed.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual, inspect } from 'node:util';
import fc from 'fast-check';
import { NOT_COMPILED, compileJsonataSubset } from '../../src/engine';

const jsonata = require('jsonata') as (text: string) => { ast(): unknown; evaluate(input: unknown): Promise<unknown> };

const SCALE = Number(process.env.FC_RUNS ?? 1);
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

// ---------------------------------------------------------------------------------------------------------------
// Comparing one (expression, input) pair
// ---------------------------------------------------------------------------------------------------------------

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

const show = (v: unknown): string => inspect(v, { depth: 6, breakLength: Infinity });
const showOutcome = (o: Outcome): string => (o.ok ? show(o.value) : `throws ${o.error}`);

function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err?.code ?? err?.message ?? String(e);
}

async function viaJsonata(text: string, input: unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await jsonata(text).evaluate(input) };
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
}

function viaClosure(fn: (ctx: unknown) => unknown, input: unknown): Outcome {
  try {
    return { ok: true, value: fn(input) };
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
}

function compileText(text: string): ((ctx: unknown) => unknown) | null {
  return compileJsonataSubset(jsonata(text).ast());
}

interface Verdict {
  /** The closure gave an answer (anything but NOT_COMPILED, right or wrong). */
  answered: boolean;
  /** A description of the disagreement, or null when the closure kept the contract. */
  mismatch: string | null;
}

/** Checks the contract for one pair; `fn` is the compiled closure of `text` (not null). */
async function verdict(text: string, fn: (ctx: unknown) => unknown, input: unknown): Promise<Verdict> {
  const closure = viaClosure(fn, input);
  if (closure.ok && closure.value === NOT_COMPILED) return { answered: false, mismatch: null };
  const reference = await viaJsonata(text, input);
  const same = closure.ok && reference.ok && isDeepStrictEqual(closure.value, reference.value);
  return {
    answered: closure.ok,
    mismatch: same ? null
      : `expression ${text}\n  input    ${show(input)}\n  JSONata  ${showOutcome(reference)}\n  closure  ${showOutcome(closure)}`,
  };
}

/**
 * All mismatches of `text` over `inputs` (empty when none). An expression compiled to null has none: JSONata
 * answers every input (whether subset expressions compile is checked separately).
 */
async function mismatches(text: string, inputs: readonly unknown[]): Promise<string[]> {
  const fn = compileText(text);
  if (fn === null) return [];
  const out: string[] = [];
  for (const input of inputs) {
    const v = await verdict(text, fn, input);
    if (v.mismatch) out.push(v.mismatch);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Examples
// ---------------------------------------------------------------------------------------------------------------

/** Typical msgs, JSON-representable (what arrives from MQTT, HTTP, inject, change nodes). */
const MSGS: readonly unknown[] = [
  { payload: 25, topic: 'sensors/temp', key: 'k1' },
  { payload: 0, topic: '' },
  { payload: -3.5 },
  { payload: 51.25, topic: 'a' },
  { payload: 50 },
  { payload: '42', topic: 'x' },
  { payload: '' },
  { payload: 'abc' },
  {},
  { payload: null, topic: null },
  { payload: true },
  { payload: false },
  { payload: { temp: 21, ok: true, t: 12, a: 1, b: 2, value: 10, count: 4, level: 2, on: true, status: 'ok' }, key: 'k2' },
  { payload: { temp: 19.5, ok: false, t: 10, a: -1.5, b: 0, value: 0, count: 0, level: 0, on: false, status: 'err' } },
  { payload: { temp: '20', ok: 'true', t: '11', a: '1', b: '2', value: '10', count: '2', level: '3', status: 1 } },
  { payload: { temp: null, ok: null, t: null, a: null, b: null, value: null, count: null, level: null, on: null } },
  { payload: { value: 1, count: 0 } }, // division by zero
  { payload: { value: 0, count: 0 } }, // 0/0: NaN
  { payload: { value: -1, count: 0, a: 1e308, b: 1e308 } }, // -Infinity, overflowing sum
  { payload: { a: [1, 2], b: { c: 3 }, temp: [20, 21], t: [] } },
  { payload: [{ a: 1, t: 11, temp: 20 }, { a: 2, t: 9, temp: 30 }] }, // paths cross an array
  { payload: [1, 2, 3] },
  { payload: [] },
  { payload: { reading: { value: 0.25 }, a: { b: { c: 'deep' } } } },
  { payload: { reading: { value: [0.25] }, a: { b: [{ c: 1 }] } } },
  { payload: { reading: 'x', a: { b: null } } },
  { payload: 7, topic: 7, key: true },
  { payload: -14, topic: ['a'], key: { k: 1 } },
];

/** Expressions of the subset typical of Node-RED flows (filter, map, key, value, timestamp properties). */
const SUBSET_EXAMPLES: readonly string[] = [
  'payload', 'topic', 'payload.temp', 'payload.a.b.c', 'payload.reading.value',
  '42', '-1.5', '"x"', 'true', 'false', 'null',
  'payload * 1.8 + 32', '(payload - 32) / 1.8', 'payload.temp - 273.15', 'payload / 1000', 'payload % 7',
  'payload % -3', '-payload', '- payload.temp', 'payload.value / payload.count', 'payload.a + payload.b',
  '(payload.a + payload.b) / 2', 'payload.reading.value * 100', 'payload * 0', 'payload - payload',
  'payload > 50', 'payload >= 50', 'payload < 0', 'payload <= 0', 'payload.t > 10', 'payload.temp >= 20',
  'topic < "m"', 'payload = 25', 'payload != 25', 'payload = "42"', 'topic = "sensors/temp"',
  'payload.status != "ok"', 'payload = null', 'payload.ok = true', 'payload = false',
  'payload.temp >= 20 and payload.ok = true', 'payload.level <= 3 and payload.level > 0',
  'payload.a or payload.b', 'payload.on or payload.ok', 'payload.on and payload.ok', 'payload < 0 or payload > 100',
  'payload.t > 10 ? "hot" : "cold"', 'payload.on ? 1 : 0', 'payload.temp ? "has" : "none"', 'payload.ok ? payload.temp',
  'payload > 0 ? payload : -payload',
  'topic & "/x"', '"prefix-" & topic', 'topic & "/" & key', 'payload.status & ""',
  '{"id": key, "v": payload}', '{"topic": topic, "payload": payload.value * 2}', '{"a": {"b": payload}}',
  '{"hot": payload.t > 10, "t": payload.t}', '{}',
  '[payload.a, payload.b]', '[1, "two", true, null]', '[payload, topic, key]', '[]', '[payload.t > 10]',
  'payload.value / payload.count > 1', 'payload.t > 10 = true', 'payload.temp >= 20 != false',
];

/** Expressions outside the subset: they compile to null. */
const OUTSIDE: readonly string[] = [
  '$round(payload)', '$string(payload)', 'payload[0]', 'payload[-1]', '$x := 1', 'payload.a[b > 1]', 'payload[a > 1].b',
  '**.a', 'payload.**', '*', 'payload.*', '$$', '$', '$$.payload', '$.payload', 'payload[]', 'payload.a[]',
  '"a" in ["a", "b"]', '[1..3]', 'payload ~> $sum()', 'function($x) { $x }', '/ab+c/', 'payload{topic: payload}',
  'payload.{"a": a}', 'payload.(a + 1)', '(a; b)', 'payload#$i', 'payload@$p', 'payload.%', 'payload^(a)',
  '{topic: payload}', '$now()', 'payload.$string()', '$exists(payload) ? 1 : 0', '|payload|{"a": 1}|',
  // Predicates and group-by attached to a whole path, a literal or a constructor (not to a step):
  'payload{"a": 1}', 'payload.b{"k": 1}', '"x"{"a": 1}', '5{"a": 1}', '[1, 2]{"k": 1}', '{"a": 1}{"b": 2}',
  '[1, 2][0]', '[1, 2][$ > 1]', '5[false]', 'true[false]', '{"a": 1}[false]',
];

describe('engine: compiled JSONata subset = JSONata 2.0.5', () => {
  describe('examples', () => {
    for (const text of SUBSET_EXAMPLES) {
      it(`${text}: NOT_COMPILED or JSONata's answer on every msg`, async () => {
        const found = await mismatches(text, MSGS);
        assert.equal(found.length, 0, `${found.length} mismatch(es):\n${found.join('\n')}`);
      });
    }

    it('every subset example compiles (not null)', () => {
      const missing = SUBSET_EXAMPLES.filter((t) => compileText(t) === null);
      assert.deepEqual(missing, [], `compiled to null: ${missing.join(' | ')}`);
    });

    it('answers most example pairs itself (the fast path is exercised)', () => {
      let answered = 0;
      let total = 0;
      for (const text of SUBSET_EXAMPLES) {
        const fn = compileText(text);
        if (!fn) continue;
        for (const msg of MSGS) {
          total++;
          if (viaClosure(fn, msg).ok && fn(msg) !== NOT_COMPILED) answered++;
        }
      }
      assert.ok(answered / total > 0.5, `answered ${answered} of ${total}`);
    });

    for (const text of OUTSIDE) {
      it(`${text}: outside the subset, compiles to null`, () => {
        assert.equal(compileText(text), null);
      });
    }

    it('answers deterministic values without JSONata (sanity)', () => {
      const f = compileText('payload * 1.8 + 32');
      assert.ok(f);
      assert.equal(f({ payload: 100 }), 212);
      assert.equal(f({ payload: [1] }), NOT_COMPILED);
      assert.equal(f({ payload: 'x' }), NOT_COMPILED);
      assert.equal(f({}), undefined);
      const g = compileText('{"id": key, "v": payload}');
      assert.ok(g);
      assert.deepEqual(g({ key: 'k', payload: 1 }), { id: 'k', v: 1 });
      assert.deepEqual(g({ key: 'k' }), { id: 'k' });
    });

    it('non-JSON msg values (NaN, ±Infinity, -0, undefined, Buffer, Date): NOT_COMPILED or JSONata\'s answer', async () => {
      const inputs = [
        { payload: NaN }, { payload: Infinity }, { payload: -Infinity }, { payload: -0 }, { payload: undefined },
        { payload: Buffer.from('abc') }, { payload: new Date(0) }, { payload: { a: NaN, b: Infinity } },
      ];
      const found: string[] = [];
      for (const text of ['payload', '-payload', 'payload + 1', 'payload * 0', 'payload > 1', 'payload = payload',
        'payload.length', 'payload.a + payload.b', '-payload.a', '-payload.b', '[payload]', '{"v": payload}',
        'payload.missing + payload.a', 'payload ? 1 : 0']) {
        found.push(...await mismatches(text, inputs));
      }
      assert.equal(found.length, 0, `${found.length} mismatch(es):\n${found.join('\n')}`);
    });

    // One test per mismatch found, each a minimal reproduction (expected to fail until src/ is fixed).
    describe('minimal reproductions of mismatches', () => {
      const repro = (title: string, text: string, input: unknown): void => {
        it(`${title}: ${text} on ${show(input)}`, async () => {
          const found = await mismatches(text, [input]);
          assert.equal(found.length, 0, found.join('\n'));
        });
      };
      // JSONata: an ordering comparison with an undefined operand is undefined, not false.
      repro('comparison with a missing operand', 'a > 1', {});
      repro('comparison with a missing operand, inside an object', '{"hot": a > 1}', {});
      repro('comparison with a missing operand, inside an array', '[a > 1]', {});
      repro('comparison with a missing operand, then compared', 'a > 1 = false', {});
      // JSONata type-checks both operands before looking at undefined.
      repro('comparison of missing with a boolean', 'a < true', {});
      repro('comparison of missing with null', 'a < null', {});
      repro('arithmetic of missing with a string', 'a + "x"', {});
      repro('arithmetic of missing with a boolean', 'a * true', {});
      repro('arithmetic of missing with null', 'a - null', {});
      repro('arithmetic of missing with a boolean field', 'a + b', { b: false });
      repro('arithmetic of missing with NaN', 'a + b', { b: NaN });
      repro('arithmetic of missing with an object', 'a + b', { b: { c: 1 } });
      repro('arithmetic of missing with an array constructor', 'a + []', {});
      repro('comparison of missing with an object', 'a < b', { b: { c: 1 } });
      // JSONata: unary minus rejects NaN (D1002) and ±Infinity (D1001).
      repro('negation of NaN', '-a', { a: NaN });
      repro('negation of Infinity', '-a', { a: Infinity });
      // JSONata: two pairs of an object constructor with the same key raise D1009.
      repro('duplicate key in an object constructor', '{"k": 1, "k": 2}', {});
      // JSONata's grouping calls groups.hasOwnProperty(key), which a key "hasOwnProperty" overwrites.
      repro('object constructor with a key "hasOwnProperty"', '{"hasOwnProperty": 1, "b": 2}', {});
      // JSONata applies a predicate or group-by attached to any node; the closure ignores them unless on a step.
      repro('group-by on a path', 'payload{"a": 1}', { payload: { x: 1 } });
      repro('group-by on a path, key from the data', 'payload{topic: value}', { payload: { topic: 't', value: 1 } });
      repro('group-by on a literal', '5{"a": 1}', {});
      repro('index on an array constructor', '[1, 2][0]', {});
      repro('group-by on an array constructor', '[1, 2]{"k": 1}', {});
      repro('false predicate on a literal', '5[false]', {});
      repro('false predicate on an object constructor', '{"a": 1}[false]', {});
      // JSONata's lookup treats objects flagged _jsonata_function / _jsonata_lambda as functions (no fields).
      repro('path through an object flagged as a JSONata function', 'a.b', { a: { _jsonata_lambda: true, b: 1 } });
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // 2. Properties
  // -------------------------------------------------------------------------------------------------------------

  describe('properties', () => {
    const FIELDS = ['a', 'b', 'c'] as const;
    const NUMBERS = [0, 1, 2, 3, 7, 10, 0.5, 1.5, 2.25, 100, -1, -2, -0.5, -7];
    const STRINGS = ['', 'a', 'b', 'ab', '5', '10', '-1', '1.5', 'x y'];

    // Expression text: paths over a few field names, literals, operators, constructors.
    const path = fc.oneof(
      { arbitrary: fc.constantFrom(...FIELDS), weight: 3 },
      { arbitrary: fc.array(fc.constantFrom(...FIELDS), { minLength: 2, maxLength: 3 }).map((s) => s.join('.')), weight: 1 },
    );
    const numberLiteral = fc.constantFrom(...NUMBERS).map(String);
    const stringLiteral = fc.constantFrom(...STRINGS).map((s) => JSON.stringify(s));
    const otherLiteral = fc.constantFrom('true', 'false', 'null');
    const literal = fc.oneof(numberLiteral, stringLiteral, otherLiteral);
    const arith = fc.constantFrom('+', '-', '*', '/', '%');
    const compare = fc.constantFrom('<', '<=', '>', '>=', '=', '!=');
    const logic = fc.constantFrom('and', 'or');
    const keys = fc.uniqueArray(fc.constantFrom('x', 'y', 'z', 'id', ''), { maxLength: 3 });
    const binary = (l: fc.Arbitrary<string>, op: fc.Arbitrary<string>, r: fc.Arbitrary<string>): fc.Arbitrary<string> =>
      fc.tuple(l, op, r).map(([a, o, b]) => `${a} ${o} ${b}`);

    /** Constructs outside the subset, for the broad grammar (JSONata 2.0.5 syntax; text it cannot parse is dropped). */
    const outsidePostfix = fc.constantFrom('[0]', '[-1]', '[1]', '[false]', '[true]', '[$ > 1]', '[a > 0]', '[]',
      '{"k": 1}', '{"k": a}', '{a: b}', '.*', '.$string()', '#$i', '@$v', '.%');
    const outsideLeaf = fc.constantFrom('$', '$$', '$$.a', '**.a', 'a.*', '*', '$string(a)', '$number(b)',
      '$exists(c)', '$sum([a, b])', '$count(a)', 'a in [1, "a"]', '[1..3]', 'a.(b + 1)', '(a; b)', '($x := a; $x)',
      'a ~> $string()', 'a.b[0].c', 'a[b > 1]', '$not(a)');

    /**
     * Expression text from the subset's grammar, written so that JSONata's precedence keeps the intended shape
     * without parentheses: `num` (arithmetic), `str` (concatenation), `bool` (comparisons, and/or) and `top`
     * (any value: conditions, constructors). Operand types still mix through paths (inputs hold any type) and a
     * few literals of other types. Parentheses are rare (JSONata parses them as a block). `broad` mixes in
     * constructs outside the subset.
     */
    const grammar = (broad: boolean): fc.Arbitrary<string> =>
      fc.letrec<{ num: string; str: string; bool: string; top: string }>((tie) => {
        const depth = { maxDepth: 4, depthIdentifier: 'expr', depthSize: 'small' } as const;
        const [num, str, bool, top] = [tie('num'), tie('str'), tie('bool'), tie('top')];
        const numLeaf = fc.oneof(
          { arbitrary: numberLiteral, weight: 5 }, { arbitrary: path, weight: 6 }, { arbitrary: literal, weight: 1 },
        );
        const strLeaf = fc.oneof(
          { arbitrary: stringLiteral, weight: 5 }, { arbitrary: path, weight: 3 }, { arbitrary: literal, weight: 1 },
        );
        const outside: fc.WeightedArbitrary<string>[] = broad
          ? [
            { arbitrary: outsideLeaf, weight: 1 },
            { arbitrary: fc.tuple(fc.oneof(path, literal, num), outsidePostfix).map(([x, p]) => `${x}${p}`), weight: 2 },
          ]
          : [];
        return {
          num: fc.oneof(depth,
            { arbitrary: numLeaf, weight: 8 },
            { arbitrary: binary(num, arith, num), weight: 6 },
            { arbitrary: num.map((x) => `-${x}`), weight: 1 },
            { arbitrary: top.map((x) => `(${x})`), weight: 1 },
            ...outside),
          str: fc.oneof(depth,
            { arbitrary: strLeaf, weight: 3 },
            { arbitrary: binary(str, fc.constant('&'), str), weight: 2 }),
          bool: fc.oneof(depth,
            { arbitrary: binary(numLeaf, compare, numLeaf), weight: 4 },
            { arbitrary: binary(num, compare, num), weight: 4 },
            { arbitrary: binary(str, compare, str), weight: 1 },
            { arbitrary: binary(bool, logic, bool), weight: 3 },
            { arbitrary: fc.oneof(path, otherLiteral), weight: 1 }),
          top: fc.oneof(depth,
            { arbitrary: fc.oneof(numLeaf, literal), weight: 2 },
            { arbitrary: num, weight: 4 },
            { arbitrary: bool, weight: 3 },
            { arbitrary: str, weight: 1 },
            {
              arbitrary: fc.tuple(bool, top, fc.option(top, { freq: 4 }))
                .map(([c, t, f]) => (f === null ? `${c} ? ${t}` : `${c} ? ${t} : ${f}`)),
              weight: 3,
            },
            {
              arbitrary: keys.chain((ks) => fc.tuple(...ks.map(() => top))
                .map((vs) => `{${ks.map((k, i) => `${JSON.stringify(k)}: ${vs[i]}`).join(', ')}}`)),
              weight: 1,
            },
            { arbitrary: fc.array(top, { maxLength: 3 }).map((vs) => `[${vs.join(', ')}]`), weight: 1 },
            ...outside),
        };
      }).top;
    /** Text that JSONata parses (a guard: the grammar only writes parseable text, corner cases aside). */
    const parses = (text: string): boolean => {
      try { jsonata(text); return true; } catch { return false; }
    };
    const expression = grammar(false).filter(parses);
    const broadExpression = grammar(true).filter(parses);
    const unparenthesised = expression.filter((text) => !text.includes('('));

    // Input objects over the same fields: numbers first (so that operators mostly meet numbers), then the rest.
    const scalar = fc.oneof(
      { arbitrary: fc.constantFrom(...NUMBERS, -0), weight: 8 },
      { arbitrary: fc.integer({ min: -20, max: 20 }), weight: 3 },
      { arbitrary: fc.constantFrom(...STRINGS), weight: 2 },
      { arbitrary: fc.boolean(), weight: 1 },
      { arbitrary: fc.constant(null), weight: 1 },
    );
    const { node } = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'input', depthSize: 'small' },
        { arbitrary: scalar, weight: 12 },
        { arbitrary: fc.record({ a: tie('node'), b: tie('node'), c: tie('node') }, { requiredKeys: [] }), weight: 3 },
        { arbitrary: fc.array(tie('node'), { maxLength: 2 }), weight: 1 },
      ),
    }));
    const input = fc.record({ a: node, b: node, c: node }, { requiredKeys: [] });
    const inputs = fc.array(input, { minLength: 1, maxLength: 6 });

    /** Fails with the first mismatch of `text` over `xs` (nothing to check when `text` compiles to null). */
    async function holds(text: string, xs: readonly unknown[]): Promise<void> {
      const fn = compileText(text);
      if (fn === null) return;
      for (const x of xs) {
        const v = await verdict(text, fn, x);
        if (v.mismatch) throw new Error(v.mismatch);
      }
    }

    it('every generated expression of the subset compiles (not null), parentheses included', () => {
      fc.assert(fc.property(expression, (text) => compileText(text) !== null), { numRuns: runs(300), seed: SEED });
    });

    it('every generated expression without parentheses compiles (not null)', () => {
      fc.assert(fc.property(unparenthesised, (text) => compileText(text) !== null), { numRuns: runs(1000), seed: SEED });
    });

    it('closure = JSONata, or NOT_COMPILED, on random (expression, inputs); JSONata errors ⇒ NOT_COMPILED', async () => {
      await fc.assert(fc.asyncProperty(expression, inputs, holds), { numRuns: runs(3000), seed: SEED });
    });

    it('with constructs outside the subset mixed in: null, or closure = JSONata / NOT_COMPILED', async () => {
      await fc.assert(fc.asyncProperty(broadExpression, inputs, holds), { numRuns: runs(2000), seed: SEED });
    });

    it('the closure itself answers more than half of the generated (expression, input) pairs', () => {
      const sample = fc.sample(fc.tuple(expression, inputs),
        { numRuns: runs(1500), seed: SEED ?? 20240501 });
      let answered = 0;
      let total = 0;
      for (const [text, xs] of sample) {
        const fn = compileText(text);
        for (const x of xs) {
          total++;
          if (fn !== null && viaClosure(fn, x).ok && fn(x) !== NOT_COMPILED) answered++;
        }
      }
      assert.ok(answered / total > 0.5, `answered ${answered} of ${total} pairs (${(100 * answered / total).toFixed(1)} %)`);
    });
  });
});
