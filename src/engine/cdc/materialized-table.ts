/**
 * The current row of every primary key, built from change records (a KTable of the change stream). Each
 * applied record yields the change it made, `{op, key, before, after}`, with `before` taken from the table
 * itself, so it is the full previous row whatever the source's REPLICA IDENTITY sent.
 *
 *   - c / r / u / upsert put the row (an upsert says c or u by whether the key was there); columns the source
 *     could not send (unchanged TOASTed values: Debezium's `unavailable.value.placeholder`) keep their value;
 *   - d removes it; a tombstone removes it too when its delete was never seen (the unwrap transform's
 *     `tombstone` mode), and is silent otherwise; a primary-key change is d + tombstone + c;
 *   - t (truncate) clears the table;
 *   - m, tx and heartbeat records change nothing.
 *
 * Replays are idempotent: a record that carries its stream position (Kafka topic-partition and offset) at or
 * below the last position applied from that stream is skipped. The Kafka position is the one order in which
 * the events arrive: PostgreSQL's LSN is not monotonic across concurrent transactions nor at the end of the
 * initial snapshot (see docs/semantics.md).
 *
 * `snapshot()` is JSON (rows and positions), for redeploy handover and checkpoints (SPEC §6.2).
 */
import { EngineError } from '../errors';
import { fromJsonSafe, toJsonSafe } from '../state/json-safe';
import { matchesTable, qualifiedName, shortName, type CdcRecord, type Row, type TableId } from './record';

export const UNAVAILABLE_PLACEHOLDER = '__debezium_unavailable_value';
const ROW_OPS: ReadonlySet<string> = new Set(['c', 'u', 'd', 'r', 't', 'upsert', 'tombstone']);

export interface MaterializedChange {
  op: 'c' | 'u' | 'd' | 'r' | 't';
  /** The table, `db.schema.table` as far as known. */
  table: string;
  key: Row | null;
  before: Row | null;
  after: Row | null;
}

/** Where a record was read: a Kafka topic-partition (`stream`) and its offset. */
export interface StreamPosition { stream: string; offset: string | number | bigint }

export interface MaterializedTableOptions {
  /** Debezium's `unavailable.value.placeholder`; default `__debezium_unavailable_value`. */
  placeholder?: string;
}

interface Entry { key: Row; row: Row }
interface Table { id: TableId; keyColumns: string[]; rows: Map<string, Entry> }

export class MaterializedTable {
  readonly stats = { applied: 0, skipped: 0 };
  private readonly tables = new Map<string, Table>();
  private readonly positions = new Map<string, bigint>();
  private readonly placeholder: string;
  private readonly placeholderBytes: Buffer;

  constructor(options: MaterializedTableOptions = {}) {
    this.placeholder = options.placeholder ?? UNAVAILABLE_PLACEHOLDER;
    this.placeholderBytes = Buffer.from(this.placeholder, 'utf8');
  }

  /** Rows over all tables. */
  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.rows.size;
    return n;
  }

  get tableCount(): number { return this.tables.size; }

  /** Whether `rec` is a change of rows (the records `apply` takes); messages and transaction events are not. */
  static changesRows(rec: CdcRecord): boolean {
    return ROW_OPS.has(rec.op);
  }

  /** Forgets every row and position. */
  clear(): void {
    this.tables.clear();
    this.positions.clear();
  }

  /**
   * Applies a record; returns the changes it made (none for a record that changes nothing), or null when the
   * record is a replay (its position is at or below the last applied one of its stream). Throws EngineError
   * for a row event without a key (the table has no primary key) and changes nothing then.
   */
  apply(rec: CdcRecord, at?: StreamPosition): MaterializedChange[] | null {
    let offset: bigint | undefined;
    if (at) {
      offset = BigInt(at.offset);
      const last = this.positions.get(at.stream);
      if (last !== undefined && offset <= last) {
        this.stats.skipped++;
        return null;
      }
    }
    const changes = this.change(rec);
    if (at) this.positions.set(at.stream, offset as bigint);
    this.stats.applied++;
    return changes;
  }

  private change(rec: CdcRecord): MaterializedChange[] {
    switch (rec.op) {
      case 'c': case 'r': case 'u': case 'upsert': return this.put(rec);
      case 'd': return this.remove(rec, true);
      case 'tombstone': return this.remove(rec, false);
      case 't': {
        const t = this.tableOf(rec, false);
        if (t) t.rows.clear();
        return [{ op: 't', table: qualifiedName(rec.table), key: null, before: null, after: null }];
      }
      default: return [];  // m, tx, heartbeat
    }
  }

  private put(rec: CdcRecord): MaterializedChange[] {
    const key = this.keyOf(rec);
    const t = this.tableOf(rec, true) as Table;
    const ks = keyString(key);
    const had = t.rows.get(ks);
    const after = had ? this.withAvailable(rec.after as Row, had.row) : rec.after as Row;
    t.rows.set(ks, { key, row: after });
    const op = rec.op === 'upsert' ? (had ? 'u' : 'c') : rec.op as 'c' | 'r' | 'u';
    return [{ op, table: qualifiedName(t.id), key, before: had ? had.row : null, after }];
  }

  private remove(rec: CdcRecord, isDelete: boolean): MaterializedChange[] {
    const key = this.keyOf(rec);
    const t = this.tableOf(rec, false);
    const had = t?.rows.get(keyString(key));
    if (had) t!.rows.delete(keyString(key));
    // A tombstone after its delete says nothing new.
    if (!isDelete && !had) return [];
    return [{ op: 'd', table: qualifiedName(t?.id ?? rec.table), key, before: had ? had.row : null, after: null }];
  }

  /** Columns the source could not send (unchanged TOASTed values) keep the value the table has. */
  private withAvailable(after: Row, previous: Row): Row {
    let out: Row | undefined;
    for (const k of Object.keys(after)) {
      const v = after[k];
      if (v === this.placeholder || (v instanceof Uint8Array && Buffer.compare(v, this.placeholderBytes) === 0)) {
        out ??= { ...after };
        out[k] = previous[k];
      }
    }
    return out ?? after;
  }

  private keyOf(rec: CdcRecord): Row {
    if (rec.key === null) {
      throw new EngineError('missing-key', `${qualifiedName(rec.table) || 'the table'} has no primary key: its rows cannot be materialized`);
    }
    return rec.key;
  }

  /** The table of a record; a tombstone's table is only known by name, so it is found by its short name. */
  private tableOf(rec: CdcRecord, create: boolean): Table | undefined {
    const name = shortName(rec.table);
    if (name === null) {
      // A tombstone from outside Kafka names no table: with one table there is no doubt.
      if (this.tables.size === 1 && !create) return this.tables.values().next().value;
      throw new EngineError('not-debezium', 'the record names no table');
    }
    let t = this.tables.get(name);
    if (!t && create) {
      t = { id: rec.table as TableId, keyColumns: Object.keys(rec.key ?? {}), rows: new Map() };
      this.tables.set(name, t);
    } else if (t && rec.table?.db && !t.id.db) t.id = rec.table;
    return t;
  }

  /**
   * The current row of `key` in `table` (`table`, `schema.table` or `db.schema.table`; may be left out when one
   * table is materialized), or null. A single-column key may be given as its value alone.
   */
  lookup(key: unknown, table?: string): Row | null {
    const t = this.findTable(table);
    if (!t) return null;
    const k = key !== null && typeof key === 'object' && !(key instanceof Uint8Array) ? key as Row
      : t.keyColumns.length === 1 ? { [t.keyColumns[0]]: key } : undefined;
    if (!k) throw new EngineError('bad-lookup', `the key of ${qualifiedName(t.id)} has ${t.keyColumns.length} columns (${t.keyColumns.join(', ')}): give them as an object`);
    return t.rows.get(keyString(k))?.row ?? null;
  }

  private findTable(name: string | undefined): Table | undefined {
    if (name === undefined || name === '') {
      if (this.tables.size <= 1) return this.tables.values().next().value;
      throw new EngineError('bad-lookup', `${this.tables.size} tables are materialized: name one (msg.table)`);
    }
    const found = [...this.tables.values()].filter((t) => matchesTable(name, t.id));
    if (found.length > 1) throw new EngineError('bad-lookup', `"${name}" names ${found.length} tables: qualify it`);
    return found[0];
  }

  /** Every row of every table (for tests and inspection). */
  rows(table?: string): Row[] {
    const t = this.findTable(table);
    return t ? [...t.rows.values()].map((e) => e.row) : [];
  }

  snapshot(): unknown {
    return toJsonSafe({
      v: 1,
      tables: [...this.tables.entries()].map(([name, t]) => [name, t.id, t.keyColumns, [...t.rows.values()].map((e) => [e.key, e.row])]),
      positions: [...this.positions.entries()].map(([s, o]) => [s, o.toString()]),
    });
  }

  restore(snapshot: unknown): void {
    const s = fromJsonSafe<{ v: number; tables: [string, TableId, string[], [Row, Row][]][]; positions: [string, string][] }>(snapshot);
    if (s?.v !== 1) throw new EngineError('invalid-config', 'not a snapshot of a materialized table');
    this.clear();
    for (const [name, id, keyColumns, rows] of s.tables) {
      this.tables.set(name, { id, keyColumns, rows: new Map(rows.map(([key, row]) => [keyString(key), { key, row }])) });
    }
    for (const [stream, offset] of s.positions) this.positions.set(stream, BigInt(offset));
  }
}

/** A key as a map key: its columns in name order; integers compare by value whether number or BigInt. */
function keyString(key: Row): string {
  const names = Object.keys(key).sort();
  let out = '';
  for (const n of names) out += `${JSON.stringify(n)}:${valueString(key[n])},`;
  return out;
}

function valueString(v: unknown): string {
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'number' && Number.isInteger(v)) return `i${v}`;
  if (v instanceof Uint8Array) return `b${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`;
  if (v !== null && typeof v === 'object') return `o${JSON.stringify(toJsonSafe(v))}`;
  return JSON.stringify(v) ?? 'u';
}
