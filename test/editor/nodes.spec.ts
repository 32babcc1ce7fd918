/**
 * Every node type in the real editor (chromium): listed in the palette under `streamkit`; dragged onto the
 * canvas; its dialog opened with every text translated; an invalid value marks the node invalid; a valid one
 * saves, deploys and starts in the runtime; its help shows in the help sidebar. Screenshots of the palette and of
 * one dialog per node type.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { Editor, launchBrowser, screenshotPath } from '../helpers/editor';
import { NodeRedProcess } from '../helpers/node-red-process';
import { nodeTypes } from '../helpers/package';
import { DIALOGS, assertStatus, shortName, type Field } from './node-types';

function setField(ed: Editor, f: Field): Promise<void> {
  return f.config ? ed.setConfigField(f.field, f.config) : ed.setField(f.field, f.value!, f.type);
}

describe('editor: node types (palette, dialog, deploy)', function () {
  this.timeout(120000);
  let browser: Browser;
  let rt: NodeRedProcess;
  let ed: Editor;
  const types = nodeTypes().filter((t) => !t.config);

  before(async function () {
    browser = await launchBrowser(this);
    rt = await NodeRedProcess.start({ flows: [] });
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

  it('lists every node type in the palette under streamkit, labelled (screenshot: palette)', async () => {
    for (const { type } of types) {
      const node = ed.paletteNode(type);
      assert.equal(await node.count(), 1, `${type} is in the palette`);
      assert.equal(await ed.paletteCategory(type), 'streamkit', `${type} is in the streamkit category`);
      const label = (await node.locator('.red-ui-palette-label').textContent())?.trim() ?? '';
      assert.ok(label.length > 0 && !/^[\w-]+\.[\w.-]+$/.test(label), `${type} has a translated palette label, not "${label}"`);
    }
    await ed.filterPalette('streamkit');
    const category = ed.paletteNode(types[0].type).locator('xpath=ancestor::*[contains(@class, "red-ui-palette-category")][1]');
    await category.screenshot({ path: screenshotPath('palette') });
    await ed.filterPalette('');
  });

  for (const { type } of types) {
    it(`${type}: dragged onto the canvas, an invalid value marks it invalid, a valid one saves and deploys (screenshot: its dialog)`, async () => {
      const c = DIALOGS[type];
      assert.ok(c, `test/editor/node-types.ts has a dialog case for ${type}`);
      const id = await ed.addNode(type);

      await ed.openDialog(id);
      assert.deepEqual(await ed.untranslated(), [], 'every text of the dialog is translated');
      await ed.dialog().screenshot({ path: screenshotPath(`dialog-${shortName(type)}`) });
      for (const f of c.invalid) await setField(ed, f);
      const last = c.invalid[c.invalid.length - 1].field;
      assert.equal(await ed.fieldInvalid(last), true, `the dialog marks ${last} invalid`);
      await ed.closeDialog();
      assert.equal((await ed.node(id)).valid, false, 'the node is invalid');
      assert.equal(await ed.showsInvalid(id), true, 'the canvas shows the node as invalid');

      await ed.openDialog(id);
      for (const f of c.valid) await setField(ed, f);
      await ed.closeDialog();
      const edited = await ed.node(id);
      assert.equal(edited.valid, true, 'valid again');
      assert.equal(await ed.showsInvalid(id), false);

      const from = rt.output.length;
      assert.match(await ed.deploy(), /deployed/i);
      const flows = (await (await rt.request('GET', '/flows')).json()) as { id: string; [k: string]: unknown }[];
      const deployed = flows.find((n) => n.id === id);
      assert.ok(deployed, 'the runtime has the node');
      for (const [k, v] of Object.entries(c.deployed)) assert.equal(String(deployed[k]), String(v), `deployed ${k}`);
      // The runtime started it: its status reaches the editor, and it reported no error.
      await ed.page.waitForFunction((nid) => !!(window as any).RED.nodes.node(nid)?.status?.text, id, { timeout: 10000 });
      const { status } = await ed.node(id);
      assertStatus(type, status);
      assert.doesNotMatch(rt.output.slice(from), /\[error\]/, 'the runtime logged no error');
    });
  }

  it('shows every node type\'s help in the help sidebar', async () => {
    await ed.showSidebar('help');
    for (const { type } of types) {
      await ed.evaluate((t) => { (window as any).RED.sidebar.help.show(t); }, type);
      await ed.settle();
      const help = (await ed.page.locator('.red-ui-sidebar-help-stack .red-ui-help').first().textContent()) ?? '';
      assert.ok(help.length > 200, `${type} has a help page (${help.length} characters)`);
      assert.doesNotMatch(help, /<!-- include/, 'shared help text is expanded');
    }
  });
});
