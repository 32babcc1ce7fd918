/**
 * Kafka Connect schemas as the JSON converter writes them (`{"type":"struct","fields":[…],"optional":…,
 * "name":…}`), compiled once into a decoder for the payload they describe. Logical types are recognised by the
 * schema `name` (SPEC §7.9, logical-types.ts); everything else decodes by its Connect type. A payload value that
 * does not match its schema (wrong JSON type, a missing required field, a field the schema does not have) is
 * an EngineError('schema-mismatch') that names the field.
 */
import { EngineError } from '../errors';
import { logicalConversion, logicalDecoder } from './logical-types';
import {
  NOT_READ, NumberText, readBoolean, readChar, readDouble, readInteger, readSafeInteger, readString, readToken, readValue,
  skipInteger, skipString, type NotRead,
} from './lossless-json';

export interface ConnectSchema {
  type: string;
  optional?: boolean;
  name?: string;
  version?: number;
  parameters?: Record<string, string>;
  default?: unknown;
  field?: string;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  keys?: ConnectSchema;
  values?: ConnectSchema;
  doc?: string;
}

/** Decodes one payload value; `warn` collects non-fatal notes (a Json column that is not JSON). */
export type Decode = (v: unknown, warn: Warn) => unknown;
export type Warn = (note: string) => void;
/** Reads and decodes the value at the JSON reader's place (lossless-json.ts `readFrom`). */
export type Read = (warn: Warn) => unknown;

export class SchemaMismatch extends EngineError {
  constructor(readonly path: string, readonly detail: string) {
    super('schema-mismatch', `payload does not match its schema at ${path || 'the top level'}: ${detail}`);
  }
}

const mismatch = (path: string, detail: string): never => { throw new SchemaMismatch(path, detail); };
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

export function isConnectSchema(s: unknown): s is ConnectSchema {
  return s !== null && typeof s === 'object' && typeof (s as ConnectSchema).type === 'string';
}

/**
 * Compiles `schema` (found at `path`, for error messages) into a decoder; throws for a schema it cannot read.
 * `partial` names struct fields whose rows may leave columns out: the `before` of an update or delete under
 * REPLICA IDENTITY DEFAULT is the key columns only in Debezium's documentation. An absent column is left out of
 * such a row; a column present as null is still checked.
 */
export function compileSchema(schema: ConnectSchema, path = '', partial?: ReadonlySet<string>, skipAbsent = false): Decode {
  if (!isConnectSchema(schema)) mismatch(path, 'the schema has no type');
  const base = schema.type === 'struct' ? compileStruct(schema, path, partial, skipAbsent) : compileType(schema, path);
  const logical = schema.name ? logicalDecoder(schema, base, path) : undefined;
  const decode = logical ?? base;
  const optional = schema.optional === true;
  const fallback = schema.default;
  return (v, warn) => {
    if (v === null || v === undefined) {
      if (optional) return null;
      if (fallback !== undefined && fallback !== null) return decode(fallback, warn);
      return mismatch(path, 'a required value is null');
    }
    return decode(v, warn);
  };
}

function compileType(s: ConnectSchema, path: string): Decode {
  switch (s.type) {
    case 'int8': case 'int16': case 'int32':
      return (v) => (typeof v === 'number' && Number.isInteger(v) ? v : mismatch(path, `expected an integer, got ${describe(v)}`));
    case 'int64':
      return (v) => (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))
        ? v : mismatch(path, `expected an int64, got ${describe(v)}`));
    case 'float': case 'float32': case 'double': case 'float64':
      return decodeFloat(path);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : mismatch(path, `expected a boolean, got ${describe(v)}`));
    case 'string':
      return (v) => (typeof v === 'string' ? v : mismatch(path, `expected a string, got ${describe(v)}`));
    case 'bytes':
      return (v) => (typeof v === 'string' ? Buffer.from(v, 'base64') : mismatch(path, `expected base64 bytes, got ${describe(v)}`));
    case 'array': {
      if (!isConnectSchema(s.items)) return mismatch(path, 'an array schema without items');
      const item = compileSchema(s.items, `${path}[]`);
      return (v, warn) => {
        if (!Array.isArray(v)) return mismatch(path, `expected an array, got ${describe(v)}`);
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = item(v[i], warn);
        return out;
      };
    }
    case 'map':
      return compileMap(s, path);
    default:
      return mismatch(path, `unknown schema type "${s.type}"`);
  }
}

/** Floats: a number, a long decimal kept as text, or the strings Jackson writes for NaN and the infinities. */
function decodeFloat(path: string): Decode {
  return (v) => {
    if (typeof v === 'number') return v;
    if (v instanceof NumberText) return v.toNumber();
    if (typeof v === 'bigint') return Number(v);
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    return mismatch(path, `expected a number, got ${describe(v)}`);
  };
}

/** Maps with string keys are JSON objects; any other key type travels as an array of [key, value] pairs. */
function compileMap(s: ConnectSchema, path: string): Decode {
  if (!isConnectSchema(s.keys) || !isConnectSchema(s.values)) return mismatch(path, 'a map schema without keys or values');
  const key = compileSchema(s.keys, `${path}{key}`);
  const value = compileSchema(s.values, `${path}{}`);
  if (s.keys.type === 'string') {
    return (v, warn) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return mismatch(path, `expected an object, got ${describe(v)}`);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = value((v as Record<string, unknown>)[k], warn);
      return out;
    };
  }
  return (v, warn) => {
    if (!Array.isArray(v)) return mismatch(path, `expected an array of [key, value] pairs, got ${describe(v)}`);
    return v.map((pair) => (Array.isArray(pair) && pair.length === 2
      ? [key(pair[0], warn), value(pair[1], warn)] : mismatch(path, 'expected a [key, value] pair')));
  };
}

function compileStruct(s: ConnectSchema, path: string, partial: ReadonlySet<string> | undefined, skipAbsent: boolean): Decode {
  if (!Array.isArray(s.fields)) return mismatch(path, 'a struct schema without fields');
  const names: string[] = [];
  const decoders: Decode[] = [];
  for (const f of s.fields) {
    if (!isConnectSchema(f) || typeof f.field !== 'string') return mismatch(path, 'a struct field without a name or type');
    names.push(f.field);
    decoders.push(compileSchema(f, path ? `${path}.${f.field}` : f.field, undefined, partial?.has(f.field) === true));
  }
  return structDecoder(names, decoders, path, skipAbsent);
}

function structDecoder(names: string[], decoders: Decode[], path: string, skipAbsent: boolean): Decode {
  const known = new Set(names);
  const n = names.length;
  return (v, warn) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return mismatch(path, `expected an object, got ${describe(v)}`);
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let present = n;
    for (let i = 0; i < n; i++) {
      const x = o[names[i]];
      if (x === undefined) {
        present--;
        if (skipAbsent) continue;
      }
      out[names[i]] = decoders[i](x, warn);
    }
    let count = 0;
    for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) count++;
    if (count > present) {
      const extra = Object.keys(o).find((k) => !known.has(k));
      if (extra !== undefined) mismatch(path, `field "${extra}" is not in the schema`);
    }
    return out;
  };
}

/**
 * The text written otherwise than the converter writes it (fields in another order, some left out): reading by
 * the schema stops, and the caller decodes the parsed document instead.
 */
export class NotCanonical extends Error {}
/** One instance, thrown again and again: making an Error (its stack trace) costs more than the read it ends. */
const NOT_CANONICAL = new NotCanonical('not written as the JSON converter writes it');
const notCanonical = (): never => { throw NOT_CANONICAL; };

/**
 * The fields of a struct that its reader keeps (`true`: the whole value; a FieldSet: those of a struct value). A
 * field left out is still read and checked against its schema (a mismatch is refused as before), but no value is
 * made of it, and the row does not have it: the envelope's metadata that no record takes costs only its scan.
 */
export interface FieldSet { readonly [field: string]: FieldSet | true }

/**
 * Compiles `schema` into a reader that decodes its payload straight from the JSON text, as Kafka Connect's JSON
 * converter writes it: struct fields in schema order, every one present, no whitespace between them. A value of
 * the kind its Connect type says (an integer for int32, a string for bytes, `{` for a struct) is read as that
 * kind and converted by its logical type, with no parsed value in between; anything else (null, a default, a
 * mismatch, an array or a map) is parsed and given to the decoder of compileSchema, so that both ways decode a
 * value alike. Structs not written as the converter writes them throw NotCanonical. `keep` names the fields of
 * a struct schema to keep (all when undefined).
 */
export function compileReader(schema: ConnectSchema, path = '', keep?: FieldSet): Read {
  const decode = compileSchema(schema, path);
  const read = schema.type === 'struct' && Array.isArray(schema.fields) ? structReader(schema.fields, path, keep) : tokenReader(schema.type);
  if (read === undefined) return (warn) => decode(readValue(), warn);
  const convert = schema.name ? logicalConversion(schema, path) : undefined;
  if (convert === undefined) {
    return (warn) => {
      const v = read(warn);
      return v === NOT_READ ? decode(readValue(), warn) : v;
    };
  }
  return (warn) => {
    const v = read(warn);
    return v === NOT_READ ? decode(readValue(), warn) : convert(v, warn);
  };
}

/** A reader of the value of Connect type `type`, as compileType decodes it (a number, a string, a Buffer), or NOT_READ. */
function tokenReader(type: string): Read | undefined {
  switch (type) {
    case 'int8': case 'int16': case 'int32': return readSafeInteger;
    case 'int64': return readInteger;
    case 'float': case 'float32': case 'double': case 'float64': return readDouble;
    case 'boolean': return readBoolean;
    case 'string': return readString;
    case 'bytes': return readBytes;
    default: return undefined;
  }
}

function readBytes(): Uint8Array | NotRead {
  const v = readString();
  return v === NOT_READ ? v : Buffer.from(v, 'base64');
}

/**
 * A reader that checks a value of `schema` and keeps nothing: an int64 or a plain string is only scanned; anything
 * else (a logical type, whose conversion may note a warning; a value the scan does not take) is read in full.
 */
function skipReader(schema: ConnectSchema, path: string): Read {
  const read = compileReader(schema, path);
  const skip = schema.name ? undefined : schema.type === 'int64' ? skipInteger : schema.type === 'string' ? skipString : undefined;
  return skip === undefined ? read : (warn) => (skip() ? undefined : read(warn));
}

/** A struct's fields, each `"name":` then its value, read into a row (the fields in `keep` only, when given). */
function structReader(fields: ConnectSchema[], path: string, keep: FieldSet | undefined): Read {
  const names: string[] = [];
  const keys: string[] = [];
  const readers: Read[] = [];
  const kept: boolean[] = [];
  for (const f of fields) {
    const name = String(f.field);
    const at = path ? `${path}.${name}` : name;
    const k = keep === undefined ? true : Object.prototype.hasOwnProperty.call(keep, name) ? keep[name] : undefined;
    names.push(name);
    keys.push(`${keys.length > 0 ? ',' : ''}${JSON.stringify(name)}:`);
    readers.push(k === undefined ? skipReader(f, at) : compileReader(f, at, k === true ? undefined : k));
    kept.push(k !== undefined);
  }
  const n = names.length;
  return (warn) => {
    if (!readChar(123)) return NOT_READ;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      if (!readToken(keys[i])) return notCanonical();
      const v = readers[i](warn);
      if (kept[i]) out[names[i]] = v;
    }
    return readChar(125) ? out : notCanonical();
  };
}
