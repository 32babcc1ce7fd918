/**
 * A real Node-RED runtime in a child process, for specs that need what the in-process test helper cannot
 * give: the admin HTTP API and editor, a process that can be killed with SIGKILL and restarted on the same
 * user directory, or Node-RED 5 on Node 22.
 *
 *   const rt = await NodeRedProcess.start({ flows });     // this package linked into a fresh user dir
 *   await rt.deploy(otherFlows);                          // POST /flows
 *   await rt.kill();                                      // SIGKILL; await rt.start() brings it back
 *   await rt.stop();                                      // SIGTERM, waits for the exit
 *
 * The Node-RED under test is the one `npm test` points at (STREAMKIT_NODE_RED, else the devDependency),
 * run with the Node that runs the specs (Node 22 in the Node-RED 5 pass).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface NodeRedProcessOptions {
  /** Node-RED package directory; default STREAMKIT_NODE_RED or the devDependency. */
  nodeRedDir?: string;
  /** Node binary; default the one running the specs. */
  nodeBin?: string;
  /** User directory; default a fresh temporary one (removed by `dispose`). */
  userDir?: string;
  port?: number;
  /** Written to flows.json before the first start (when given). */
  flows?: object[];
  /** Extra settings.js entries (JSON-serialisable), e.g. `adminAuth`, `lang`, `functionExternalModules`. */
  settings?: Record<string, unknown>;
  /** `link` (default): this repository is symlinked into the user dir's node_modules; `none`: not installed. */
  install?: 'link' | 'none';
  env?: NodeJS.ProcessEnv;
}

export class NodeRedProcess {
  readonly url: string;
  /** Everything the runtime printed (stdout and stderr), across restarts. */
  output = '';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly ownUserDir: boolean;

  private constructor(readonly opts: Required<Pick<NodeRedProcessOptions, 'nodeRedDir' | 'nodeBin' | 'userDir' | 'port'>> & NodeRedProcessOptions,
    ownUserDir: boolean) {
    this.url = `http://127.0.0.1:${opts.port}`;
    this.ownUserDir = ownUserDir;
  }

  get userDir(): string { return this.opts.userDir; }
  get running(): boolean { return this.child !== null && this.child.exitCode === null && this.child.signalCode === null; }
  get pid(): number | undefined { return this.child?.pid; }

  /** Prepares the user directory and starts the runtime; resolves once it has started its flows. */
  static async start(options: NodeRedProcessOptions = {}): Promise<NodeRedProcess> {
    const ownUserDir = !options.userDir;
    const opts = {
      ...options,
      nodeRedDir: options.nodeRedDir ?? nodeRedPackageDir(),
      nodeBin: options.nodeBin ?? process.execPath,
      userDir: options.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'streamkit-nr-')),
      port: options.port ?? (await freePort()),
    };
    const rt = new NodeRedProcess(opts, ownUserDir);
    rt.prepare();
    await rt.start();
    return rt;
  }

  private prepare(): void {
    const { userDir, flows, settings, install = 'link' } = this.opts;
    fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
    if (!fs.existsSync(path.join(userDir, 'package.json'))) {
      fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }));
    }
    const link = path.join(userDir, 'node_modules', 'node-red-contrib-streamkit');
    if (install === 'link' && !fs.existsSync(link)) fs.symlinkSync(ROOT, link, 'dir');
    if (flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    const all = {
      uiHost: '127.0.0.1',
      uiPort: this.opts.port,
      flowFile: 'flows.json',
      // The repository's own node_modules (beside the devDependency Node-RED) hold benchmark peers.
      nodesExcludes: ['node-red-contrib-aggregator', 'node-red-contrib-kafkajs'],
      logging: { console: { level: 'info', metrics: false, audit: false } },
      telemetry: { enabled: false, updateNotification: false },
      externalModules: { autoInstall: false },
      editorTheme: { palette: { catalogues: [] }, projects: { enabled: false }, tours: false },
      ...settings,
    };
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(all, null, 2)};\n`);
  }

  /**
   * Starts (or restarts) the runtime on the same user directory and port; resolves once it has started its flows.
   * Node-RED answers HTTP before it has loaded its flow file: a deploy in between races that loading, which can then
   * replace the deployed nodes' credentials with those it read (none, on a first start) or inject before the flows run.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error('Node-RED is already running');
    const from = this.output.length;
    const red = path.join(this.opts.nodeRedDir, 'red.js');
    const child = spawn(this.opts.nodeBin, [red, '-u', this.userDir, '-s', path.join(this.userDir, 'settings.js')], {
      cwd: this.userDir,
      env: { ...process.env, ...this.opts.env, PATH: `${path.dirname(this.opts.nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (d: Buffer) => { this.output += d.toString(); };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 60000;
    for (;;) {
      if (!this.running) throw new Error(`Node-RED exited during start-up:\n${this.output.slice(-3000)}`);
      try {
        const res = await fetch(`${this.url}/settings`, { headers: { Accept: 'application/json' } });
        if (res.status === 200 || res.status === 401) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`Node-RED did not answer on ${this.url} within 60 s:\n${this.output.slice(-3000)}`);
      await sleep(100);
    }
    await this.waitForOutput(/Started flows|Waiting for missing types/, Math.max(0, deadline - Date.now()), from);
  }

  /** Resolves when the output (since `from`, a length of `output`) matches `re`. */
  async waitForOutput(re: RegExp, timeoutMs = 30000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.slice(from).match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${re} in Node-RED's output within ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await sleep(50);
    }
  }

  /** An admin API request; `headers` may carry an access token. Throws on a non-2xx answer. */
  async request(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res;
  }

  /**
   * Logs in to the admin API (settings `adminAuth`, see `adminUsers`) and returns the header that carries the
   * access token.
   */
  async login(username: string, password: string, scope = '*'): Promise<Record<string, string>> {
    const res = await this.request('POST', '/auth/token', { client_id: 'node-red-admin', grant_type: 'password', scope, username, password });
    const { access_token: token } = (await res.json()) as { access_token: string };
    return { Authorization: `Bearer ${token}` };
  }

  /** Deploys `flows` (`Node-RED-Deployment-Type`: full, nodes or flows) and waits until they have started. */
  async deploy(flows: object[], type: 'full' | 'nodes' | 'flows' = 'full', headers: Record<string, string> = {}): Promise<void> {
    const from = this.output.length;
    await this.request('POST', '/flows', flows, { 'Node-RED-Deployment-Type': type, ...headers });
    await this.waitForOutput(/Started (modified )?(flows|nodes)/, 30000, from);
  }

  /** SIGKILL: no close handlers run, as in a crash. */
  async kill(): Promise<void> { await this.signal('SIGKILL'); }

  /** SIGTERM: Node-RED stops its flows (close handlers run) and exits. */
  async stop(): Promise<void> { await this.signal('SIGTERM'); }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    if (this.running) this.child!.kill(sig);
    await this.exited;
  }

  /** Stops the runtime and removes the user directory when this object created it. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownUserDir) fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

/**
 * `adminAuth` settings with these users (`permissions` `*` or `read`), their passwords hashed with the bcrypt
 * of the Node-RED under test.
 */
export function adminAuth(users: { username: string; password: string; permissions: string }[], nodeRedDir = nodeRedPackageDir()): object {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require(require.resolve('bcryptjs', { paths: [nodeRedDir] })) as { hashSync(p: string, rounds: number): string };
  return {
    type: 'credentials',
    users: users.map((u) => ({ username: u.username, password: bcrypt.hashSync(u.password, 8), permissions: u.permissions })),
  };
}

/** The Node-RED under test: STREAMKIT_NODE_RED (the Node-RED 5 pass) or the devDependency. */
export function nodeRedPackageDir(): string {
  return path.dirname(require.resolve(`${process.env.STREAMKIT_NODE_RED || 'node-red'}/package.json`));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
