/**
 * JSON without loss of numeric precision (SPEC §7.9): `JSON.parse` turns the int64 `1465584025523514964` into
 * `1465584025523515000`. Here an integer is a `number` while it is a safe integer and a `BigInt` beyond; a
 * number with a fraction or an exponent and more than 15 significant digits keeps its text as a `NumberText`
 * (a decimal column written as a JSON number), and the decoder that knows its schema decides what it becomes.
 *
 * The parser works at an offset (`parseAt`), so that an envelope whose schema text is already known can be
 * parsed from its payload on (see schema-cache.ts). A key "__proto__" becomes an own property, as with JSON.parse.
 */
import { EngineError } from '../errors';

/** A JSON number whose decimal digits a double cannot hold exactly. */
export class NumberText {
  constructor(readonly text: string) {}
  toNumber(): number { return Number(this.text); }
  toJSON(): number { return Number(this.text); }
}

let src = '';
let pos = 0;
/**
 * The property names of the last documents, by their place in the document: messages of one topic repeat them,
 * and a name that equals the one seen at the same place is that (already internalized) string, so V8 does not
 * look each new copy up again when it becomes a property.
 */
const keyAt: string[] = [];
let keyOrdinal = 0;
/** A key ordinal past the cache: a document parsed inside another (a Json column) leaves the cache alone. */
const KEYS_OFF = 1 << 30;
/** Set when the last parse produced at least one NumberText (schemaless output then converts them). */
let sawNumberText = false;

export interface ParseResult { value: unknown; end: number; numberTexts: boolean }

/** Parses the whole text. Throws EngineError('not-debezium') for text that is not JSON. */
export function parseJson(text: string): unknown {
  const r = parseAt(text, 0);
  if (r.end !== text.length) fail('unexpected text after the JSON value');
  return r.value;
}

/**
 * Parses one JSON value starting at `start` (leading whitespace allowed); `end` is the index after it and any
 * whitespace. It may run inside a read (a Json column decoded while its row is read): the reader's place is kept.
 */
export function parseAt(text: string, start: number): ParseResult {
  const outer = src;
  const outerPos = pos;
  const outerOrdinal = keyOrdinal;
  const outerSaw = sawNumberText;
  src = text;
  pos = start;
  sawNumberText = false;
  keyOrdinal = outer === '' ? 0 : KEYS_OFF;
  try {
    skipWs();
    const value = parseValue();
    skipWs();
    return { value, end: pos, numberTexts: sawNumberText };
  } finally {
    src = outer;
    pos = outerPos;
    keyOrdinal = outerOrdinal;
    sawNumberText = outerSaw || (outer !== '' && sawNumberText);
  }
}

// ---- reading a document whose shape the caller knows (connect-schema.ts) ----------------------------------
//
// The reader follows the text as Kafka Connect's JSON converter writes it: no whitespace between tokens. Each
// `read…` below consumes what it asks for and answers true or its value; when the text holds something else it
// consumes nothing and answers false or NOT_READ, and the caller takes the general way (readValue, or a parse).

/** What a `read…` of a value answers when the next token is not of its kind (nothing was consumed). */
export const NOT_READ: unique symbol = Symbol('not read');
export type NotRead = typeof NOT_READ;

/** Starts reading `text` at `start`. */
export function readFrom(text: string, start: number): void {
  src = text;
  pos = start;
  sawNumberText = false;
  keyOrdinal = 0;
}

/** Ends the read: the index after the last value read and any whitespace. */
export function readEnd(): number {
  skipWs();
  const end = pos;
  src = '';
  return end;
}

/** The next value, whatever it is, parsed (whitespace before it allowed). */
export function readValue(): unknown {
  skipWs();
  return parseValue();
}

/** Consumes `null` (after any whitespace) when it comes next. */
export function readNull(): boolean {
  skipWs();
  if (src.charCodeAt(pos) === 110 && src.startsWith('null', pos)) { pos += 4; return true; }
  return false;
}

/** Consumes `token` (`,"name":`, …) when the text goes on with exactly it. */
export function readToken(token: string): boolean {
  // A slice compared with === is a memory comparison; a loop over charCodeAt costs more, even for short tokens.
  if (src.slice(pos, pos + token.length) !== token) return false;
  pos += token.length;
  return true;
}

/** Consumes the character `code` (`{` 123, `}` 125) when it comes next. */
export function readChar(code: number): boolean {
  if (src.charCodeAt(pos) !== code) return false;
  pos++;
  return true;
}

/** A string. */
export function readString(): string | NotRead {
  return src.charCodeAt(pos) === 34 ? parseString() : NOT_READ;
}

/** `true` or `false`. */
export function readBoolean(): boolean | NotRead {
  const c = src.charCodeAt(pos);
  if (c === 116 && src.startsWith('true', pos)) { pos += 4; return true; }
  if (c === 102 && src.startsWith('false', pos)) { pos += 5; return false; }
  return NOT_READ;
}

/** An integer written without a fraction or an exponent: a number while safe, else a BigInt (as parseJson gives it). */
export function readInteger(): number | bigint | NotRead {
  const start = pos;
  const digits = scanInteger();
  return digits < 0 ? NOT_READ : numberFrom(start, digits) as number | bigint;
}

/** An integer that is a safe integer (int8, int16, int32: a BigInt is left for the decoder to refuse). */
export function readSafeInteger(): number | NotRead {
  const start = pos;
  const digits = scanInteger();
  if (digits >= 0 && digits <= 16 && Number.isSafeInteger(scannedValue)) return scannedValue;
  pos = start;
  return NOT_READ;
}

/** Any JSON number, as the double nearest to it (a float column's value). */
export function readDouble(): number | NotRead {
  if (!atNumber()) return NOT_READ;
  const start = pos;
  const digits = scanNumber();
  return scannedInteger && digits <= 15 ? scannedValue : +src.slice(start, pos);
}

/** Consumes an integer (no fraction, no exponent) when one comes next, without making its value. */
export function skipInteger(): boolean {
  return scanInteger() >= 0;
}

/** Consumes a string without escapes when one comes next, without making it (one with escapes is left to readString). */
export function skipString(): boolean {
  if (src.charCodeAt(pos) !== 34) return false;
  for (let i = pos + 1; ; i++) {
    const c = src.charCodeAt(i);
    if (c === 34) { pos = i + 1; return true; }
    if (c === 92 || Number.isNaN(c)) return false;
  }
}

function fail(what: string): never {
  throw new EngineError('not-debezium', `not JSON: ${what} at offset ${pos}`);
}

function skipWs(): void {
  let c = src.charCodeAt(pos);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = src.charCodeAt(++pos);
}

function parseValue(): unknown {
  const c = src.charCodeAt(pos);
  if (c === 123) return parseObject();
  if (c === 34) return parseString();
  if (c === 91) return parseArray();
  if (c === 45 || (c >= 48 && c <= 57)) return parseNumber();
  if (c === 110 && src.startsWith('null', pos)) { pos += 4; return null; }
  if (c === 116 && src.startsWith('true', pos)) { pos += 4; return true; }
  if (c === 102 && src.startsWith('false', pos)) { pos += 5; return false; }
  return fail(Number.isNaN(c) ? 'unexpected end' : `unexpected character ${JSON.stringify(src[pos])}`);
}

function parseObject(): Record<string, unknown> {
  pos++;
  const o: Record<string, unknown> = {};
  skipWs();
  if (src.charCodeAt(pos) === 125) { pos++; return o; }
  for (;;) {
    if (src.charCodeAt(pos) !== 34) fail('expected a property name');
    const known = keyAt[keyOrdinal];
    let k: string;
    if (known !== undefined && sameKey(known)) {
      k = known;
      pos += known.length + 2;
    } else {
      k = parseString();
      if (keyOrdinal < 4096) keyAt[keyOrdinal] = k;
    }
    keyOrdinal++;
    skipWs();
    if (src.charCodeAt(pos) !== 58) fail("expected ':'");
    pos++;
    skipWs();
    const v = parseValue();
    if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    else o[k] = v;
    skipWs();
    const c = src.charCodeAt(pos++);
    if (c === 44) { skipWs(); continue; }
    if (c === 125) return o;
    pos--;
    fail("expected ',' or '}'");
  }
}

/** Whether the property name at `pos` (a quote) is `known`, compared in place (no string made). */
function sameKey(known: string): boolean {
  const n = known.length;
  if (src.charCodeAt(pos + n + 1) !== 34) return false;
  for (let i = 0; i < n; i++) if (src.charCodeAt(pos + 1 + i) !== known.charCodeAt(i)) return false;
  return true;
}

function parseArray(): unknown[] {
  pos++;
  const a: unknown[] = [];
  skipWs();
  if (src.charCodeAt(pos) === 93) { pos++; return a; }
  for (;;) {
    a.push(parseValue());
    skipWs();
    const c = src.charCodeAt(pos++);
    if (c === 44) { skipWs(); continue; }
    if (c === 93) return a;
    pos--;
    fail("expected ',' or ']'");
  }
}

function parseString(): string {
  const start = pos + 1;
  const end = src.indexOf('"', start);
  if (end < 0) { pos = src.length; fail('unterminated string'); }
  // Look for a backslash up to the quote only (an indexOf on the whole text would scan to its end).
  const s = src.slice(start, end);
  const bs = s.indexOf('\\');
  if (bs < 0) { pos = end + 1; return s; }
  return parseEscaped(start, start + bs);
}

/**
 * A string with escapes, from `start` (after the quote); `bs` is the first backslash. JSON.parse reads the string
 * literal as this parser would (escapes, surrogates); what it refuses (a raw control character, which this parser
 * lets through, or a bad escape, which it reports) takes the path character by character.
 */
function parseEscaped(start: number, bs: number): string {
  let i = bs;
  for (let c = src.charCodeAt(i); c !== 34; c = src.charCodeAt(i)) {
    if (Number.isNaN(c)) return unescape(start, bs);
    i += c === 92 ? 2 : 1;
  }
  try {
    const s = JSON.parse(src.slice(start - 1, i + 1)) as string;
    pos = i + 1;
    return s;
  } catch {
    return unescape(start, bs);
  }
}

function unescape(start: number, bs: number): string {
  let out = src.slice(start, bs);
  let i = bs;
  for (;;) {
    const c = src.charCodeAt(i);
    if (Number.isNaN(c)) { pos = i; fail('unterminated string'); }
    if (c === 34) { pos = i + 1; return out; }
    if (c !== 92) {
      const next = nextSpecial(i);
      out += src.slice(i, next);
      i = next;
      continue;
    }
    const e = src.charCodeAt(i + 1);
    switch (e) {
      case 34: out += '"'; break;
      case 92: out += '\\'; break;
      case 47: out += '/'; break;
      case 98: out += '\b'; break;
      case 102: out += '\f'; break;
      case 110: out += '\n'; break;
      case 114: out += '\r'; break;
      case 116: out += '\t'; break;
      case 117: {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) { pos = i; fail('invalid \\u escape'); }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      default: pos = i; fail('invalid escape');
    }
    i += 2;
  }
}

function nextSpecial(i: number): number {
  const q = src.indexOf('"', i);
  if (q < 0) return src.length;
  const b = src.slice(i, q).indexOf('\\');
  return b >= 0 ? i + b : q;
}

/** A number (its sign or first digit) comes next. */
function atNumber(): boolean {
  const c = src.charCodeAt(pos);
  return c === 45 || (c >= 48 && c <= 57);
}

/** Moves past the integer (no fraction, no exponent) that comes next and answers its count of digits; -1, nothing consumed, when none does. */
function scanInteger(): number {
  if (!atNumber()) return -1;
  const start = pos;
  const digits = scanNumber();
  if (scannedInteger) return digits;
  pos = start;
  return -1;
}

/** Set by scanNumber: the number had neither a fraction nor an exponent, and its value when it has at most 16 digits. */
let scannedInteger = false;
let scannedValue = 0;

/**
 * Moves past the number at `pos`; answers its count of digits (integer and fraction parts). The integer part is
 * summed up digit by digit on the way (no slice, no string conversion): every partial sum is below the total, so
 * `scannedValue` is exact while the total is a safe integer, which it is up to 15 digits and may be at 16.
 */
function scanNumber(): number {
  let c = src.charCodeAt(pos);
  const neg = c === 45;
  if (neg) c = src.charCodeAt(++pos);
  const intStart = pos;
  let n = 0;
  if (c === 48) c = src.charCodeAt(++pos);
  else if (c >= 49 && c <= 57) {
    do { n = n * 10 + (c - 48); c = src.charCodeAt(++pos); } while (c >= 48 && c <= 57);
  } else fail('invalid number');
  let digits = pos - intStart;
  scannedValue = neg ? -n : n;
  scannedInteger = true;
  if (c === 46) {
    scannedInteger = false;
    const f = ++pos;
    c = src.charCodeAt(pos);
    while (c >= 48 && c <= 57) c = src.charCodeAt(++pos);
    if (pos === f) fail('invalid number');
    digits += pos - f;
  }
  if (c === 101 || c === 69) {
    scannedInteger = false;
    c = src.charCodeAt(++pos);
    if (c === 43 || c === 45) c = src.charCodeAt(++pos);
    const e = pos;
    while (c >= 48 && c <= 57) c = src.charCodeAt(++pos);
    if (pos === e) fail('invalid number');
  }
  return digits;
}

/** The number scanned from `start`: a double, a BigInt beyond 2^53, or a NumberText for digits a double cannot hold. */
function numberFrom(start: number, digits: number): unknown {
  if (scannedInteger && digits <= 16 && Number.isSafeInteger(scannedValue)) return scannedValue;
  const text = src.slice(start, pos);
  if (scannedInteger) return BigInt(text);
  if (digits <= 15) return +text;
  // Leading zeros of a fraction (0.000123…) are not significant.
  if (digits - leadingZeros(start) <= 15) return +text;
  sawNumberText = true;
  return new NumberText(text);
}

function parseNumber(): unknown {
  const start = pos;
  return numberFrom(start, scanNumber());
}

/** The zeros before the first significant digit of the number at `i` (its sign and point skipped). */
function leadingZeros(i: number): number {
  let n = 0;
  for (let c = src.charCodeAt(i); c === 45 || c === 46 || c === 48; c = src.charCodeAt(++i)) if (c === 48) n++;
  return n;
}

/** Replaces every NumberText in a parsed value by its double (for output that no schema describes). */
export function plainNumbers(v: unknown): unknown {
  if (v instanceof NumberText) return v.toNumber();
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = plainNumbers(v[i]);
    return v;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = plainNumbers(o[k]);
  }
  return v;
}

/** `numberTexts` of the last parse, for callers of parseJson. */
export function lastParseHadNumberTexts(): boolean {
  return sawNumberText;
}
