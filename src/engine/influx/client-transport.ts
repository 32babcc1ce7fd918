/**
 * Sending one batch with `@influxdata/influxdb-client`: its WriteApi for the v2 write API (InfluxDB 2.x, 3,
 * Cloud, 1.8+), its HTTP transport for the v1 `/write` endpoint. The library only sends: every WriteApi has no
 * flush timer, no retries and no size limit of its own, and its failure callback hands each error back instead
 * of logging and buffering it, so the writer (writer.ts) sees every answer and decides.
 */
import { HttpError, InfluxDB, type WriteApi } from '@influxdata/influxdb-client';
import type { WriteResponse } from './responses';
import type { Precision } from './time';
import { targetKey, type WriteTarget, type WriteTransport } from './writer';

export type ApiVersion = 'v2' | 'v1';

export interface ConnectionOptions {
  url: string;
  version: ApiVersion;
  /** v2: API token (InfluxDB 1.8+ in v2 mode takes `username:password`). */
  token?: string;
  /** v1 */
  username?: string;
  password?: string;
  timeoutMs: number;
  /** Options for https.request: ca, cert, key, rejectUnauthorized, servername… */
  tls?: Record<string, unknown>;
  /** The largest batch the writer sends. */
  batchSize: number;
}

const V1_PRECISION: Record<Precision, string> = { s: 's', ms: 'ms', us: 'u', ns: 'n' };

function answerOf(err: unknown): WriteResponse {
  if (err instanceof HttpError) {
    const ra = err.headers?.['retry-after'];
    return { status: err.statusCode, body: err.body ?? err.message, retryAfter: Array.isArray(ra) ? ra[0] : ra };
  }
  return { status: 0, body: (err as Error)?.message || String(err) };
}

export class ClientTransport implements WriteTransport {
  private readonly influx: InfluxDB;
  private readonly writeApis = new Map<string, WriteApi>();
  private readonly v1Headers: Record<string, string>;
  /** Ends the requests still out when the node stops. */
  private readonly aborts = new AbortController();

  constructor(private readonly c: ConnectionOptions) {
    this.influx = new InfluxDB({
      url: c.url,
      token: c.version === 'v2' ? c.token || undefined : undefined,
      timeout: c.timeoutMs,
      transportOptions: c.tls,
    });
    this.v1Headers = { 'content-type': 'text/plain; charset=utf-8' };
    if (c.version === 'v1' && (c.username || c.password)) {
      this.v1Headers.authorization = `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
    }
  }

  write(target: WriteTarget, lines: string[]): Promise<WriteResponse> {
    return this.c.version === 'v2' ? this.writeV2(target, lines) : this.writeV1(target, lines);
  }

  private async writeV2(target: WriteTarget, lines: string[]): Promise<WriteResponse> {
    const api = this.writeApi(target);
    try {
      api.writeRecords(lines);
      await api.flush();
      return { status: 204, body: '' };
    } catch (err) {
      return answerOf(err);
    }
  }

  private writeApi(target: WriteTarget): WriteApi {
    const key = targetKey(target);
    let api = this.writeApis.get(key);
    if (!api) {
      api = this.influx.getWriteApi(target.org ?? '', target.bucket ?? '', target.precision, {
        // One batch per flush(): never flushed by size or timer behind our back, never retried or buffered.
        batchSize: this.c.batchSize + 1,
        maxBatchBytes: Infinity,
        flushInterval: 0,
        maxRetries: 0,
        writeFailed: (error: Error) => Promise.reject(error),
      });
      this.writeApis.set(key, api);
    }
    return api;
  }

  private async writeV1(target: WriteTarget, lines: string[]): Promise<WriteResponse> {
    let q = `db=${encodeURIComponent(target.database ?? '')}&precision=${V1_PRECISION[target.precision]}`;
    if (target.retentionPolicy) q += `&rp=${encodeURIComponent(target.retentionPolicy)}`;
    let status = 204;
    try {
      await this.influx.transport.request(`/write?${q}`, lines.join('\n'), { method: 'POST', headers: this.v1Headers },
        (_h, code) => { if (code !== undefined) status = code; });
      return { status, body: '' };
    } catch (err) {
      return answerOf(err);
    }
  }

  /** Asks whether the server is up, writing nothing: v2 `GET /health`, v1 `GET /ping`. Never rejects (status 0: no answer). */
  async ping(): Promise<WriteResponse> {
    let status = 200;
    try {
      await this.influx.transport.request(this.c.version === 'v2' ? '/health' : '/ping', '',
        { method: 'GET', headers: { accept: 'text/plain' }, signal: this.aborts.signal }, (_h, code) => { if (code !== undefined) status = code; });
      return { status, body: '' };
    } catch (err) {
      return answerOf(err);
    }
  }

  /** Releases the write APIs (they hold no lines: nothing is lost) and ends a `ping` still out. */
  dispose(): void {
    this.aborts.abort();
    for (const api of this.writeApis.values()) api.dispose();
    this.writeApis.clear();
  }
}
