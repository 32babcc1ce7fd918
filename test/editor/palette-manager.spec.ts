/**
 * Installing the package through the Palette Manager in the real editor: Manage palette > Install > upload the
 * `npm pack` tarball into a fresh Node-RED (empty user directory). The nodes appear in the palette and work at
 * once, without a restart; Manage palette > Nodes > remove takes them away again.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { Editor, launchBrowser } from '../helpers/editor';
import { NodeRedProcess } from '../helpers/node-red-process';
import { nodeTypes, packTarball, packageJson } from '../helpers/package';
import { DIALOGS } from './node-types';

describe('editor: Palette Manager upload and removal (fresh user dir)', function () {
  this.timeout(300000);
  let browser: Browser;
  let rt: NodeRedProcess;
  let ed: Editor;
  const module = packageJson().name;
  const types = nodeTypes().filter((t) => !t.config);
  // A node type that needs no service, to run after the install.
  const runnable = types.find((t) => !DIALOGS[t.type]?.offline)!.type;

  before(async function () {
    browser = await launchBrowser(this);
    rt = await NodeRedProcess.start({ install: 'none', flows: [] });
    ed = await Editor.open(browser, rt);
  });
  after(async () => {
    await browser?.close();
    await rt?.dispose();
  });
  afterEach(async () => {
    await ed?.cancelOpenDialogs();
    assert.deepEqual(ed?.pageErrors ?? [], [], 'the editor threw no error');
  });

  it('uploads the tarball: every node type appears under streamkit without a restart', async () => {
    assert.equal(await ed.paletteNode(types[0].type).count(), 0, 'not installed yet');
    const pid = rt.pid;
    await ed.uploadModule(packTarball(), types[0].type);
    await ed.openPaletteManager('nodes');
    const listed = (await ed.installedModules()).find((m) => m.name === module);
    assert.ok(listed, `the Nodes tab lists ${module}`);
    assert.match(listed.summary, new RegExp(`1 plugin & ${types.length + nodeTypes().filter((t) => t.config).length} nodes`));
    await ed.closeSettings();
    for (const { type } of types) assert.equal(await ed.paletteCategory(type), 'streamkit', `${type} is in the palette`);
    assert.equal(rt.pid, pid, 'the same runtime process');
  });

  it('runs a node of the installed package at once: dragged, deployed, started', async () => {
    const id = await ed.addNode(runnable);
    const from = rt.output.length;
    await ed.deploy();
    await ed.page.waitForFunction((nid) => !!(window as any).RED.nodes.node(nid)?.status?.text, id, { timeout: 10000 });
    assert.notEqual((await ed.node(id)).status?.fill, 'red');
    assert.doesNotMatch(rt.output.slice(from), /\[error\]/);
    // Off the canvas again, so that the module is not in use.
    await ed.deleteNode(id);
    await ed.deploy();
  });

  it('removes the module from the Nodes tab: its node types leave the palette and the runtime', async () => {
    await ed.removeModule(module, types[0].type);
    for (const { type } of types) assert.equal(await ed.paletteNode(type).count(), 0, `${type} left the palette`);
    await ed.openPaletteManager('nodes');
    assert.equal((await ed.installedModules()).some((m) => m.name === module), false);
    await ed.closeSettings();
    const sets = (await (await rt.request('GET', '/nodes')).json()) as { module: string }[];
    assert.equal(sets.some((s) => s.module === module), false);
  });
});
