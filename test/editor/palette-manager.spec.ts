/**
 * Installing the package through the Palette Manager in the real editor: Manage palette > Install > upload the
 * `npm pack` tarball into a fresh Node-RED (empty user directory). The nodes appear in the palette and work at
 * once, without a restart; Manage palette > Nodes > remove takes them away again.
 */
import assert from 'node:assert/strict';
import { editorSession } from '../helpers/editor';
import { nodeTypes, packTarball, packageJson } from '../helpers/package';
import { DIALOGS } from './node-types';

describe('editor: Palette Manager upload and removal (fresh user dir)', function () {
  this.timeout(300000);
  const s = editorSession({ install: 'none' });
  const module = packageJson().name;
  const types = nodeTypes().filter((t) => !t.config);
  // A node type that needs no service, to run after the install.
  const runnable = types.find((t) => !DIALOGS[t.type]?.offline)!.type;

  it('uploads the tarball: every node type appears under streamkit without a restart', async () => {
    assert.equal(await s.ed.paletteNode(types[0].type).count(), 0, 'not installed yet');
    const pid = s.rt.pid;
    await s.ed.uploadModule(packTarball(), types[0].type);
    await s.ed.openPaletteManager('nodes');
    const listed = (await s.ed.installedModules()).find((m) => m.name === module);
    assert.ok(listed, `the Nodes tab lists ${module}`);
    assert.match(listed.summary, new RegExp(`1 plugin & ${types.length + nodeTypes().filter((t) => t.config).length} nodes`));
    await s.ed.closeSettings();
    for (const { type } of types) assert.equal(await s.ed.paletteCategory(type), 'streamkit', `${type} is in the palette`);
    assert.equal(s.rt.pid, pid, 'the same runtime process');
  });

  it('runs a node of the installed package at once: dragged, deployed, started', async () => {
    const id = await s.ed.addNode(runnable);
    const from = s.rt.output.length;
    await s.ed.deploy();
    await s.ed.page.waitForFunction((nid) => !!(window as any).RED.nodes.node(nid)?.status?.text, id, { timeout: 10000 });
    assert.notEqual((await s.ed.node(id)).status?.fill, 'red');
    assert.doesNotMatch(s.rt.output.slice(from), /\[error\]/);
    // Off the canvas again, so that the module is not in use.
    await s.ed.deleteNode(id);
    await s.ed.deploy();
  });

  it('removes the module from the Nodes tab: its node types leave the palette and the runtime', async () => {
    await s.ed.removeModule(module, types[0].type);
    for (const { type } of types) assert.equal(await s.ed.paletteNode(type).count(), 0, `${type} left the palette`);
    await s.ed.openPaletteManager('nodes');
    assert.equal((await s.ed.installedModules()).some((m) => m.name === module), false);
    await s.ed.closeSettings();
    const sets = (await (await s.rt.request('GET', '/nodes')).json()) as { module: string }[];
    assert.equal(sets.some((s) => s.module === module), false);
  });
});
