/**
 * A stand-in InfluxDB for node and engine specs: an HTTP server on 127.0.0.1 that records every write request
 * (path, query, headers, the lines of the body, gunzipped) and answers as the spec says — 204 by default, or a
 * scripted status, body and headers, possibly after a delay the spec controls (`hold`).
 *
 *   const influx = await FakeInflux.start();
 *   influx.answer = (req) => ({ status: 503, headers: { 'retry-after': '1' } });
 *   influx.written()  // lines of the requests answered 2xx, in order
 *
 * Health checks (`GET /health`, `GET /ping`, as a write node makes when it starts) are kept apart in `probes`
 * and answered by `health` (up by default), so that `requests` holds the writes only.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

export interface FakeRequest { method: string; path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders; lines: string[] }
export interface FakeAnswer { status: number; body?: string; headers?: Record<string, string> }

export class FakeInflux {
  readonly requests: FakeRequest[] = [];
  /** What to answer; may return a promise (to hold a request until the spec lets it go). */
  answer: (req: FakeRequest, index: number) => FakeAnswer | Promise<FakeAnswer> = () => ({ status: 204 });
  readonly probes: FakeRequest[] = [];
  /** What to answer a health check: InfluxDB 2.x's `/health` and the `/ping` of every version, by default. */
  health: (req: FakeRequest) => FakeAnswer = (req) => (req.path === '/health'
    ? { status: 200, body: '{"name":"influxdb","message":"ready for queries and writes","status":"pass"}' } : { status: 204 });
  private readonly answered: { req: FakeRequest; status: number }[] = [];

  private constructor(private readonly server: http.Server, readonly url: string) {}

  /** `tls`: serve https with this key and certificate (PEM); `port`: listen there (default: any free port). */
  static start(tls?: { key: string; cert: string }, port = 0): Promise<FakeInflux> {
    return new Promise((resolve) => {
      let fake: FakeInflux;
      const handler = (req: http.IncomingMessage, res: http.ServerResponse) => fake.handle(req, res);
      const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
      server.listen(port, '127.0.0.1', () => {
        const bound = (server.address() as { port: number }).port;
        fake = new FakeInflux(server, `${tls ? 'https' : 'http'}://127.0.0.1:${bound}`);
        resolve(fake);
      });
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      const u = new URL(req.url ?? '/', this.url);
      const r: FakeRequest = { method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers,
        lines: body.length ? body.toString('utf8').split('\n') : [] };
      if (r.method === 'GET' && (r.path === '/health' || r.path === '/ping')) {
        this.probes.push(r);
        const a = this.health(r);
        res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', ...a.headers });
        res.end(a.body ?? '');
        return;
      }
      const index = this.requests.push(r) - 1;
      void Promise.resolve(this.answer(r, index)).then((a) => {
        this.answered.push({ req: r, status: a.status });
        res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', ...a.headers });
        res.end(a.body ?? '');
      });
    });
  }

  /** Lines of the requests answered with a 2xx, in the order of the answers. */
  written(): string[] {
    return this.answered.filter((a) => a.status >= 200 && a.status < 300).flatMap((a) => a.req.lines);
  }

  /** Resolves once `n` requests arrived. */
  async waitRequests(n: number, timeoutMs = 5000): Promise<FakeRequest[]> {
    const t0 = Date.now();
    while (this.requests.length < n) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`expected ${n} requests within ${timeoutMs} ms, got ${this.requests.length}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.requests.slice(0, n);
  }

  close(): Promise<void> {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A promise with its resolve function, to hold a fake answer until the spec releases it. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}
