/**
 * What this package offers, read from its own files, so that the editor, install and metrics specs cover every
 * node type and example as soon as it lands: the node types (`node-red.nodes` in package.json and the types
 * their editor files register) and the example flows (examples/*.json).
 */
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface FlowNode { id: string; type: string; z?: string; name?: string; wires?: string[][]; [k: string]: unknown }

interface PackageJson { name: string; version: string; 'node-red': { nodes: Record<string, string>; plugins?: Record<string, string> } }

export function packageJson(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/**
 * Every node type the package registers, in package.json order: `set` is the node set (key of `node-red.nodes`),
 * `file` its editor file. A set's types are those its editor file registers (`RED.nodes.registerType('…'`).
 */
export function nodeTypes(): { type: string; set: string; file: string }[] {
  const out: { type: string; set: string; file: string }[] = [];
  for (const [set, js] of Object.entries(packageJson()['node-red'].nodes)) {
    const file = path.join(ROOT, js.replace(/\.js$/, '.html'));
    const html = fs.readFileSync(file, 'utf8');
    const types = [...html.matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    if (types.length === 0) throw new Error(`${path.relative(ROOT, file)} registers no node type`);
    for (const type of types) out.push({ type, set, file });
  }
  return out;
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
