/**
 * Reading back what was written, with each server's own query language, and stopping/starting the real
 * server (scripts/services/influxdb.sh, with the ports and run dir of this environment).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { InfluxDB } from '@influxdata/influxdb-client';
import assert from 'node:assert/strict';
import { until } from '../../helpers/wait';
import { lastStatus, statuses, type Running } from '../../nodes/util';

const SCRIPT = path.join(__dirname, '..', '..', '..', 'scripts', 'services', 'influxdb.sh');

export interface V2Env { INFLUX_URL: string; INFLUX_TOKEN: string; INFLUX_ORG: string; INFLUX_BUCKET: string }
export interface V1Env { INFLUX_V1_URL: string; INFLUX_V1_DB: string }

/**
 * A write node just deployed asks the server whether it is up (v2 `/health`, v1 `/ping`): a yellow ring saying
 * connecting, then a green dot once the server answered, before any message.
 */
export async function greenOnceAnswered(r: Running): Promise<void> {
  await until(() => lastStatus(r.node)?.fill === 'green', 10000, 'a green status');
  const [first] = statuses(r.node);
  assert.deepEqual([first.fill, first.shape], ['yellow', 'ring']);
  assert.match(String(first.text), /status\.connecting/, 'the test helper shows catalog keys');
  assert.equal(lastStatus(r.node)?.shape, 'dot');
  assert.deepEqual(r.caught.msgs, []);
}

/** Flux rows as the server's CSV has them: every column as text, and `_type` the type of `_value`. */
export async function fluxRows(env: V2Env, flux: string): Promise<Record<string, string>[]> {
  const api = new InfluxDB({ url: env.INFLUX_URL, token: env.INFLUX_TOKEN }).getQueryApi(env.INFLUX_ORG);
  return api.collectRows(flux, (values, meta) => {
    const row: Record<string, string> = {};
    for (const c of meta.columns) {
      if (c.label === 'result' || c.label === 'table' || c.label === '_start' || c.label === '_stop') continue;
      if (values[c.index] !== '' || c.label.startsWith('_')) row[c.label] = values[c.index];
      if (c.label === '_value') row._type = c.dataType;
    }
    return row;
  });
}

/** Flux string literal. */
export const fluxString = (s: string): string => JSON.stringify(s);

/** An InfluxQL query: the raw JSON text (integers beyond 2^53 stay exact there) and its parsed results. */
export async function influxql(env: V1Env, q: string, epoch = 'ns'): Promise<{ text: string; results: any[] }> {
  const u = `${env.INFLUX_V1_URL}/query?db=${encodeURIComponent(env.INFLUX_V1_DB)}&epoch=${epoch}&q=${encodeURIComponent(q)}`;
  const res = await fetch(u);
  const text = await res.text();
  if (!res.ok) throw new Error(`InfluxQL ${q}: ${res.status} ${text}`);
  return { text, results: (JSON.parse(text) as { results: any[] }).results };
}

/** InfluxQL identifier. */
export const ident = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** `bash scripts/services/influxdb.sh <cmd> <mode>` with this process's environment (ports, run dir). */
export function service(cmd: 'start' | 'stop', mode: 'v2' | 'v1'): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, cmd, mode], { env: process.env }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${mode}: ${stderr}`)) : resolve()));
  });
}
