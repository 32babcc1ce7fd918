/**
 * What the real-pipeline specs share: SQL through psql on the PostgreSQL of scripts/services/postgres.sh, Debezium
 * connectors made and removed through the Kafka Connect REST API of debezium.sh, and the rows of the `items`
 * table as SQL writes them, in the form the debezium node decodes them to.
 *
 * Every run makes its own tables, connectors, replication slots and topic prefixes (debezium.sh: a connector
 * name cannot be used again once its slot is dropped), and removes them afterwards.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export type PipelineEnv = Record<'PGHOST' | 'PGPORT' | 'PGUSER' | 'PGPASSWORD' | 'PGDATABASE' | 'DEBEZIUM_CONNECT_URL'
  | 'DEBEZIUM_CONNECTOR_CONFIG' | 'KAFKA_BROKERS', string>;
export const PIPELINE_VARS: (keyof PipelineEnv)[] = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE',
  'DEBEZIUM_CONNECT_URL', 'DEBEZIUM_CONNECTOR_CONFIG', 'KAFKA_BROKERS'];

/** Runs SQL (several statements, one transaction each unless grouped) and returns what psql prints, unaligned. */
export function sql(env: PipelineEnv, text: string): string {
  return execFileSync('psql', ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', text], {
    env: { ...process.env, PGHOST: env.PGHOST, PGPORT: env.PGPORT, PGUSER: env.PGUSER, PGPASSWORD: env.PGPASSWORD, PGDATABASE: env.PGDATABASE },
    encoding: 'utf8',
  }).trim();
}

/** The JSON of a query that returns one json value. */
export function sqlJson<T>(env: PipelineEnv, text: string): T {
  return JSON.parse(sql(env, text)) as T;
}

// ---- Kafka Connect ---------------------------------------------------------------------------------------

async function rest(env: PipelineEnv, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${env.DEBEZIUM_CONNECT_URL}${path}`, {
    method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The default connector's configuration (debezium.sh writes it), with `overrides`. */
export function connectorConfig(env: PipelineEnv, overrides: Record<string, string>): Record<string, string> {
  const base = (JSON.parse(fs.readFileSync(env.DEBEZIUM_CONNECTOR_CONFIG, 'utf8')) as { config: Record<string, string> }).config;
  return { ...base, ...overrides };
}

/** Makes a connector and waits until it runs and its slot streams (the initial snapshot is done then). */
export async function startConnector(env: PipelineEnv, name: string, config: Record<string, string>, timeoutMs = 120000): Promise<void> {
  await rest(env, 'PUT', `/connectors/${name}/config`, { ...config, name });
  const slot = config['slot.name'];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const status = await rest(env, 'GET', `/connectors/${name}/status`) as { connector?: { state: string }; tasks?: { state: string; trace?: string }[] } | null;
    const failed = status?.tasks?.find((t) => t.state === 'FAILED');
    if (failed) throw new Error(`connector ${name} failed: ${failed.trace?.split('\n')[0]}`);
    const running = status?.connector?.state === 'RUNNING' && (status.tasks ?? []).length > 0 && status.tasks!.every((t) => t.state === 'RUNNING');
    if (running && sql(env, `SELECT active FROM pg_replication_slots WHERE slot_name = '${slot}'`) === 't') return;
    if (Date.now() > end) throw new Error(`connector ${name} not streaming after ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Removes a connector and drops its replication slot (an idle slot holds WAL). */
export async function removeConnector(env: PipelineEnv, name: string, slot: string): Promise<void> {
  await rest(env, 'DELETE', `/connectors/${name}`);
  const end = Date.now() + 30000;
  while (Date.now() < end) {
    const active = sql(env, `SELECT active FROM pg_replication_slots WHERE slot_name = '${slot}'`);
    if (active === '') return;
    if (active === 'f') { sql(env, `SELECT pg_drop_replication_slot('${slot}')`); return; }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`replication slot ${slot} still active 30 s after its connector was removed`);
}

// ---- the items table -------------------------------------------------------------------------------------

/** A table with one column of every type the issue names. */
export function itemsDdl(table: string, mood: string): string {
  return `CREATE TYPE ${mood} AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE ${table} (id int PRIMARY KEY, big bigint, amount numeric(12,3), r real, flag boolean, t text, v varchar(40),
  d date, tm time, ts timestamp, tstz timestamptz, j jsonb, u uuid, m ${mood}, b bytea);`;
}

/**
 * The rows of `table` as SQL has them, in the form the decoder gives: bigint as its digits, numeric as text with its
 * scale, real as a number, times and timestamps as ISO text (timestamptz in UTC with 6 fraction digits), jsonb
 * parsed, bytea as hex.
 */
export function itemsRows(env: PipelineEnv, table: string, where = 'true'): Record<string, unknown>[] {
  return sqlJson<Record<string, unknown>[]>(env, `SELECT coalesce(json_agg(json_build_object(
    'id', id, 'big', big::text, 'amount', amount::text, 'r', r::text, 'flag', flag, 't', t, 'v', v, 'd', d::text,
    'tm', to_char(tm, 'HH24:MI:SS.US'), 'ts', to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'tstz', to_char(tstz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'j', j, 'u', u::text, 'm', m::text,
    'b', encode(b, 'hex')) ORDER BY id), '[]') FROM ${table} WHERE ${where}`)
    .map((r: Record<string, unknown>) => ({ ...r, r: r.r === null ? null : Number(r.r) }));
}

/** A decoded row in the same form as itemsRows (BigInt and numbers as digits, Buffers as hex, zoned times normalized). */
export function comparable(row: Record<string, unknown> | null): Record<string, unknown> | null {
  if (row === null) return null;
  const out: Record<string, unknown> = { ...row };
  if (out.big !== null && out.big !== undefined) out.big = String(out.big);
  if (Buffer.isBuffer(out.b)) out.b = out.b.toString('hex');
  if (typeof out.tstz === 'string') out.tstz = utcMicros(out.tstz);
  return out;
}

/** Debezium's ZonedTimestamp (`…T11:45:06.5Z`, trailing zeros left out) with 6 fraction digits. */
function utcMicros(iso: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(6, '0')}Z` : iso;
}
