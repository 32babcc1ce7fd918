#!/usr/bin/env node
// `npm start`: run this package in a local Node-RED 4.1 exactly as a user would install it.
//
//   1. build (scripts/build.mjs)
//   2. npm pack into the project-local user dir .node-red/ (gitignored)
//   3. npm install that tarball there (a real copy, reinstalled on every start so code changes show)
//   4. write .node-red/settings.js (127.0.0.1, port 1880 or $PORT, flows.json, no external network use)
//   5. first start only: flows.json := examples/demo-sensor-stream.json (else an empty flow)
//   6. run node_modules/node-red/red.js -u .node-red -s .node-red/settings.js, forwarding signals
//
// Needs nothing but `npm install` having been run in the repo: no network, no external service.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const userDir = path.join(root, '.node-red');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const demoFlow = path.join(root, 'examples', 'demo-sensor-stream.json');
const redJs = path.join(root, 'node_modules', 'node-red', 'red.js');

const log = (s) => console.log(`start: ${s}`);

function run(cmd, args, { cwd = root, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let out = '';
    if (capture) child.stdout.on('data', (d) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

/** npm's CLI: the one running `npm start` when there is one, else `npm` from PATH. */
function npm(args, opts) {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.c?js$/.test(cli) && existsSync(cli)) return run(process.execPath, [cli, ...args], opts);
  return run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, opts);
}

const settingsJs = `// Written by scripts/start.mjs on every \`npm start\`; edits here are overwritten.
// A local Node-RED for developing node-red-contrib-streamkit: loopback only, no external network use.
module.exports = {
    uiHost: '127.0.0.1',
    uiPort: Number(process.env.PORT) || 1880,
    userDir: __dirname,
    flowFile: 'flows.json',
    flowFilePretty: true,
    // Node-RED also scans the node_modules beside its own install (this repo's): hide the benchmark's
    // devDependency there so the palette shows what a user of this package would see.
    nodesExcludes: ['node-red-contrib-aggregator', 'node-red-contrib-kafkajs'],
    logging: { console: { level: process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false } },
    // No update checks, no palette catalogue downloads, no auto-install of missing modules.
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false },
    editorTheme: {
        palette: { catalogues: [] },
        projects: { enabled: false },
        tours: false,
    },
};
`;

async function main() {
  if (!existsSync(redJs)) {
    console.error(`start: ${path.relative(root, redJs)} not found: run \`npm install\` first`);
    process.exit(1);
  }

  log('building');
  await run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]);

  mkdirSync(userDir, { recursive: true });
  for (const f of readdirSync(userDir)) {
    if (/^node-red-contrib-streamkit-.*\.tgz$/.test(f)) rmSync(path.join(userDir, f), { force: true });
  }
  log(`packing into ${path.relative(root, userDir)}/`);
  // --ignore-scripts: skips `prepack` (the build above just ran).
  const packed = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', userDir], { capture: true }));
  const tgz = packed[0].filename.replace(/^@.*\//, '');
  log(`packed ${tgz} (${packed[0].entryCount} files, ${(packed[0].size / 1024).toFixed(1)} kB)`);

  const userPkg = path.join(userDir, 'package.json');
  if (!existsSync(userPkg)) {
    writeFileSync(
      userPkg,
      `${JSON.stringify({ name: 'node-red-project', description: 'Local Node-RED for npm start', version: '0.0.1', private: true, dependencies: {} }, null, 4)}\n`,
    );
  }
  // Reinstall from scratch each time: a lock file would pin the old tarball's integrity.
  rmSync(path.join(userDir, 'node_modules', pkg.name), { recursive: true, force: true });
  rmSync(path.join(userDir, 'package-lock.json'), { force: true });
  log(`installing ./${tgz} into ${path.relative(root, userDir)}/node_modules`);
  await npm(['install', '--no-audit', '--no-fund', '--no-package-lock', `./${tgz}`], { cwd: userDir });

  writeFileSync(path.join(userDir, 'settings.js'), settingsJs);

  const flows = path.join(userDir, 'flows.json');
  if (!existsSync(flows)) {
    if (existsSync(demoFlow)) {
      copyFileSync(demoFlow, flows);
      log(`first start: flows.json is a copy of ${path.relative(root, demoFlow)}`);
    } else {
      writeFileSync(flows, '[]\n');
      log(`first start: ${path.relative(root, demoFlow)} does not exist yet, starting with an empty flow`);
    }
  } else {
    log(`keeping ${path.relative(root, flows)} (delete it to start again from the demo flow)`);
  }

  const nrVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', 'node-red', 'package.json'), 'utf8')).version;
  const port = Number(process.env.PORT) || 1880;
  log(`Node-RED ${nrVersion} on Node ${process.version}: http://127.0.0.1:${port}/ (Ctrl-C stops it)`);
  const child = spawn(process.execPath, [redJs, '-u', userDir, '-s', path.join(userDir, 'settings.js')], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (child.exitCode === null) child.kill(sig);
    });
  }
  // `npm start` killed by a signal does not pass it on through its shell: stop Node-RED when orphaned.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && child.exitCode === null) {
      log('parent process gone, stopping Node-RED');
      child.kill('SIGTERM');
    }
  }, 1000).unref();
  child.on('error', (err) => {
    console.error(`start: cannot run Node-RED: ${err.message}`);
    process.exit(1);
  });
  child.on('close', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
}

main().catch((err) => {
  console.error(`start: ${err.message}`);
  process.exit(1);
});
