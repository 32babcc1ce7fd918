/** Lossless JSON and the logical types of SPEC §7.9, one by one. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NumberText, parseJson } from '../../../src/engine';
import { compileReader, compileSchema, type ConnectSchema } from '../../../src/engine/cdc/connect-schema';
import { decimalFromNumber, formatScaled, unscaledFromBytes } from '../../../src/engine/cdc/decimal';
import { schemaForHint } from '../../../src/engine/cdc/logical-types';
import { readEnd, readFrom } from '../../../src/engine/cdc/lossless-json';
import { formatDate, formatMicros, formatMillis, formatNanos } from '../../../src/engine/cdc/temporal';
import { jsonText } from '../../fixtures/debezium';

describe('engine: lossless JSON', () => {
  it('parses what JSON.parse parses, to the same value, for numbers a double holds exactly (integers beyond 2^53 aside)', () => {
    const safe = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.string(), fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => Number(d.toPrecision(15)))
          .filter((d) => !(Number.isInteger(d) && !Number.isSafeInteger(d))),
        fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(fc.property(safe, fc.boolean(), (v, pretty) => {
      const text = JSON.stringify(v, null, pretty ? 2 : undefined);
      assert.deepEqual(parseJson(text), JSON.parse(text));
    }), { numRuns: 1000 });
  });

  it('keeps int64 beyond 2^53 as BigInt and safe integers as numbers', () => {
    assert.deepEqual(parseJson('[1465584025523514964,-9223372036854775808,9007199254740991,9007199254740992,1709214306123456]'),
      [1465584025523514964n, -9223372036854775808n, 9007199254740991, 9007199254740992n, 1709214306123456]);
  });

  it('keeps the digits of a decimal a double cannot hold, and nothing else', () => {
    const v = parseJson('[12345678901234567.25,0.1,1.5e300,0.000000000000000001,3.141592653589793]') as unknown[];
    assert.ok(v[0] instanceof NumberText && v[0].text === '12345678901234567.25');
    assert.deepEqual(v.slice(1, 4), [0.1, 1.5e300, 1e-18]);
    assert.ok(v[4] instanceof NumberText, '16 significant digits');
  });

  it('reads escapes, unicode and "__proto__" as JSON.parse does', () => {
    const text = '{"a\\"b":"\\u00e9\\n\\t\\\\\\/","__proto__":{"x":1},"ü":"😀"}';
    const v = parseJson(text) as Record<string, unknown>;
    assert.deepEqual(v, JSON.parse(text));
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });

  for (const bad of ['', '{', '{"a":}', '[1,]', '01', '1.', '"x', '{"a":1}}', 'nul', '{"a" 1}', '"\\x"']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseJson(bad), /not JSON/));
  }
});

describe('engine: dates and times', () => {
  it('render as Date#toISOString does, over the whole range of a Date, with 6 and 9 fraction digits', () => {
    fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => formatMillis(ms) === new Date(ms).toISOString()), { numRuns: 2000 });
    fc.assert(fc.property(fc.integer({ min: -1e8, max: 1e8 }), (d) => formatDate(d) === new Date(d * 86400000).toISOString().slice(0, 10 + (d < -719528 || d > 2932896 ? 3 : 0))), { numRuns: 2000 });
    fc.assert(fc.property(fc.bigInt({ min: -(8640n * 10n ** 15n), max: 8640n * 10n ** 15n }), (us) => {
      const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
      const iso = `${new Date(Number(ms)).toISOString().slice(0, -1)}${(us - ms * 1000n).toString().padStart(3, '0')}Z`;
      return formatMicros(us) === iso && (!Number.isSafeInteger(Number(us)) || formatMicros(Number(us)) === iso)
        && formatNanos(us * 1000n + 7n) === `${iso.slice(0, -1)}007Z`;
    }), { numRuns: 2000 });
  });
});

describe('engine: decimals', () => {
  it('reads big-endian two\'s-complement bytes (SPEC: "AIA=" at scale 2 is 1.28)', () => {
    const dec = (b64: string, scale: number) => formatScaled(unscaledFromBytes(Buffer.from(b64, 'base64')), scale);
    assert.equal(dec('AIA=', 2), '1.28');
    assert.equal(dec('/w==', 2), '-0.01');
    assert.equal(dec('', 3), '0.000');
    assert.equal(dec(Buffer.from('ff7f', 'hex').toString('base64'), 0), '-129');
    const big = 123456789012345678901234567890n;
    const hex = big.toString(16).padStart(26, '0');
    assert.equal(formatScaled(unscaledFromBytes(Buffer.from(hex, 'hex')), 10), '12345678901234567890.1234567890');
    assert.equal(formatScaled(unscaledFromBytes(Buffer.from((2n ** 104n - big).toString(16), 'hex')), 10), '-12345678901234567890.1234567890');
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (b) => {
      const unsigned = BigInt(`0x${Buffer.from(b).toString('hex')}`);
      const expected = b[0] >= 0x80 ? unsigned - (1n << BigInt(8 * b.length)) : unsigned;
      return BigInt(unscaledFromBytes(b)) === expected;
    }), { numRuns: 2000 });
  });

  it('scales with exactly `scale` fraction digits; a negative scale multiplies', () => {
    assert.equal(formatScaled(5, 3), '0.005');
    assert.equal(formatScaled(-5, 3), '-0.005');
    assert.equal(formatScaled(12, -2), '1200');
    assert.equal(formatScaled(0, -2), '0');
  });

  it('reads decimal.format=NUMERIC numbers exactly, exponents included', () => {
    assert.equal(decimalFromNumber(12345.678, 3), '12345.678');
    assert.equal(decimalFromNumber(1.5, 3), '1.500');
    assert.equal(decimalFromNumber(new NumberText('12345678901234567.25'), 2), '12345678901234567.25');
    assert.equal(decimalFromNumber(new NumberText('1.2345678901234567E+5'), 12), '123456.789012345670');
    assert.equal(decimalFromNumber(1e-7, 7), '0.0000001');
    assert.equal(decimalFromNumber(-0.5, 1), '-0.5');
    assert.equal(decimalFromNumber(7n, 0), '7');
  });
});

describe('engine: logical types', () => {
  const dec = (schema: Partial<ConnectSchema>, v: unknown, notes: string[] = []) =>
    compileSchema({ optional: true, ...schema } as ConnectSchema, 'col')(v, (n) => notes.push(n));
  const named = (type: string, name: string, parameters?: Record<string, string>) => ({ type, name, parameters });

  const cases: [string, Partial<ConnectSchema>, unknown, unknown][] = [
    ['Decimal (bytes)', named('bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '3' }), 'ALxhTg==', '12345.678'],
    ['Decimal (NUMERIC)', named('bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '2' }), 3.1, '3.10'],
    ['VariableScaleDecimal', { type: 'struct', name: 'io.debezium.data.VariableScaleDecimal',
      fields: [{ type: 'int32', field: 'scale' }, { type: 'bytes', field: 'value' }] }, { scale: 20, value: 'EQfV61tbpNfG' }, '3.14159265358979323846'],
    ['Date', named('int32', 'io.debezium.time.Date'), 19782, '2024-02-29'],
    ['Date before 1970', named('int32', 'io.debezium.time.Date'), -1, '1969-12-31'],
    ['Connect Date', named('int32', 'org.apache.kafka.connect.data.Date'), 0, '1970-01-01'],
    ['Time', named('int32', 'io.debezium.time.Time'), 3723456, '01:02:03.456'],
    ['MicroTime', named('int64', 'io.debezium.time.MicroTime'), 49506123456, '13:45:06.123456'],
    ['MicroTime 24:00', named('int64', 'io.debezium.time.MicroTime'), 86400000000, '24:00:00.000000'],
    ['NanoTime', named('int64', 'io.debezium.time.NanoTime'), 49506123456789, '13:45:06.123456789'],
    ['Connect Time', named('int32', 'org.apache.kafka.connect.data.Time'), 1, '00:00:00.001'],
    ['Timestamp', named('int64', 'io.debezium.time.Timestamp'), 1709214306789, '2024-02-29T13:45:06.789Z'],
    ['Connect Timestamp', named('int64', 'org.apache.kafka.connect.data.Timestamp'), 0, '1970-01-01T00:00:00.000Z'],
    ['MicroTimestamp', named('int64', 'io.debezium.time.MicroTimestamp'), 1709214306123456, '2024-02-29T13:45:06.123456Z'],
    ['MicroTimestamp before 1970', named('int64', 'io.debezium.time.MicroTimestamp'), -1, '1969-12-31T23:59:59.999999Z'],
    ['NanoTimestamp', named('int64', 'io.debezium.time.NanoTimestamp'), 1709214306123456789n, '2024-02-29T13:45:06.123456789Z'],
    ['NanoTimestamp before 1970', named('int64', 'io.debezium.time.NanoTimestamp'), -1n, '1969-12-31T23:59:59.999999999Z'],
    ['timestamp infinity', named('int64', 'io.debezium.time.MicroTimestamp'), 9223372036825200000n, 'infinity'],
    ['timestamp -infinity', named('int64', 'io.debezium.time.MicroTimestamp'), -9223372036832400000n, '-infinity'],
    ['ZonedTimestamp', named('string', 'io.debezium.time.ZonedTimestamp'), '2024-02-29T11:45:06.123456Z', '2024-02-29T11:45:06.123456Z'],
    ['ZonedTime', named('string', 'io.debezium.time.ZonedTime'), '11:45:06Z', '11:45:06Z'],
    ['MicroDuration', named('int64', 'io.debezium.time.MicroDuration'), 3600000000, 3600000000],
    ['Json', named('string', 'io.debezium.data.Json'), '{"n": 12345678901234567890, "x": [true]}', { n: 12345678901234567890n, x: [true] }],
    ['Uuid', named('string', 'io.debezium.data.Uuid'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['Xml', named('string', 'io.debezium.data.Xml'), '<a/>', '<a/>'],
    ['Ltree', named('string', 'io.debezium.data.Ltree'), 'a.b', 'a.b'],
    ['Enum', named('string', 'io.debezium.data.Enum', { allowed: 'sad,ok,happy' }), 'ok', 'ok'],
    ['EnumSet', named('string', 'io.debezium.data.EnumSet', { allowed: 'a,b,c' }), 'a,c', ['a', 'c']],
    ['empty EnumSet', named('string', 'io.debezium.data.EnumSet'), '', []],
    ['Geometry', { type: 'struct', name: 'io.debezium.data.geometry.Geometry',
      fields: [{ type: 'bytes', field: 'wkb' }, { type: 'int32', field: 'srid', optional: true }] },
    { wkb: 'AQEAAAA=', srid: 4326 }, { wkb: Buffer.from('AQEAAAA=', 'base64'), srid: 4326 }],
    ['Point', { type: 'struct', name: 'io.debezium.data.geometry.Point', fields: [{ type: 'double', field: 'x' },
      { type: 'double', field: 'y' }, { type: 'bytes', field: 'wkb', optional: true }, { type: 'int32', field: 'srid', optional: true }] },
    { x: 1.5, y: -2, wkb: 'AQ==', srid: null }, { x: 1.5, y: -2, srid: null }],
    ['bytes', { type: 'bytes' }, '3q2+7w==', Buffer.from('deadbeef', 'hex')],
    ['Bits', named('bytes', 'io.debezium.data.Bits', { length: '8' }), 'BQ==', Buffer.from([5])],
    ['int64 beyond 2^53', { type: 'int64' }, 9007199254740993n, 9007199254740993n],
    ['float NaN (written as a string by Jackson)', { type: 'double' }, 'NaN', NaN],
    ['float -Infinity', { type: 'float' }, '-Infinity', -Infinity],
    ['array of int16', { type: 'array', items: { type: 'int16' } as ConnectSchema }, [1, 2], [1, 2]],
    ['map with string keys', { type: 'map', keys: { type: 'string' } as ConnectSchema, values: { type: 'int32' } as ConnectSchema }, { a: 1 }, { a: 1 }],
    ['map with int keys', { type: 'map', keys: { type: 'int32' } as ConnectSchema, values: { type: 'string' } as ConnectSchema }, [[1, 'a']], [[1, 'a']]],
  ];
  for (const [name, schema, wire, decoded] of cases) {
    it(`decodes ${name}`, () => assert.deepEqual(dec(schema, wire), decoded));
  }

  /** What the reader of `schema` makes of `text`, read straight from it as the decoder reads a cached schema's payload. */
  const read = (schema: Partial<ConnectSchema>, text: string, notes: string[] = []) => {
    readFrom(text, 0);
    try {
      return compileReader({ optional: true, ...schema } as ConnectSchema, 'col')((n) => notes.push(n));
    } finally {
      readEnd();
    }
  };

  it('reads every case straight from the JSON text to what it decodes from the parsed value', () => {
    for (const [name, schema, wire, decoded] of cases) assert.deepEqual(read(schema, jsonText(wire)), decoded, name);
    for (const [, schema] of cases) assert.equal(read(schema, 'null'), null);
  });

  it('reads numbers from the text as from the parsed value: at and beyond 2^53, fractions, exponents, -0', () => {
    const numbers = ['0', '-0', '7', '-12', '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
      '1234567890123456', '12345678901234567', '99999999999999999999', '1.0', '2.5', '-0.0', '1e3', '1E+2', '0.30000000000000004',
      '3.14159265358979323846', '123456789012345678.5', '1e400', '-1e-400'];
    for (const type of ['int8', 'int16', 'int32', 'int64', 'float', 'double']) {
      for (const text of numbers) {
        let fromText: unknown;
        let parsed: unknown;
        try { fromText = read({ type }, text); } catch (err) { fromText = (err as Error).message; }
        try { parsed = dec({ type }, parseJson(text)); } catch (err) { parsed = (err as Error).message; }
        assert.deepEqual(fromText, parsed, `${type} ${text}`);
      }
    }
    assert.equal(read({ type: 'int64' }, '9007199254740993'), 9007199254740993n);
    assert.ok(Object.is(read({ type: 'double' }, '-0'), -0));
  });

  it('refuses on the text what it refuses parsed, naming the field', () => {
    const wrong: [Partial<ConnectSchema>, string][] = [[{ type: 'int32' }, '"1"'], [{ type: 'int32' }, '1.5'], [{ type: 'int32' }, '9007199254740993'],
      [{ type: 'boolean' }, '1'], [{ type: 'string' }, 'true'], [{ type: 'bytes' }, '[]'],
      [named('int32', 'io.debezium.time.Date'), '"2024-02-29"'], [named('bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '2' }), 'true'],
      [{ type: 'int64', optional: false }, 'null']];
    for (const [schema, text] of wrong) assert.throws(() => read(schema, text), /^.*col: /, text);
  });

  it('gives null for a null optional value of any type', () => {
    for (const [, schema] of cases) assert.equal(dec(schema, null), null);
  });

  it('keeps a Json column that is not JSON as text, with a note', () => {
    const notes: string[] = [];
    assert.equal(dec(named('string', 'io.debezium.data.Json'), '{oops', notes), '{oops');
    assert.deepEqual(notes, ['col: not valid JSON, kept as text']);
  });

  it('takes the default of a required field that is null, and refuses a required null without one', () => {
    assert.equal(compileSchema({ type: 'string', optional: false, default: 'false' })(null, () => {}), 'false');
    assert.throws(() => compileSchema({ type: 'string', optional: false }, 'source.db')(null, () => {}), /source\.db: a required value is null/);
  });

  it('reads columnTypes hints: short names, full names, Decimal with its scale', () => {
    assert.deepEqual(schemaForHint('Decimal(2)'), { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', optional: true, parameters: { scale: '2' } });
    assert.equal(schemaForHint('io.debezium.time.MicroTimestamp').name, 'io.debezium.time.MicroTimestamp');
    assert.equal(schemaForHint('microtimestamp').name, 'io.debezium.time.MicroTimestamp');
    assert.equal(schemaForHint(' bytes ').type, 'bytes');
    assert.throws(() => schemaForHint('Decimal(x)'), /unknown column type/);
  });
});
