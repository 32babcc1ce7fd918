#!/usr/bin/env node
// Build the package with esbuild.
//
//   src/engine/index.ts  -> dist/engine.js        (one CommonJS bundle: the single engine instance)
//   src/nodes/<name>.ts  -> nodes/<name>.js       (one CommonJS bundle per node type, top level only;
//                                                   src/nodes/shared/ is bundled into each node)
//   src/plugins/<name>.ts -> plugins/<name>.js    (Node-RED runtime plugins, e.g. the metrics endpoint;
//                                                   built and checked like the node files)
//
// Every import of a file under src/engine/ made from a node entry is rewritten to the external
// `../dist/engine.js`, so all node files share ONE engine module (one registry per runtime).
// After building, each node file that imports the engine is checked to `require("../dist/engine.js")`
// and to contain no engine code of its own.
//
// Usage: node scripts/build.mjs [--root <dir>]   (--root is for testing the build on a scratch tree)
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, readFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const argv = process.argv.slice(2);
const rootArg = argv.indexOf('--root');
const root = rootArg >= 0 ? path.resolve(argv[rootArg + 1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const engineDir = path.join(root, 'src', 'engine');
const engineEntry = path.join(engineDir, 'index.ts');
const nodesSrcDir = path.join(root, 'src', 'nodes');
const pluginsSrcDir = path.join(root, 'src', 'plugins');
const distDir = path.join(root, 'dist');
const nodesOutDir = path.join(root, 'nodes');
const pluginsOutDir = path.join(root, 'plugins');
const ENGINE_EXTERNAL = '../dist/engine.js';

// Runtime dependencies are installed beside the package: node files and the engine require them, never inline them.
const runtimeDependencies = Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies ?? {});

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  sourcemap: false,
  legalComments: 'none',
  absWorkingDir: root,
  logLevel: 'warning',
  // Node-RED and Node built-ins are provided by the runtime; `node-red` imports are types-only anyway.
  external: ['node-red', '@node-red/*', ...runtimeDependencies],
};

function isInside(file, dir) {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Resolve a relative import the way TypeScript would (.ts, /index.ts, ...). */
function resolveTs(fromDir, spec) {
  const base = path.resolve(fromDir, spec);
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}.js`, path.join(base, 'index.ts'), path.join(base, 'index.js')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? base;
}

/**
 * esbuild plugin: every relative import that resolves into src/engine/ becomes the external
 * `../dist/engine.js` and records that the engine was imported. Deep imports (e.g. `../engine/types`)
 * are served by the same bundle, so what they name must be re-exported from src/engine/index.ts
 * (checked after the build).
 */
function sharedEnginePlugin(seen) {
  return {
    name: 'streamkit-shared-engine',
    setup(b) {
      b.onResolve({ filter: /^\.\.?(\/|$)/ }, (args) => {
        if (!args.resolveDir) return undefined;
        const target = resolveTs(args.resolveDir, args.path);
        if (!isInside(target, engineDir)) return undefined;
        seen.usesEngine = true;
        return { path: ENGINE_EXTERNAL, external: true };
      });
    },
  };
}

let engineExportsCache;
function engineExports() {
  if (!engineExportsCache) {
    const req = createRequire(path.join(root, 'package.json'));
    const file = path.join(distDir, 'engine.js');
    delete req.cache[file];
    engineExportsCache = new Set(Object.keys(req(file)));
  }
  return engineExportsCache;
}

/** The entry points (top-level .ts files) of `srcDir`, each with the directory its bundle goes to. */
function listEntries(srcDir, outDir) {
  if (!existsSync(srcDir)) return [];
  return readdirSync(srcDir, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') && !d.name.endsWith('.spec.ts'))
    .map((d) => ({ entry: path.join(srcDir, d.name), outDir }))
    .sort((a, b) => a.entry.localeCompare(b.entry));
}

/**
 * Help pages that share text (the three window nodes) hold `<!-- include partials/<file> -->` lines; the
 * copies beside the node files get the partial's text in their place, so each shared paragraph is written once.
 */
function expandHelpIncludes(srcLocales, outLocales, problems) {
  if (!existsSync(outLocales)) return;
  for (const lang of readdirSync(outLocales)) {
    for (const f of readdirSync(path.join(outLocales, lang)).filter((n) => n.endsWith('.html'))) {
      const file = path.join(outLocales, lang, f);
      const text = readFileSync(file, 'utf8');
      // Partials may include partials themselves; a few levels are plenty and stop a cycle.
      const expand = (t, depth) => t.replace(/^<!-- include ([\w./-]+) -->$/gm, (line, rel) => {
        const part = path.join(srcLocales, lang, rel);
        if (!existsSync(part) || depth > 4) { problems.push(`locales/${lang}/${f}: cannot include ${rel}`); return line; }
        return expand(readFileSync(part, 'utf8').replace(/\n$/, ''), depth + 1);
      });
      const expanded = expand(text, 0);
      if (expanded !== text) writeFileSync(file, expanded);
    }
  }
}

async function main() {
  const t0 = Date.now();
  rmSync(distDir, { recursive: true, force: true });
  mkdirSync(distDir, { recursive: true });

  if (existsSync(engineEntry)) {
    // esbuild's CommonJS exports are getters (two levels deep), paid on every use from a node file's hot
    // path; the engine's exports never change after load, so it exports plain properties instead.
    await build({ ...common, entryPoints: [engineEntry], outfile: path.join(distDir, 'engine.js'),
      footer: { js: 'module.exports = { ...module.exports };' } });
    console.log(`build: ${path.relative(root, engineEntry)} -> dist/engine.js`);
  } else {
    console.warn(`build: ${path.relative(root, engineEntry)} does not exist yet; no engine bundle built`);
  }

  const entries = [...listEntries(nodesSrcDir, nodesOutDir), ...listEntries(pluginsSrcDir, pluginsOutDir)];
  // nodes/*.js and plugins/*.js are build output only (the editor files nodes/*.html are sources): drop stale bundles.
  for (const dir of [nodesOutDir, pluginsOutDir]) {
    if (existsSync(dir)) for (const f of readdirSync(dir)) if (f.endsWith('.js')) rmSync(path.join(dir, f), { force: true });
  }
  const problems = [];
  for (const { entry, outDir } of entries) {
    const outfile = path.join(outDir, `${path.basename(entry, '.ts')}.js`);
    const file = path.relative(root, outfile);
    const seen = { usesEngine: false };
    await build({ ...common, entryPoints: [entry], outfile, plugins: [sharedEnginePlugin(seen)] });
    console.log(`build: ${path.relative(root, entry)} -> ${file}${seen.usesEngine ? ' (engine: ../dist/engine.js)' : ''}`);

    // Check: a node that imports the engine must require the shared bundle and must not inline engine code.
    const out = readFileSync(outfile, 'utf8');
    if (seen.usesEngine && !out.includes(`require("${ENGINE_EXTERNAL}")`)) {
      problems.push(`${file} imports the engine but does not require("${ENGINE_EXTERNAL}")`);
    }
    const inlined = [...out.matchAll(/^\/\/ src\/engine\/[^\n]*/gm)].map((m) => m[0]);
    if (inlined.length) problems.push(`${file} inlines engine source: ${inlined.join(', ')}`);
    if (seen.usesEngine && !existsSync(path.join(distDir, 'engine.js'))) {
      problems.push(`${file} imports the engine but dist/engine.js was not built (no src/engine/index.ts)`);
    } else if (seen.usesEngine) {
      // Every name the node reads from the engine must be exported by the bundle (deep imports such as
      // `../engine/windows/tumbling` are only served if src/engine/index.ts re-exports what they name).
      const exported = engineExports();
      for (const m of out.matchAll(/var (\w+) = require\("\.\.\/dist\/engine\.js"\)/g)) {
        const used = new Set([...out.matchAll(new RegExp(`\\b${m[1]}\\.(\\w+)`, 'g'))].map((u) => u[1]));
        for (const u of used) {
          if (!exported.has(u)) problems.push(`${file} uses engine export '${u}', which dist/engine.js does not export (re-export it from src/engine/index.ts)`);
        }
      }
    }
  }
  if (entries.length === 0) console.log('build: no node entry points in src/nodes/ yet');

  // Node-RED looks for a node's message catalogs, help pages and icons beside its .js file
  // (nodes/locales/<lang>/<name>.json|html, nodes/icons/); the sources live at the package root.
  for (const dir of ['locales', 'icons']) {
    const from = path.join(root, dir);
    const to = path.join(nodesOutDir, dir);
    rmSync(to, { recursive: true, force: true });
    if (existsSync(from)) {
      cpSync(from, to, { recursive: true, filter: (src) => path.basename(src) !== 'partials' });
      console.log(`build: ${dir}/ -> nodes/${dir}/`);
    }
  }
  expandHelpIncludes(path.join(root, 'locales'), path.join(nodesOutDir, 'locales'), problems);

  if (problems.length) {
    for (const p of problems) console.error(`build: ERROR ${p}`);
    process.exit(1);
  }
  console.log(`build: done in ${Date.now() - t0} ms`);
}

main().catch((err) => {
  console.error(err?.errors ? '' : err);
  process.exit(1);
});
