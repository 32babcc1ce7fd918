/**
 * Every node type in the real editor (chromium): listed in the palette under `streamkit`; dragged onto the
 * canvas; its dialog opened with every text translated; an invalid value marks the node invalid; a valid one
 * saves, deploys and starts in the runtime; its help shows in the help sidebar. Screenshots of the palette and of
 * one dialog per node type.
 */
import assert from 'node:assert/strict';
import { editorSession, screenshotPath, type Editor } from '../helpers/editor';
import { nodeTypes } from '../helpers/package';
import { DIALOGS, assertStatus, shortName, type Field } from './node-types';

function setField(ed: Editor, f: Field): Promise<void> {
  return f.config ? ed.setConfigField(f.field, f.config) : ed.setField(f.field, f.value!, f.type);
}

describe('editor: node types (palette, dialog, deploy)', function () {
  this.timeout(120000);
  const s = editorSession();
  const types = nodeTypes().filter((t) => !t.config);

  it('lists every node type in the palette under streamkit, labelled (screenshot: palette)', async () => {
    for (const { type } of types) {
      const node = s.ed.paletteNode(type);
      assert.equal(await node.count(), 1, `${type} is in the palette`);
      assert.equal(await s.ed.paletteCategory(type), 'streamkit', `${type} is in the streamkit category`);
      const label = (await node.locator('.red-ui-palette-label').textContent())?.trim() ?? '';
      assert.ok(label.length > 0 && !/^[\w-]+\.[\w.-]+$/.test(label), `${type} has a translated palette label, not "${label}"`);
    }
    await s.ed.filterPalette('streamkit');
    const category = s.ed.paletteNode(types[0].type).locator('xpath=ancestor::*[contains(@class, "red-ui-palette-category")][1]');
    await category.screenshot({ path: screenshotPath('palette') });
    await s.ed.filterPalette('');
  });

  for (const { type } of types) {
    it(`${type}: dragged onto the canvas, an invalid value marks it invalid, a valid one saves and deploys (screenshot: its dialog)`, async () => {
      const c = DIALOGS[type];
      assert.ok(c, `test/editor/node-types.ts has a dialog case for ${type}`);
      const id = await s.ed.addNode(type);

      await s.ed.openDialog(id);
      assert.deepEqual(await s.ed.untranslated(), [], 'every text of the dialog is translated');
      await s.ed.dialog().screenshot({ path: screenshotPath(`dialog-${shortName(type)}`) });
      for (const f of c.invalid) await setField(s.ed, f);
      const last = c.invalid[c.invalid.length - 1].field;
      assert.equal(await s.ed.fieldInvalid(last), true, `the dialog marks ${last} invalid`);
      await s.ed.closeDialog();
      assert.equal((await s.ed.node(id)).valid, false, 'the node is invalid');
      assert.equal(await s.ed.showsInvalid(id), true, 'the canvas shows the node as invalid');

      await s.ed.openDialog(id);
      for (const f of c.valid) await setField(s.ed, f);
      await s.ed.closeDialog();
      const edited = await s.ed.node(id);
      assert.equal(edited.valid, true, 'valid again');
      assert.equal(await s.ed.showsInvalid(id), false);

      const from = s.rt.output.length;
      assert.match(await s.ed.deploy(), /deployed/i);
      const flows = (await (await s.rt.request('GET', '/flows')).json()) as { id: string; [k: string]: unknown }[];
      const deployed = flows.find((n) => n.id === id);
      assert.ok(deployed, 'the runtime has the node');
      for (const [k, v] of Object.entries(c.deployed)) assert.equal(String(deployed[k]), String(v), `deployed ${k}`);
      // The runtime started it: its status reaches the editor, and it reported no error.
      await s.ed.page.waitForFunction((nid) => !!(window as any).RED.nodes.node(nid)?.status?.text, id, { timeout: 10000 });
      const { status } = await s.ed.node(id);
      assertStatus(type, status);
      assert.doesNotMatch(s.rt.output.slice(from), /\[error\]/, 'the runtime logged no error');
    });
  }

  it('shows every node type\'s help in the help sidebar', async () => {
    await s.ed.showSidebar('help');
    for (const { type } of types) {
      await s.ed.evaluate((t) => { (window as any).RED.sidebar.help.show(t); }, type);
      await s.ed.settle();
      const help = (await s.ed.page.locator('.red-ui-sidebar-help-stack .red-ui-help').first().textContent()) ?? '';
      assert.ok(help.length > 200, `${type} has a help page (${help.length} characters)`);
      assert.doesNotMatch(help, /<!-- include/, 'shared help text is expanded');
    }
  });
});
