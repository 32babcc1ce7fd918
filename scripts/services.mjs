#!/usr/bin/env node
// The real services the integration specs talk to, and the one place that starts, reuses and stops them.
//
// Each integration spec directory names the services it needs (SERVICES below). `npm test` starts the
// services of every directory that holds specs, passes their connection settings (the scripts' `env`
// output: KAFKA_*, PG*, DEBEZIUM_*, INFLUX_*) to mocha, and at the end stops exactly the ones it started.
// A service that was already running (started by `.ci/run`, or by hand for a quick dev loop) is reused and
// left running. Specs read their settings through test/helpers/services.ts.
//
//   node scripts/services.mjs start [name ...]    start (all when no name is given) and print their env
//   node scripts/services.mjs stop  [name ...]    stop (all when no name is given), dependants first
//   node scripts/services.mjs env   [name ...]    print the env of running services
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scripts = path.join(root, 'scripts', 'services');

/**
 * name → the service script and its arguments, the services it needs running first, and the integration
 * spec directories that need it. Order matters: a service comes after the ones it needs.
 */
export const SERVICES = [
  { name: 'kafka', script: 'kafka.sh', args: [], needs: [], specDirs: ['test/integration/kafka', 'test/integration/debezium', 'test/integration/examples'] },
  { name: 'postgres', script: 'postgres.sh', args: [], needs: [], specDirs: ['test/integration/debezium', 'test/integration/examples'] },
  { name: 'debezium', script: 'debezium.sh', args: [], needs: ['kafka', 'postgres'], specDirs: ['test/integration/debezium', 'test/integration/examples'] },
  { name: 'influxdb-v2', script: 'influxdb.sh', args: ['v2'], needs: [], specDirs: ['test/integration/influxdb', 'test/integration/examples'] },
  { name: 'influxdb-v1', script: 'influxdb.sh', args: ['v1'], needs: [], specDirs: ['test/integration/influxdb'] },
];

function hasSpecs(dir) {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return false;
  return readdirSync(abs, { recursive: true }).some((f) => String(f).endsWith('.spec.ts'));
}

/** The services the integration specs present in this checkout need, in start order. */
export function neededServices() {
  const names = SERVICES.filter((s) => s.specDirs.some(hasSpecs)).map((s) => s.name);
  return names.length ? byName(names) : [];
}

function bash(args, { capture = false, quiet = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn('bash', args, { cwd: root, stdio: ['ignore', capture ? 'pipe' : (quiet ? 'ignore' : 'inherit'), quiet ? 'ignore' : 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d) => { out += d.toString(); });
    child.on('error', () => resolve({ code: 127, out }));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const scriptOf = (s) => path.join(scripts, s.script);
/** The named services (all when none is named) and the services they need, in start order. */
function byName(names) {
  if (!names.length) return SERVICES;
  const wanted = new Set(names);
  for (const s of [...SERVICES].reverse()) if (wanted.has(s.name)) for (const n of s.needs) wanted.add(n);
  return SERVICES.filter((s) => wanted.has(s.name));
}

export async function isRunning(s) {
  return (await bash([scriptOf(s), 'status', ...s.args], { quiet: true })).code === 0;
}

/**
 * The variables a running service's `env` prints (KEY=value lines, shell-quoted), read through bash so
 * that quoting is undone exactly as a shell would.
 */
export async function serviceEnv(s) {
  const { code, out } = await bash(['-c', `set -a; eval "$(bash "$0" env "$@")" || exit 1; env -0`, scriptOf(s), ...s.args],
    { capture: true });
  if (code !== 0) return null;
  const env = {};
  for (const entry of out.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && process.env[entry.slice(0, eq)] !== entry.slice(eq + 1)) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  delete env._;
  delete env.SHLVL;
  delete env.PWD;
  delete env.OLDPWD;
  return env;
}

/**
 * Starts the given services (already running ones are reused). Resolves
 * { env, started: [names started here], failed: [{name, code}] }; a failed service's dependants are not started.
 */
export async function startServices(list) {
  const env = {};
  const started = [];
  const failed = [];
  for (const s of list) {
    if (s.needs.some((n) => failed.some((f) => f.name === n))) {
      failed.push({ name: s.name, code: 'needs a service that failed' });
      continue;
    }
    const t0 = Date.now();
    const wasRunning = await isRunning(s);
    if (!wasRunning) {
      console.log(`services: starting ${s.name}`);
      const { code } = await bash([scriptOf(s), 'start', ...s.args]);
      if (code !== 0) {
        failed.push({ name: s.name, code });
        continue;
      }
      started.push(s.name);
      console.log(`services: ${s.name} started in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    } else console.log(`services: ${s.name} already running, reused`);
    const e = await serviceEnv(s);
    if (!e) failed.push({ name: s.name, code: 'env failed' });
    else Object.assign(env, e);
  }
  return { env, started, failed };
}

/** Stops the given services, dependants first. */
export async function stopServices(names) {
  for (const s of [...SERVICES].reverse()) {
    if (!names.includes(s.name)) continue;
    console.log(`services: stopping ${s.name}`);
    await bash([scriptOf(s), 'stop', ...s.args]);
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [cmd, ...names] = process.argv.slice(2);
  const unknown = names.filter((n) => !SERVICES.some((s) => s.name === n));
  if (!['start', 'stop', 'env'].includes(cmd) || unknown.length) {
    console.error(`usage: node scripts/services.mjs start|stop|env [${SERVICES.map((s) => s.name).join('|')} ...]`);
    process.exit(2);
  }
  if (cmd === 'stop') {
    await stopServices((names.length ? names : SERVICES.map((s) => s.name)));
  } else if (cmd === 'start') {
    const { env, failed } = await startServices(byName(names));
    for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
    if (failed.length) {
      console.error(`services: FAILED: ${failed.map((f) => `${f.name} (${f.code})`).join(', ')}`);
      process.exit(1);
    }
  } else {
    for (const s of byName(names)) {
      const e = await serviceEnv(s);
      if (e) for (const [k, v] of Object.entries(e)) console.log(`${k}=${v}`);
    }
  }
}
