/** InfluxDB line protocol (SPEC §8.1–8.3): escaping, field types, order, checks of given lines, timestamps, and message → points. */
import assert from 'node:assert/strict';
import {
  EngineError, PointMapper, checkLines, compareUtf8, encodeLine, msToPrecision, timestampIn, type EncodeOptions, type PointMapperOptions,
} from '../../src/engine';

const V2: EncodeOptions = { v2: true, integerFields: new Set(['n']) };
const badPoint = (re: RegExp) => (e: EngineError) => e instanceof EngineError && e.reason === 'bad-point' && re.test(e.message);

describe('engine: line protocol encoding', () => {
  it('escapes commas and spaces in measurements; commas, equals signs and spaces in tag keys, tag values and field keys', () => {
    assert.equal(encodeLine('m e,a=s', { 't k,=': 'v a,l=ue' }, { 'f k,=': 1 }, '5', V2),
      'm\\ e\\,a=s,t\\ k\\,\\==v\\ a\\,l\\=ue f\\ k\\,\\==1 5');
  });

  it('escapes quotes and backslashes in string fields and keeps raw newlines inside the quotes', () => {
    assert.equal(encodeLine('m', undefined, { s: 'a "q" \\ b\nc' }, undefined, V2), 'm s="a \\"q\\" \\\\ b\nc"');
  });

  it('keeps backslashes inside names as they are (InfluxDB does not unescape them)', () => {
    assert.equal(encodeLine('a\\b', { t: 'c\\d' }, { 'e\\f': 1 }, '1', V2), 'a\\b,t=c\\d e\\f=1 1');
  });

  it('writes newline, carriage return and tab in names as \\n, \\r, \\t and says so', () => {
    const lossy: string[] = [];
    const line = encodeLine('m\n', { t: 'a\tb' }, { 'f\r': 1 }, '1', { ...V2, onLossy: (n) => lossy.push(n) });
    assert.equal(line, 'm\\n,t=a\\tb f\\r=1 1');
    assert.deepEqual(lossy.sort(), ['a\tb', 'f\r', 'm\n'].sort());
  });

  for (const [what, m, tags, fields] of [
    ['a measurement', 'm\\', {}, { v: 1 }], ['a tag key', 'm', { 't\\': 'x' }, { v: 1 }],
    ['a tag value', 'm', { t: 'x\\' }, { v: 1 }], ['a field key', 'm', {}, { 'v\\': 1 }],
  ] as [string, string, Record<string, unknown>, Record<string, unknown>][]) {
    it(`refuses ${what} ending with a backslash`, () => {
      assert.throws(() => encodeLine(m, tags, fields, '1', V2), badPoint(/ends with a backslash/));
    });
  }

  it('refuses names beginning with "_" for v2 targets only', () => {
    for (const [m, tags, fields] of [['_m', {}, { v: 1 }], ['m', { _t: 'x' }, { v: 1 }], ['m', {}, { _v: 1 }]] as const) {
      assert.throws(() => encodeLine(m, tags, fields, '1', V2), badPoint(/reserves/));
      assert.ok(encodeLine(m, tags, fields, '1', { ...V2, v2: false }));
    }
  });

  it('sorts tags and fields by key in UTF-8 byte order', () => {
    assert.equal(encodeLine('m', { b: '1', a: '2', é: '3', Z: '4' }, { y: 1, x: 2 }, '1', V2), 'm,Z=4,a=2,b=1,é=3 x=2,y=1 1');
    // U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80) in UTF-8, unlike in UTF-16.
    assert.ok(compareUtf8('\uFFFD', '😀') < 0);
    assert.ok('\uFFFD' > '😀');
    assert.equal(encodeLine('m', undefined, { '😀': 1, '\uFFFD': 2 }, '1', V2), 'm \uFFFD=2,😀=1 1');
  });

  it('writes floats in shortest round-trip form, integers with i, booleans as T/F, BigInt as integers', () => {
    assert.equal(encodeLine('m', undefined, { a: 0.1, b: 1e21, c: -0, d: 3, n: 5, e: true, f: false, g: 2n ** 62n, h: -7n }, '1', V2),
      'm a=0.1,b=1e+21,c=0,d=3,e=T,f=F,g=4611686018427387904i,h=-7i,n=5i 1');
  });

  for (const [what, v, re] of [
    ['NaN', { v: NaN }, /not a finite number/], ['+Infinity', { v: Infinity }, /not a finite number/],
    ['-Infinity', { v: -Infinity }, /not a finite number/], ['a fraction in an integer field', { n: 1.5 }, /not an integer/],
    ['an integer above 2^63 − 1', { v: 2n ** 63n }, /64-bit integer range/], ['an integer below −2^63', { v: -(2n ** 63n) - 1n }, /64-bit integer range/],
    ['a number too large for an integer field', { n: 1e19 }, /64-bit integer range/], ['an object', { v: {} }, /cannot be a field value/],
    ['an array', { v: [1] }, /an array cannot be a field value/], ['a string over 64 KB', { v: 'x'.repeat(65536) }, /longer than 64 KB/],
  ] as [string, Record<string, unknown>, RegExp][]) {
    it(`refuses ${what}`, () => { assert.throws(() => encodeLine('m', undefined, v, '1', V2), badPoint(re)); });
  }

  it('accepts the 64-bit integer bounds', () => {
    assert.equal(encodeLine('m', undefined, { a: 2n ** 63n - 1n, b: -(2n ** 63n) }, '1', V2), 'm a=9223372036854775807i,b=-9223372036854775808i 1');
  });

  it('leaves out empty tag values and null or undefined fields; a point without fields is refused', () => {
    assert.equal(encodeLine('m', { a: '', b: null, c: undefined, d: 0 }, { x: null, y: undefined, z: 1 }, '1', V2), 'm,d=0 z=1 1');
    assert.throws(() => encodeLine('m', {}, { x: null }, '1', V2), badPoint(/has no field/));
  });

  it('refuses empty names', () => {
    assert.throws(() => encodeLine('', {}, { v: 1 }, '1', V2), badPoint(/empty/));
    assert.throws(() => encodeLine('m', {}, { '': 1 }, '1', V2), badPoint(/empty/));
  });
});

describe('engine: checking given lines', () => {
  it('passes valid lines, drops comments and blank lines, and tells which carry a timestamp', () => {
    const text = '# a comment\nm,t=a\\ b f=1.5,i=-3i,u=4u,b=true,s="x \\" y" 1700000000000\n\n  m v=1\nm v=1e-5,w=F -5';
    assert.deepEqual(checkLines(text, true), [
      { line: 'm,t=a\\ b f=1.5,i=-3i,u=4u,b=true,s="x \\" y" 1700000000000', stamped: true },
      { line: 'm v=1', stamped: false },
      { line: 'm v=1e-5,w=F -5', stamped: true },
    ]);
  });

  it('keeps a newline inside a quoted string value in its line', () => {
    assert.deepEqual(checkLines('m s="a\nb" 1\nm v=2 2', true).map((c) => c.line), ['m s="a\nb" 1', 'm v=2 2']);
  });

  for (const [bad, re] of [
    ['m', /no field set/], ['m v=', /invalid value/], ['m v=abc', /invalid value/], ['m v="open', /unterminated string/],
    ['m v=1 12:00', /timestamp/], ['m,t v=1', /has no "="/], ['m,=x v=1', /empty/], [',t=x v=1', /measurement is empty/],
    ['m v=1,', /no "="/], ['m\\ v=1', /has no field set|ends with a backslash/], ['_m v=1', /reserves/], ['m v=99999999999999999999i', /64-bit/],
  ] as [string, RegExp][]) {
    it(`refuses ${JSON.stringify(bad)}`, () => { assert.throws(() => checkLines(bad, true), badPoint(re)); });
  }
});

describe('engine: timestamps in the write precision', () => {
  it('converts milliseconds to s/ms/us/ns, flooring toward −∞', () => {
    assert.deepEqual(['s', 'ms', 'us', 'ns'].map((p) => msToPrecision(1500, p as 's')), ['1', '1500', '1500000', '1500000000']);
    assert.equal(msToPrecision(-1500, 's'), '-2');
    assert.equal(msToPrecision(-1, 's'), '-1');
    assert.equal(msToPrecision(1.5, 'us'), '1500');
    assert.equal(msToPrecision(1.000001, 'ns'), '1000001');
  });

  it('reads ISO strings to the nanosecond, Dates, digit strings (ms), and BigInt as already in the precision', () => {
    assert.equal(timestampIn('2026-01-01T00:00:00.123456789Z', 'ns'), '1767225600123456789');
    assert.equal(timestampIn('2026-01-01T00:00:00.123456Z', 'us'), '1767225600123456');
    assert.equal(timestampIn(new Date(5), 'ms'), '5');
    assert.equal(timestampIn('1000', 's'), '1');
    assert.equal(timestampIn(1767225600123456789n, 'ns'), '1767225600123456789');
  });

  it('refuses times outside InfluxDB\'s range and unreadable ones', () => {
    assert.throws(() => timestampIn(9223372036854775807n, 'ns'), (e: EngineError) => e.reason === 'bad-timestamp');
    assert.throws(() => msToPrecision(1e16, 'ns'), (e: EngineError) => e.reason === 'bad-timestamp');
    assert.throws(() => timestampIn('soon', 'ms'), (e: EngineError) => e.reason === 'bad-timestamp');
  });
});

describe('engine: message → points', () => {
  const opts: PointMapperOptions = { measurement: 'm', keyTag: 'key', tagProps: [], integerFields: ['count'], timeFrom: 'start', precision: 'ms', v2: true };
  const map = (o: Partial<PointMapperOptions>, input: Record<string, unknown>, now = 99) => new PointMapper({ ...opts, ...o }).map(input as never, now);

  it('writes a window result with its key as a tag at the window start (or end)', () => {
    const input = { value: { count: 2, avg: 1.5 }, key: 'k', window: { start: 1000, end: 2000 }, timestamp: 1999 };
    assert.deepEqual(map({}, input).lines, ['m,key=k avg=1.5,count=2i 1000']);
    assert.deepEqual(map({ timeFrom: 'end' }, input).lines, ['m,key=k avg=1.5,count=2i 2000']);
    assert.deepEqual(map({ timeFrom: 'timestamp' }, input).lines, ['m,key=k avg=1.5,count=2i 1999']);
    assert.deepEqual(map({ timeFrom: 'now' }, input).lines, ['m,key=k avg=1.5,count=2i 99']);
  });

  it('falls back to msg.timestamp, then to the clock, for a message without a window', () => {
    assert.deepEqual(map({}, { value: { v: 1 }, timestamp: 7 }).lines, ['m v=1 7']);
    assert.deepEqual(map({}, { value: { v: 1 } }).lines, ['m v=1 99']);
  });

  it('promotes chosen properties to tags, takes msg.measurement, leaves out an empty key and writes a scalar as `value`', () => {
    assert.deepEqual(map({ tagProps: ['site'] }, { value: { site: 's1', t: 2 }, measurement: 'x', key: '' }).lines, ['x,site=s1 t=2 99']);
    assert.deepEqual(map({ keyTag: '' }, { value: 5, key: 'k' }).lines, ['m value=5 99']);
  });

  it('takes explicit points, their own measurement, tags and timestamp, and arrays of points and lines', () => {
    const r = map({}, { value: [{ measurement: 'p', tags: { a: 'b' }, fields: { count: 1 }, timestamp: 5 }, { fields: { v: 1 } }, 'lp v=1'], measurement: 'q' });
    assert.deepEqual(r.lines, ['p,a=b count=1i 5', 'q v=1 99', 'lp v=1']);
    assert.equal(r.stamped, false, 'a given line without timestamp');
  });

  it('gives each line the id of the point it writes, the same as for that line passed as text', () => {
    const m = new PointMapper(opts);
    const text = new PointMapper(opts);
    const inputs = [
      { value: { count: 2, avg: 1.5 }, key: 'k 1', window: { start: 1000, end: 2000 } },
      { value: { count: 3 }, key: 'k 1', window: { start: 1000, end: 2000 } },   // the same point again
      { value: { count: 3 }, key: 'k=2', window: { start: 1000, end: 2000 } },
      { value: { count: 3 }, key: 'k 1', window: { start: 2000, end: 3000 } },
      { value: [{ measurement: 'a b', tags: { 'x,y': 'z' }, fields: { v: 1 }, timestamp: 5 }, 'm,key=k\\ 1 v=2 1000'] },
    ];
    const ids = inputs.flatMap((input) => {
      const r = m.map(input as never, 99);
      return r.lines.map((line, i) => {
        assert.deepEqual(text.map({ value: line } as never, 99).points, [r.points[i]], line);
        return r.points[i];
      });
    });
    assert.equal(new Set(ids).size, 4, 'k 1 at 1000 three times, k=2, k 1 at 2000, a b');
    assert.equal(ids[0], ids[1]);
    assert.equal(ids[0], ids[5]);
    assert.ok(ids.every((id) => id !== 0));
    assert.deepEqual(text.map({ value: 'm v=1' } as never, 99).points, [0], 'a line without its own time is no point of another');
  });

  it('reports the bad elements of an array and keeps the good ones; refuses a message with nothing to write', () => {
    const r = map({}, { value: [{ fields: { v: 1 } }, { fields: { v: NaN } }, 42] });
    assert.deepEqual(r.lines, ['m v=1 99']);
    assert.deepEqual(r.errors.map((e) => e.message.slice(0, 9)), ['element 1', 'element 2']);
    assert.throws(() => map({}, { value: [] }), badPoint(/empty/));
    assert.throws(() => map({}, { value: null }), badPoint(/nothing to write/));
    assert.throws(() => map({}, { value: { v: 1 }, measurement: 5 }), badPoint(/not a string/));
  });
});
