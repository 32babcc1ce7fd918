/**
 * What this package offers, read from its own files, so that the editor, install and metrics specs cover every
 * node type and example as soon as it lands: the node types (`node-red.nodes` in package.json and the types
 * their editor files register) and the example flows (examples/*.json).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface FlowNode { id: string; type: string; z?: string; name?: string; wires?: string[][]; [k: string]: unknown }

interface PackageJson { name: string; version: string; 'node-red': { nodes: Record<string, string>; plugins?: Record<string, string> } }

export function packageJson(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/**
 * Every node type the package registers, in package.json order. A set's types are those its editor file
 * registers (`RED.nodes.registerType('…'`).
 */
export function nodeTypes(): NodeTypeInfo[] {
  const out: NodeTypeInfo[] = [];
  for (const [set, js] of Object.entries(packageJson()['node-red'].nodes)) {
    const file = path.join(ROOT, js.replace(/\.js$/, '.html'));
    const html = fs.readFileSync(file, 'utf8');
    const calls = [...html.matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g)];
    if (calls.length === 0) throw new Error(`${path.relative(ROOT, file)} registers no node type`);
    calls.forEach((m, i) => {
      const definition = html.slice(m.index, calls[i + 1]?.index ?? html.length);
      out.push({ type: m[1], set, file, config: /category:\s*['"]config['"]/.test(definition) });
    });
  }
  return out;
}

export interface NodeTypeInfo {
  type: string;
  /** The node set (key of `node-red.nodes`). */
  set: string;
  /** Its editor file. */
  file: string;
  /** A configuration node (category `config`): not in the palette, no example of its own. */
  config: boolean;
}

/** The example flows offered under Import > Examples, by file name. */
export function exampleFlows(): { file: string; flow: FlowNode[] }[] {
  const dir = path.join(ROOT, 'examples');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((file) => ({ file, flow: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[] }));
}

/** The nodes of `flow` that are this package's and sit on a flow (not config nodes, which have no wires). */
export function flowNodesOf(flow: FlowNode[]): FlowNode[] {
  const ours = new Set(nodeTypes().map((t) => t.type));
  return flow.filter((n) => ours.has(n.type) && Array.isArray(n.wires));
}

let packed: string | undefined;

/**
 * The package as users get it: `npm pack` of this repository (the build output must exist: `npm test` builds
 * first), made once per test process; returns the tarball's path.
 */
export function packTarball(): string {
  if (packed && fs.existsSync(packed)) return packed;
  for (const built of ['dist/engine.js', ...Object.values(packageJson()['node-red'].nodes)]) {
    if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamkit-pack-'));
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(out) as { filename: string }[];
  packed = path.join(dir, path.basename(filename));
  return packed;
}
