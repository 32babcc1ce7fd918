/**
 * Debezium change events → canonical records (SPEC §7). One decoder takes every form a Kafka record can have:
 *
 *   - the full envelope with schemas (`{"schema":…,"payload":{before, after, source, op, …}}`), decoded with
 *     its schema: typed columns, exact int64 and decimals;
 *   - the payload alone (`schemas.enable=false`), typed only where `columnTypes` says so;
 *   - the ExtractNewRecordState ("unwrap") output: a flat row with `__op`, `__deleted`, `__table`,
 *     `__source_ts_ms`, … (the prefix is the transform's `add.fields.prefix`);
 *   - tombstones (a null or empty value), transaction BEGIN/END events, heartbeats.
 *
 * Values and keys may be JSON text, a Buffer of it, or an already parsed object (then int64 beyond 2^53 has
 * lost its digits before it got here). Anything else — text that is not JSON, an unknown `op`, a payload its
 * schema does not describe — is an EngineError, and the decoder stays usable for the next message.
 */
import { EngineError, invalidConfig } from '../errors';
import {
  NotCanonical, compileReader, compileSchema, isConnectSchema, type ConnectSchema, type Decode, type FieldSet, type Read, type Warn,
} from './connect-schema';
import { schemaForHint } from './logical-types';
import {
  NumberText, lastParseHadNumberTexts, parseAt, parseJson, plainNumbers, readEnd, readFrom, readNull,
} from './lossless-json';
import {
  ENVELOPE_OPS, matchesTable, shortName, tableFromName,
  type CdcOp, type CdcRecord, type Row, type TableId, type TransactionInfo,
} from './record';
import { BoundedMap, FRAME_HEAD, PAYLOAD_MEMBER, SchemaTextCache } from './schema-cache';

export type ChangeFormat = 'auto' | 'envelope' | 'unwrap';

export interface ChangeDecoderOptions {
  /**
   * `auto` (default): envelopes, transaction events, and flat rows that carry unwrap metadata or a schema;
   * `envelope`: flat rows are refused; `unwrap`: any JSON object without an envelope is a flat row.
   */
  format?: ChangeFormat;
  /** Without schemas: logical types of columns, by `column`, `table.column` or `schema.table.column`. */
  columnTypes?: Record<string, string>;
  /** The unwrap transform's `add.fields.prefix`; default `__`. */
  fieldPrefix?: string;
}

/** One Kafka record: value, key, headers, and the topic it came from (names the table of a bare tombstone). */
export interface ChangeInput {
  value: unknown;
  key?: unknown;
  headers?: Record<string, unknown> | null;
  topic?: string;
}

const TX_VALUE = 'io.debezium.connector.common.TransactionMetadataValue';
const HEARTBEAT = 'io.debezium.connector.common.Heartbeat';
const TX_FIELDS = new Set(['status', 'id', 'ts_ms', 'event_count', 'data_collections']);
const PARTIAL_BEFORE: ReadonlySet<string> = new Set(['before']);
/** What fromEnvelope and positionOf take of an envelope: its other metadata (versions, sequence, ts_us, …) is only checked. */
const ENVELOPE_FIELDS: FieldSet = {
  before: true, after: true, op: true, ts_ms: true, transaction: true, message: true,
  source: { connector: true, db: true, schema: true, table: true, ts_ms: true, ts_ns: true, snapshot: true,
    lsn: true, txId: true, file: true, pos: true, row: true, gtid: true, server_id: true },
};
/** Keys need no context of their own. */
const NO_CTX: Ctx = { key: null, keyTable: null, headers: {}, topic: undefined };

interface Ctx {
  key: Row | null;
  keyTable: TableId | null;
  headers: Record<string, unknown>;
  topic: string | undefined;
}

/**
 * What one schema says, compiled: its payload decoded from a parsed object (`decode`), or read straight from the
 * JSON text (`read`, the fast path for text that repeats a cached schema), then turned into a record.
 */
interface Compiled<T> { decode: Decode; read: Read; finish: (decoded: unknown, ctx: Ctx) => T }
type Reader = Compiled<CdcRecord>;
type KeyReader = Compiled<KeyRow>;
interface KeyRow { row: Row | null; table: TableId | null }
/** A parsed text: `framed` when it was `{schema, payload}`; `prefix` the text up to the payload, for the cache. */
interface Framed { framed: boolean; schema: unknown; payload: unknown; prefix: string | null; numberTexts: boolean }

const notDebezium = (what: string): never => { throw new EngineError('not-debezium', what); };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  && !(v instanceof Uint8Array);

export class ChangeDecoder {
  private readonly format: ChangeFormat;
  private readonly prefix: string;
  private readonly hints: [string, Decode][];
  private readonly hintsByTable = new Map<string, [string, Decode][]>();
  private readonly valueTexts = new SchemaTextCache<Reader>();
  private readonly keyTexts = new SchemaTextCache<KeyReader>();
  private readonly valueObjects = new BoundedMap<Reader>();
  private readonly keyObjects = new BoundedMap<KeyReader>();
  private readonly notes: string[] = [];
  private readonly warn: Warn = (note) => { this.notes.push(note); };

  constructor(options: ChangeDecoderOptions = {}) {
    const format = options.format ?? 'auto';
    if (format !== 'auto' && format !== 'envelope' && format !== 'unwrap') throw invalidConfig(`unknown format "${String(format)}"`);
    this.format = format;
    this.prefix = options.fieldPrefix ?? '__';
    if (typeof this.prefix !== 'string' || this.prefix === '') throw invalidConfig('the unwrap field prefix must not be empty');
    const types = options.columnTypes ?? {};
    if (!isObject(types)) throw invalidConfig('columnTypes must be an object of column → type');
    this.hints = Object.entries(types).map(([column, hint]) => [column, compileSchema(schemaForHint(hint), column)]);
  }

  /** Decodes one record; throws EngineError ('not-debezium', 'unknown-op', 'schema-mismatch') for bad input. */
  decode(input: ChangeInput): CdcRecord {
    this.notes.length = 0;
    const { row: key, table: keyTable } = this.decodeKey(input.key);
    const ctx: Ctx = { key, keyTable, headers: headersOf(input.headers), topic: input.topic };
    const record = this.decodeValue(input.value, ctx);
    if (this.notes.length > 0) record.warnings = this.notes.slice();
    return record;
  }

  private decodeValue(value: unknown, ctx: Ctx): CdcRecord {
    const text = asText(value);
    if (text === '' || value === null || value === undefined) return this.tombstone(ctx);
    if (text !== undefined) {
      const hit = this.valueTexts.find(text);
      if (hit) {
        const payload = this.readText(hit.value, text, hit.prefix.length);
        return payload === null ? this.tombstone(ctx) : hit.value.finish(payload, ctx);
      }
      const f = frame(text);
      if (!f.framed) return this.readSchemaless(f.payload, f.numberTexts, ctx);
      if (f.payload === null || f.schema === null) return this.tombstone(ctx);
      const reader = this.readerFor(f.schema as ConnectSchema);
      if (f.prefix !== null) this.valueTexts.add(f.prefix, reader);
      return this.read(reader, f.payload, ctx);
    }
    if (isFrameObject(value)) {
      if (value.payload === null || value.schema === null) return this.tombstone(ctx);
      const json = JSON.stringify(value.schema);
      const reader = this.valueObjects.get(json) ?? this.valueObjects.remember(json, this.readerFor(value.schema as ConnectSchema));
      return this.read(reader, value.payload, ctx);
    }
    return this.readSchemaless(value, false, ctx);
  }

  /** Decoding by a schema leaves no NumberText behind: floats become numbers, decimals strings. */
  private read(reader: Reader, payload: unknown, ctx: Ctx): CdcRecord {
    return payload === null ? this.tombstone(ctx) : reader.finish(reader.decode(payload, this.warn), ctx);
  }

  /**
   * The payload of `text` from `start` on, read by its compiled schema (null for a null payload); text written
   * otherwise than the converter writes it is parsed and decoded instead (its notes taken again).
   */
  private readText(c: Compiled<unknown>, text: string, start: number): unknown {
    const notes = this.notes.length;
    let decoded: unknown;
    readFrom(text, start);
    try {
      decoded = readNull() ? null : c.read(this.warn);
    } catch (err) {
      readEnd();
      if (!(err instanceof NotCanonical)) throw err;
      this.notes.length = notes;
      const r = parseAt(text, start);
      return payloadOf(text, r.end, r.value) === null ? null : c.decode(r.value, this.warn);
    }
    payloadOf(text, readEnd(), null);
    return decoded;
  }

  // ---- keys --------------------------------------------------------------------------------------

  private decodeKey(key: unknown): KeyRow {
    const text = asText(key);
    if (key === null || key === undefined || text === '') return { row: null, table: null };
    let parsed: unknown = key;
    if (text !== undefined) {
      const hit = this.keyTexts.find(text);
      if (hit) return hit.value.finish(this.readText(hit.value, text, hit.prefix.length), NO_CTX);
      const f = frame(text);
      if (f.framed && isConnectSchema(f.schema)) {
        const reader = keyReader(f.schema);
        if (f.prefix !== null) this.keyTexts.add(f.prefix, reader);
        return this.keyRow(reader, f.payload);
      }
      if (f.framed) return { row: null, table: null };
      parsed = f.numberTexts ? plainNumbers(f.payload) : f.payload;
    }
    if (isFrameObject(parsed)) {
      if (parsed.schema === null || parsed.payload === null) return { row: null, table: null };
      const json = JSON.stringify(parsed.schema);
      const reader = this.keyObjects.get(json) ?? this.keyObjects.remember(json, keyReader(parsed.schema as ConnectSchema));
      return this.keyRow(reader, parsed.payload);
    }
    if (!isObject(parsed)) return notDebezium('the key is not a JSON object');
    return { row: parsed, table: null };
  }

  private keyRow(reader: KeyReader, payload: unknown): KeyRow {
    return reader.finish(payload === null ? null : reader.decode(payload, this.warn), NO_CTX);
  }

  // ---- values with a schema ------------------------------------------------------------------------

  /** Compiles what a value schema says into a reader of its payloads. */
  private readerFor(schema: ConnectSchema): Reader {
    if (!isConnectSchema(schema)) return notDebezium('the value schema has no type');
    const compiled = (finish: Reader['finish'], keep?: FieldSet): Reader =>
      ({ decode: compileSchema(schema, '', PARTIAL_BEFORE), read: compileReader(schema, '', keep), finish });
    if (schema.name === TX_VALUE) return compiled((p, ctx) => this.fromTransaction(p as Row, ctx));
    if (schema.name === HEARTBEAT) return compiled((p, ctx) => heartbeat(p as Row, ctx));
    if (schema.type !== 'struct') return compiled(() => notDebezium(`a ${schema.type} value is not a Debezium change event`));
    const fields = new Set((schema.fields ?? []).map((f) => f.field));
    if (fields.has('op') && fields.has('source')) return compiled((p, ctx) => this.fromEnvelope(p as Row, ctx), ENVELOPE_FIELDS);
    if (this.format === 'envelope') {
      return compiled(() => notDebezium('a flattened row (ExtractNewRecordState output): this node is set to accept envelopes only'));
    }
    const table = tableFromName(schema.name, 'Value');
    return compiled((p, ctx) => this.fromFlattened(p as Row, ctx, table));
  }

  // ---- values without a schema ---------------------------------------------------------------------

  private readSchemaless(v: unknown, numberTexts: boolean, ctx: Ctx): CdcRecord {
    if (!isObject(v)) return notDebezium(`a JSON ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v} is not a Debezium change event`);
    let r: CdcRecord;
    if (typeof v.op === 'string' && isObject(v.source)) {
      r = this.fromEnvelope(v, ctx);
      r.before = this.hinted(r.before, r.table);
      r.after = this.hinted(r.after, r.table);
    } else if (isTransactionShape(v)) {
      r = this.fromTransaction(v, ctx);
    } else if (this.format === 'unwrap' || (this.format === 'auto' && this.hasMetadata(v))) {
      r = this.fromFlattened(v, ctx, null);
      r.before = this.hinted(r.before, r.table);
      r.after = this.hinted(r.after, r.table);
    } else {
      return notDebezium(this.format === 'envelope'
        ? 'not a Debezium change event envelope (no "op" and "source")'
        : 'not a Debezium change event: no envelope ("op", "source"), no unwrap metadata fields and no schema');
    }
    return numberTexts ? plainRecord(r) : r;
  }

  private hasMetadata(v: Row): boolean {
    for (const k in v) if (k.startsWith(this.prefix)) return true;
    return false;
  }

  /** Applies the `columnTypes` hints that name `table` (or no table) to a schemaless row. */
  private hinted(row: Row | null, table: TableId | null): Row | null {
    if (row === null || this.hints.length === 0) return row;
    const name = shortName(table) ?? '';
    let list = this.hintsByTable.get(name);
    if (!list) {
      list = [];
      for (const [k, decode] of this.hints) {
        const dot = k.lastIndexOf('.');
        if (dot < 0 || matchesTable(k.slice(0, dot), table)) list.push([dot < 0 ? k : k.slice(dot + 1), decode]);
      }
      this.hintsByTable.set(name, list);
    }
    for (const [column, decode] of list) if (column in row) row[column] = decode(row[column], this.warn);
    return row;
  }

  // ---- the forms --------------------------------------------------------------------------------------

  private fromEnvelope(p: Row, ctx: Ctx): CdcRecord {
    const op = p.op;
    if (typeof op !== 'string' || !ENVELOPE_OPS.has(op)) {
      throw new EngineError('unknown-op', `unknown operation ${JSON.stringify(op)} (expected c, u, d, r, t or m)`);
    }
    const source = p.source;
    if (!isObject(source)) return notDebezium('an envelope without a "source" block');
    const before = p.before ?? null;
    const after = p.after ?? null;
    if ((op === 'c' || op === 'r' || op === 'u') && !isObject(after)) return notDebezium(`an "${op}" event without "after"`);
    if (before !== null && !isObject(before)) return notDebezium('"before" is not a row');
    if (after !== null && !isObject(after)) return notDebezium('"after" is not a row');
    const r = this.record(op as CdcOp, ctx, {
      before: before as Row | null,
      after: after as Row | null,
      table: { db: text(source.db), schema: text(source.schema), table: text(source.table) },
      eventTime: int(source.ts_ms),
      connectorTime: int(p.ts_ms),
      tsNs: digits(source.ts_ns),
      snapshot: snapshotOf(source.snapshot),
      position: positionOf(source),
      transaction: isObject(p.transaction) ? {
        id: String(p.transaction.id),
        totalOrder: int(p.transaction.total_order),
        dataCollectionOrder: int(p.transaction.data_collection_order),
      } : null,
    });
    if (op === 'm' && isObject(p.message)) r.message = { prefix: String(p.message.prefix), content: p.message.content };
    return r;
  }

  /** ExtractNewRecordState output: the row, with its `__` metadata fields taken out (SPEC §7.8). */
  private fromFlattened(flat: Row, ctx: Ctx, schemaTable: TableId | null): CdcRecord {
    const px = this.prefix;
    const row: Row = {};
    const meta: Row = {};
    for (const k of Object.keys(flat)) {
      if (k.startsWith(px)) meta[k.slice(px.length)] = flat[k];
      else row[k] = flat[k];
    }
    const deleted = meta.deleted === 'true' || meta.deleted === true;
    let op = meta.op;
    if (op === undefined || op === null) op = deleted ? 'd' : 'upsert';
    if (typeof op !== 'string' || !(ENVELOPE_OPS.has(op) || op === 'upsert')) {
      throw new EngineError('unknown-op', `unknown operation ${JSON.stringify(op)} in ${px}op`);
    }
    const gone = op === 'd' || deleted;
    const named = text(meta.table) ?? text(meta.source_table);
    const fallback = schemaTable ?? ctx.keyTable ?? tableFromName(ctx.topic);
    const lsn = meta.lsn ?? meta.source_lsn;
    const txId = meta.txId ?? meta.source_txId;
    return this.record(op as CdcOp, ctx, {
      before: gone ? row : null,
      after: gone ? null : row,
      table: {
        db: text(meta.db) ?? text(meta.source_db),
        schema: text(meta.schema) ?? text(meta.source_schema) ?? (named === null || named === fallback?.table ? fallback?.schema ?? null : null),
        table: named ?? fallback?.table ?? null,
      },
      eventTime: int(meta.source_ts_ms),
      connectorTime: int(meta.ts_ms),
      tsNs: digits(meta.source_ts_ns),
      snapshot: snapshotOf(meta.snapshot ?? meta.source_snapshot),
      position: lsn !== undefined || txId !== undefined ? { lsn: int64(lsn), txId: int64(txId) } : null,
      transaction: null,
    });
  }

  private fromTransaction(v: Row, ctx: Ctx): CdcRecord {
    const status = v.status;
    if (status !== 'BEGIN' && status !== 'END') return notDebezium(`unknown transaction status ${JSON.stringify(status)}`);
    const collections = Array.isArray(v.data_collections) ? v.data_collections.map((c) => {
      const o = isObject(c) ? c : {};
      return { dataCollection: String(o.data_collection), eventCount: int(o.event_count) ?? 0 };
    }) : null;
    const transaction: TransactionInfo = { id: String(v.id), status, eventCount: int(v.event_count), dataCollections: collections };
    return this.record('tx', ctx, { eventTime: int(v.ts_ms), transaction });
  }

  private tombstone(ctx: Ctx): CdcRecord {
    if (ctx.key === null) return notDebezium('a null value without a key is not a Debezium tombstone');
    return this.record('tombstone', ctx, { table: ctx.keyTable ?? tableFromName(ctx.topic) });
  }

  private record(op: CdcOp, ctx: Ctx, r: Partial<CdcRecord>): CdcRecord {
    return {
      op, key: ctx.key, before: r.before ?? null, after: r.after ?? null, table: r.table ?? null,
      eventTime: r.eventTime ?? null, connectorTime: r.connectorTime ?? null, tsNs: r.tsNs ?? null,
      snapshot: r.snapshot ?? 'false', position: r.position ?? null, transaction: r.transaction ?? null, headers: ctx.headers,
    };
  }
}

// ---- framing -------------------------------------------------------------------------------------------

function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return undefined;
}

function isFrameObject(v: unknown): v is { schema: unknown; payload: unknown } {
  if (!isObject(v) || !('schema' in v) || !('payload' in v)) return false;
  let n = 0;
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) n++;
  return n === 2 && (v.schema === null || isConnectSchema(v.schema));
}

/**
 * Parses a text. A frame written as the converter writes it (`{"schema":…,"payload":…}`, no whitespace between
 * members) also gives its prefix up to the payload, for the schema cache; any other JSON is parsed whole.
 */
function frame(text: string): Framed {
  if (text.startsWith(FRAME_HEAD)) {
    const s = parseAt(text, FRAME_HEAD.length);
    if ((s.value === null || isConnectSchema(s.value)) && text.startsWith(PAYLOAD_MEMBER, s.end)) {
      const start = s.end + PAYLOAD_MEMBER.length;
      const p = parseAt(text, start);
      return { framed: true, schema: s.value, payload: payloadOf(text, p.end, p.value), prefix: text.slice(0, start), numberTexts: p.numberTexts };
    }
  }
  const v = parseJson(text);
  const numberTexts = lastParseHadNumberTexts();
  if (isFrameObject(v)) return { framed: true, schema: v.schema, payload: v.payload, prefix: null, numberTexts };
  return { framed: false, schema: null, payload: v, prefix: null, numberTexts };
}

/** The payload parsed up to `end`, after which only the frame's closing brace may follow. */
function payloadOf(text: string, end: number, payload: unknown): unknown {
  let i = end;
  if (text.charCodeAt(i) !== 125) return notDebezium(`not JSON: expected '}' at offset ${i}`);
  i++;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (i !== text.length) notDebezium(`not JSON: unexpected text after the value at offset ${i}`);
  return payload;
}

function keyReader(schema: ConnectSchema): KeyReader {
  const table = tableFromName(schema.name, 'Key');
  return {
    decode: compileSchema(schema),
    read: compileReader(schema),
    finish: (row) => {
      if (row !== null && !isObject(row)) return notDebezium('the key is not a struct');
      return { row, table };
    },
  };
}

// ---- field readers -------------------------------------------------------------------------------------

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** An integer field (`ts_ms`, `total_order`, …): a number, a BigInt, or its digits as a string (as in some docs examples). */
function int(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return null;
}

/** An int64 kept exact: a number while safe, else a BigInt. */
function int64(v: unknown): number | bigint | null {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : BigInt(v);
  }
  return null;
}

function digits(v: unknown): string | null {
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (v instanceof NumberText) return v.text;
  return typeof v === 'string' && /^-?\d+$/.test(v) ? v : null;
}

/** `snapshot` is an enum string in the code and a boolean in the docs' examples (SPEC §7.3). */
function snapshotOf(v: unknown): string {
  if (v === true) return 'true';
  if (typeof v === 'string' && v !== '') return v;
  return 'false';
}

function positionOf(source: Row): Record<string, unknown> | null {
  const connector = source.connector;
  if (connector === 'postgresql' || (connector === undefined && 'lsn' in source)) {
    return { lsn: int64(source.lsn), txId: int64(source.txId) };
  }
  if (connector === 'mysql' || connector === 'mariadb' || 'file' in source) {
    return { file: source.file ?? null, pos: int64(source.pos), row: int64(source.row), gtid: source.gtid ?? null, serverId: int64(source.server_id) };
  }
  return null;
}

function isTransactionShape(v: Row): boolean {
  if (typeof v.status !== 'string' || typeof v.id !== 'string') return false;
  for (const k in v) if (!TX_FIELDS.has(k)) return false;
  return true;
}

function heartbeat(v: Row, ctx: Ctx): CdcRecord {
  return {
    op: 'heartbeat', key: ctx.key, before: null, after: null, table: null, eventTime: int(v.ts_ms), connectorTime: null,
    tsNs: null, snapshot: 'false', position: null, transaction: null, headers: ctx.headers,
  };
}

function headersOf(h: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (!isObject(h)) return {};
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(h)) {
    const v = h[k];
    out[k] = v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8') : v;
  }
  return out;
}

/** A record whose schemaless parts may hold NumberTexts: doubles there, as no schema asks for more. */
function plainRecord(r: CdcRecord): CdcRecord {
  r.key = plainNumbers(r.key) as Row | null;
  r.before = plainNumbers(r.before) as Row | null;
  r.after = plainNumbers(r.after) as Row | null;
  return r;
}
