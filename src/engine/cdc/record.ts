/**
 * The canonical decoded change record (SPEC §7.10) and the naming of tables. Every message form (full
 * envelope, payload only, the unwrap transform's flat rows, tombstones, transaction metadata) decodes to this
 * one shape, so that what comes after the decoder never depends on how Debezium was configured.
 */

/** c create, u update, d delete, r snapshot read, t truncate, m logical-decoding message; `tombstone` a null
 * value; `upsert` a flattened row that says no operation; `tx` a transaction BEGIN/END; `heartbeat`. */
export type CdcOp = 'c' | 'u' | 'd' | 'r' | 't' | 'm' | 'tombstone' | 'upsert' | 'tx' | 'heartbeat';
export const ENVELOPE_OPS: ReadonlySet<string> = new Set(['c', 'u', 'd', 'r', 't', 'm']);

export type Row = Record<string, unknown>;

export interface TableId { db: string | null; schema: string | null; table: string | null }

export interface TransactionInfo {
  id: string;
  /** Data events: the event's place in its transaction (`total_order`, `data_collection_order`). */
  totalOrder?: number | null;
  dataCollectionOrder?: number | null;
  /** BEGIN/END events of the transaction topic. */
  status?: 'BEGIN' | 'END';
  eventCount?: number | null;
  dataCollections?: { dataCollection: string; eventCount: number }[] | null;
}

export interface CdcRecord {
  op: CdcOp;
  key: Row | null;
  before: Row | null;
  after: Row | null;
  table: TableId | null;
  /** `source.ts_ms`: when the change was committed in the database (SPEC §7.4). */
  eventTime: number | null;
  /** `ts_ms` of the envelope: when the connector processed it. */
  connectorTime: number | null;
  /** `source.ts_ns` as exact digits. */
  tsNs: string | null;
  /** `true|first|first_in_data_collection|last_in_data_collection|last|false|incremental`. */
  snapshot: string;
  /** PostgreSQL `{lsn, txId}`; MySQL `{file, pos, row, gtid, serverId}`; null when the source says neither. */
  position: Record<string, unknown> | null;
  transaction: TransactionInfo | null;
  headers: Record<string, unknown>;
  /** `op: "m"`: the logical-decoding message. */
  message?: { prefix: string; content: unknown };
  /** Non-fatal notes, e.g. a Json column whose text is not JSON (kept as text). */
  warnings?: string[];
}

/** `db.schema.table` without the parts that are unknown (MySQL has no schema). */
export function qualifiedName(t: TableId | null): string {
  if (!t) return '';
  return [t.db, t.schema, t.table].filter((p) => p !== null && p !== '').join('.');
}

/**
 * The table's name in Debezium's topic naming (`<prefix>.<schema>.<table>`, MySQL `<prefix>.<db>.<table>`): the
 * two parts every message form can tell, tombstones included. Materialized tables are kept under it.
 */
export function shortName(t: TableId | null): string | null {
  if (!t || !t.table) return null;
  const ns = t.schema ?? t.db;
  return ns ? `${ns}.${t.table}` : t.table;
}

/** Whether a configured table name (`table`, `schema.table` or `db.schema.table`) names `t`. */
export function matchesTable(name: string, t: TableId | null): boolean {
  if (!t || !t.table) return false;
  return name === t.table || name === shortName(t) || name === qualifiedName(t);
}

/**
 * Schema and table from a Connect schema name (`<prefix>.<schema>.<table>.Key|Value|Envelope`) or a Kafka topic
 * (`<prefix>.<schema>.<table>`): the last two parts, as the topic naming puts them. The database is unknown here.
 */
export function tableFromName(name: string | undefined | null, suffix?: string): TableId | null {
  if (typeof name !== 'string') return null;
  let n = name;
  if (suffix) {
    if (!n.endsWith(`.${suffix}`)) return null;
    n = n.slice(0, -suffix.length - 1);
  }
  const parts = n.split('.');
  if (parts.length < 3) return null;
  return { db: null, schema: parts[parts.length - 2], table: parts[parts.length - 1] };
}
