/**
 * Installing the package the way the Palette Manager's upload does it, through the admin API: the `npm pack`
 * tarball posted to POST /nodes of a fresh Node-RED with an empty user directory. The runtime installs it with
 * npm (fetching any dependency from the registry), the node types and the metrics plugin are there without a
 * restart, every example deploys and runs, and DELETE /nodes/<module> removes it again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NodeRedProcess } from '../helpers/node-red-process';
import { exampleFlows, flowNodesOf, nodeTypes, packTarball, packageJson } from '../helpers/package';

interface NodeSet { module: string; types: string[]; enabled: boolean; err?: string }

describe('palette install through the admin API (npm pack tarball, fresh user dir)', function () {
  this.timeout(300000);
  let rt: NodeRedProcess;
  const module = packageJson().name;

  before(async () => {
    rt = await NodeRedProcess.start({ install: 'none', flows: [] });
  });
  after(async () => { await rt?.dispose(); });

  const ourSets = async (): Promise<NodeSet[]> =>
    ((await (await rt.request('GET', '/nodes')).json()) as NodeSet[]).filter((s) => s.module === module);

  it('starts without the package', async () => {
    assert.deepEqual(await ourSets(), []);
    assert.equal(fs.existsSync(path.join(rt.userDir, 'node_modules', module)), false);
  });

  it('installs the uploaded tarball: every node type registered and enabled, no restart', async () => {
    const tarball = packTarball();
    const form = new FormData();
    form.append('tarball', new Blob([fs.readFileSync(tarball)]), path.basename(tarball));
    const pid = rt.pid;
    const res = await fetch(`${rt.url}/nodes`, { method: 'POST', body: form, headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200, await res.clone().text());
    const sets = await ourSets();
    const registered = sets.flatMap((s) => s.types).sort();
    assert.deepEqual(registered, nodeTypes().map((t) => t.type).sort());
    assert.ok(sets.every((s) => s.enabled && !s.err), JSON.stringify(sets));
    assert.equal(rt.pid, pid, 'the same runtime process');
    const installed = JSON.parse(fs.readFileSync(path.join(rt.userDir, 'node_modules', module, 'package.json'), 'utf8')) as { version: string };
    assert.equal(installed.version, packageJson().version);
    for (const dep of Object.keys((packageJson() as { dependencies?: Record<string, string> }).dependencies ?? {})) {
      assert.ok(fs.existsSync(path.join(rt.userDir, 'node_modules', dep, 'package.json')), `npm installed the dependency ${dep}`);
    }
  });

  it('runs a flow of the installed nodes at once (inject → filter → map → debug)', async () => {
    const tab = { id: 'install-tab', type: 'tab', label: 'installed' };
    const at = { z: tab.id, x: 100, y: 100 };
    const from = rt.output.length;
    await rt.deploy([
      tab,
      { id: 'in', type: 'inject', ...at, props: [{ p: 'payload' }], payload: '21', payloadType: 'num', once: true, onceDelay: 0.1, repeat: '', wires: [['f']] },
      { id: 'f', type: 'streamkit-filter', ...at, mode: 'rules', rules: [{ property: 'payload', op: 'gt', value: '20', valueType: 'num' }], combine: 'all', wires: [['m']] },
      { id: 'm', type: 'streamkit-map', ...at, property: 'payload', expression: '"mapped " & $string(payload * 2)', wires: [['d']] },
      { id: 'd', type: 'debug', ...at, name: 'installed', active: true, tosidebar: false, console: true, complete: 'payload', wires: [] },
    ]);
    await rt.waitForOutput(/mapped 42/, 15000, from);
  });

  it('deploys every example with the installed package; the metrics plugin serves their nodes', async () => {
    const flows = exampleFlows().flatMap((e) => e.flow);
    const from = rt.output.length;
    await rt.deploy(flows);
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(rt.output.slice(from), /\[error\]/);
    const text = await (await rt.request('GET', '/streamkit/metrics')).text();
    for (const n of flowNodesOf(flows)) assert.match(text, new RegExp(`^streamkit_in_total\\{node="${n.id}"`, 'm'), `${n.type} ${n.id}`);
  });

  it('removes the module (DELETE /nodes/<module>) once no flow uses it', async () => {
    await rt.deploy([]);
    const res = await fetch(`${rt.url}/nodes/${module}`, { method: 'DELETE', headers: { Accept: 'application/json' } });
    assert.equal(res.status, 204, await res.text());
    assert.deepEqual(await ourSets(), []);
    assert.equal(fs.existsSync(path.join(rt.userDir, 'node_modules', module)), false, 'npm removed the package');
    const project = JSON.parse(fs.readFileSync(path.join(rt.userDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    assert.equal(project.dependencies?.[module], undefined, 'and its entry in the user dir package.json');
  });
});
