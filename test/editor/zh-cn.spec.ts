/**
 * The editor in Simplified Chinese (browser language zh-CN): every node type's palette label, dialog and help come
 * from the zh-CN catalogs and help pages, with no text left untranslated. Screenshots: the palette and the
 * tumbling window's dialog in zh-CN.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { Editor, launchBrowser, screenshotPath } from '../helpers/editor';
import { NodeRedProcess } from '../helpers/node-red-process';
import { ROOT, nodeTypes } from '../helpers/package';
import { shortName } from './node-types';

const CJK = /[\u4e00-\u9fff]/;

/** The zh-CN catalog of a node set's editor file (locales/zh-CN/<name>.json). */
function catalog(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', 'zh-CN', `${path.basename(file, '.html')}.json`), 'utf8')) as Record<string, unknown>;
}

/** The catalog text at a dotted key. */
function lookup(cat: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], cat);
}

describe('editor: zh-CN', function () {
  this.timeout(120000);
  let browser: Browser;
  let rt: NodeRedProcess;
  let ed: Editor;
  const types = nodeTypes().filter((t) => !t.config);

  before(async function () {
    browser = await launchBrowser(this);
    // Without a CJK font the browser draws boxes: the texts are still checked, the screenshots would be useless.
    const fonts = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).stdout ?? '';
    if (!fonts.trim()) {
      const msg = 'no CJK font (fc-list :lang=zh): `apt-get install -y fonts-wqy-microhei` (.ci/run does)';
      if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) throw new Error(msg);
      console.warn(`      WARNING: ${msg}; the zh-CN screenshots show boxes`);
    }
    rt = await NodeRedProcess.start({ flows: [] });
    ed = await Editor.open(browser, rt, { locale: 'zh-CN' });
  });
  after(async () => {
    await browser?.close();
    await rt?.dispose();
  });
  afterEach(async () => {
    await ed?.cancelOpenDialogs();
    assert.deepEqual(ed?.pageErrors ?? [], [], 'the editor threw no error');
  });

  it('shows the editor itself in Chinese', async () => {
    assert.ok(CJK.test((await ed.page.locator('#red-ui-header-button-deploy').textContent()) ?? ''), 'Node-RED\'s own Deploy button is in Chinese');
  });

  it('labels every node type in the palette from its zh-CN catalog (screenshot: palette-zh-CN)', async () => {
    for (const { type, file } of types) {
      // The palette breaks long labels into lines: compare the words.
      const label = ((await ed.paletteNode(type).locator('.red-ui-palette-label').textContent()) ?? '').replace(/\s+/g, ' ').trim();
      const expected = catalog(file).paletteLabel;
      if (typeof expected === 'string' && types.filter((t) => t.file === file).length === 1) assert.equal(label, expected, type);
      else assert.ok(label && !/^[\w-]+\.[\w.-]+$/.test(label), `${type}: "${label}" is a label, not a catalog key`);
    }
    await ed.filterPalette('streamkit');
    const category = ed.paletteNode(types[0].type).locator('xpath=ancestor::*[contains(@class, "red-ui-palette-category")][1]');
    await category.screenshot({ path: screenshotPath('palette-zh-CN') });
    await ed.filterPalette('');
  });

  for (const { type, file } of types) {
    it(`${type}: the dialog and the help are in Chinese, with every text translated`, async () => {
      const id = await ed.addNode(type);
      await ed.openDialog(id);
      assert.deepEqual(await ed.untranslated(), [], 'no catalog key is shown instead of its text');
      // Every text of the node's own catalog shows its zh-CN wording (Node-RED's own texts are Node-RED's).
      const texts = (await ed.dialogTexts()).filter((t) => !t.key.startsWith('node-red:') && t.attr !== 'html');
      assert.ok(texts.length > 0);
      for (const t of texts) assert.equal(t.shown, lookup(catalog(file), t.key.replace(/^[^:]+:/, '')), `${t.key} (${t.attr})`);
      if (type === 'streamkit-tumbling-window') await ed.dialog().screenshot({ path: screenshotPath(`dialog-${shortName(type)}-zh-CN`) });
      await ed.closeDialog('cancel');

      await ed.showSidebar('help');
      await ed.evaluate((t) => { (window as any).RED.sidebar.help.show(t); }, type);
      await ed.settle();
      const help = (await ed.page.locator('.red-ui-sidebar-help-stack .red-ui-help').first().textContent()) ?? '';
      assert.ok(help.length > 100 && CJK.test(help), `${type}: the help page is the zh-CN one`);
    });
  }
});
