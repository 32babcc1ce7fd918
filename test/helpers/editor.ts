/**
 * The Node-RED editor in headless Debian chromium, driven with playwright-core, for the editor specs
 * (test/editor/). The runtime is a NodeRedProcess; the browser is the system's chromium (never one downloaded
 * by playwright), started with the flags that work on these machines (../shared/DESIGN.md §8).
 *
 *   const s = editorSession({ locale: 'zh-CN' });              // chromium, Node-RED, the editor; hooks for a describe
 *   const { ed } = s;                                          // (inside a test)
 *   const id = await ed.addNode('streamkit-filter');          // drag from the palette onto the canvas
 *   await ed.openDialog(id); … await ed.closeDialog();
 *   await ed.deploy();
 *
 * Selectors are the ones that work on Node-RED 4.1 and 5.0.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NodeRedProcess } from './node-red-process';
import { ROOT } from './package';

/** Where Debian's chromium package puts the browser binary. */
const CHROMIUM = process.env.STREAMKIT_CHROMIUM || '/usr/lib/chromium/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Starts chromium. Without it the suite fails under CI=true (`.ci/run` installs it) and is skipped elsewhere
 * with a warning.
 */
export async function launchBrowser(ctx: Mocha.Context): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    const msg = `chromium is not installed (${CHROMIUM}): \`apt-get install -y chromium\` (.ci/run does)`;
    if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) throw new Error(`${msg} (CI=true: a missing browser is a failure)`);
    console.warn(`      WARNING: ${msg}; skipped`);
    ctx.skip();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface EditorSession { browser: Browser; rt: NodeRedProcess; ed: Editor }

/**
 * The hooks every editor spec shares: chromium, a fresh Node-RED process (this package linked in, or with
 * `install: 'none'` an empty user directory) and the editor open on it, before the tests; after each test, a
 * dialog a failed step left open is cancelled, the nodes it left invalid are removed (so that one failure does not
 * fail the tests after it), and the editor must have thrown no error; at the end all is closed.
 * The returned session is filled in once the tests run.
 */
export function editorSession(opts: { install?: 'link' | 'none'; locale?: string } = {}): EditorSession {
  const s = {} as EditorSession;
  before(async function () {
    s.browser = await launchBrowser(this);
    s.rt = await NodeRedProcess.start({ flows: [], install: opts.install });
    s.ed = await Editor.open(s.browser, s.rt, { locale: opts.locale });
  });
  afterEach(async function () {
    await s.ed?.cancelOpenDialogs();
    if (this.currentTest?.state === 'failed') await s.ed?.removeInvalidNodes();
    assert.deepEqual(s.ed?.pageErrors ?? [], [], 'the editor threw no error');
  });
  after(async () => {
    await s.browser?.close();
    await s.rt?.dispose();
  });
  return s;
}

/**
 * Screenshots go to test-results/screenshots/ on every run; with STREAMKIT_SCREENSHOTS=1 (`npm run screenshots`)
 * the Node-RED 4.1 pass writes them to docs/screenshots/, the pictures the README shows.
 */
export function screenshotPath(name: string): string {
  const docs = /^(1|true|yes)$/i.test(process.env.STREAMKIT_SCREENSHOTS ?? '') && !process.env.STREAMKIT_NODE_RED;
  const dir = docs ? path.join(ROOT, 'docs', 'screenshots') : path.join(ROOT, 'test-results', 'screenshots', nodeRedLabel());
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

function nodeRedLabel(): string {
  return process.env.STREAMKIT_NODE_RED ? 'nr5' : 'nr4';
}

export interface DebugMessage { name: string; topic: string; text: string }

export class Editor {
  /** Errors the page itself threw (uncaught exceptions in editor code). */
  readonly pageErrors: string[] = [];
  /** Nodes placed by addNode so far. */
  private placed = 0;

  private constructor(readonly page: Page, private readonly context: BrowserContext, readonly rt: NodeRedProcess) {}

  /** Opens the editor of `rt` in a fresh browser context (its own profile and language) and waits until it is ready. */
  static async open(browser: Browser, rt: NodeRedProcess, opts: { locale?: string; token?: string } = {}): Promise<Editor> {
    const context = await browser.newContext({
      locale: opts.locale ?? 'en-US',
      viewport: { width: 1280, height: 760 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    const ed = new Editor(page, context, rt);
    page.on('pageerror', (err) => ed.pageErrors.push(String(err?.stack ?? err)));
    if (opts.token) {
      // What the login dialog stores: the editor sends it as a Bearer token.
      await page.addInitScript((t) => { localStorage.setItem('auth-tokens', JSON.stringify({ access_token: t, expires_in: 3600 })); }, opts.token);
    }
    await page.goto(`${rt.url}/`);
    await ed.ready();
    return ed;
  }

  /** Waits until the palette is built and the flows are loaded. */
  async ready(): Promise<void> {
    await this.page.waitForFunction(() => {
      const R = (window as any).RED;
      return !!R?.nodes && R.nodes.version && R.nodes.version() !== null && document.querySelector('#red-ui-palette .red-ui-palette-node');
    }, null, { timeout: 60000 });
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  /** Evaluates `fn` in the page (with the editor's RED and $ as globals). */
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R> {
    return this.page.evaluate(fn as never, arg) as Promise<R>;
  }

  // ---------------------------------------------------------------------------------------------- palette

  paletteNode(type: string) {
    return this.page.locator(`.red-ui-palette-node[data-palette-type='${type}']`);
  }

  /** The palette category a type is shown in, e.g. `streamkit` (from the category's container id). */
  async paletteCategory(type: string): Promise<string> {
    return this.paletteNode(type).evaluate((el) => {
      const cat = el.closest('.red-ui-palette-category');
      return cat ? cat.id.replace(/^red-ui-palette-base-category-|^red-ui-palette-container-/, '') : '';
    });
  }

  /** Types `text` into the palette filter and waits until the palette stops moving. */
  async filterPalette(text: string): Promise<void> {
    const input = this.page.locator('#red-ui-palette-search input');
    await input.fill('');
    await input.pressSequentially(text, { delay: 10 });
    await this.settle();
  }

  /**
   * Drags `type` from the palette onto the canvas at (x, y) of the visible workspace and returns the new node's
   * id (the node the editor adds last). Without a position each node gets a free place of its own (3 × 6 grid),
   * so that a double click never lands on an earlier node.
   */
  async addNode(type: string, x?: number, y?: number): Promise<string> {
    if (x === undefined || y === undefined) {
      const slot = this.placed++ % 18;
      x = 160 + (slot % 3) * 220;
      y = 80 + Math.floor(slot / 3) * 80;
    }
    await this.filterPalette(type);
    const source = this.paletteNode(type);
    await source.scrollIntoViewIfNeeded();
    const before = await this.nodeIds();
    const chart = this.page.locator('#red-ui-workspace-chart');
    const box = (await chart.boundingBox())!;
    const from = (await source.boundingBox())!;
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await this.page.mouse.down();
    // Several steps: jQuery UI's draggable starts after the pointer moved, and the drop needs a move over the chart.
    await this.page.mouse.move(box.x + x / 2, box.y + y / 2, { steps: 8 });
    await this.page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await this.page.mouse.up();
    await this.filterPalette('');
    const added = (await this.nodeIds()).filter((id) => !before.includes(id));
    if (added.length !== 1) throw new Error(`dragging ${type} onto the canvas added ${added.length} nodes`);
    return added[0];
  }

  /** Ids of the flow nodes in the editor (all tabs). */
  nodeIds(): Promise<string[]> {
    return this.page.evaluate(() => {
      const ids: string[] = [];
      (window as any).RED.nodes.eachNode((n: { id: string }) => { ids.push(n.id); });
      return ids;
    });
  }

  /** The nodes of a tab the editor holds invalid, with the properties that fail their validators. */
  invalidNodes(tab: string): Promise<{ type: string; name: string; properties: string[] }[]> {
    return this.page.evaluate((t) => (window as any).RED.nodes.filterNodes({ z: t })
      .filter((n: any) => n.valid === false)
      .map((n: any) => ({ type: n.type, name: n.name ?? n.id, properties: n.validationErrors ?? [] })), tab);
  }

  /** The editor's view of a node: its properties, validity and status. */
  node(id: string): Promise<{ type: string; valid: boolean; dirty: boolean; status?: { fill?: string; shape?: string; text?: string }; [k: string]: unknown }> {
    return this.page.evaluate((nid) => {
      const n = (window as any).RED.nodes.node(nid);
      if (!n) throw new Error(`no node ${nid} in the editor`);
      const out: Record<string, unknown> = { type: n.type, valid: n.valid, dirty: n.dirty, status: n.status };
      for (const k of Object.keys(n._def.defaults ?? {})) out[k] = n[k];
      return JSON.parse(JSON.stringify(out));
    }, id);
  }

  /** The node's shape on the canvas. */
  nodeShape(id: string) {
    return this.page.locator(`#red-ui-workspace-chart g.red-ui-flow-node-group[id='${id}']`);
  }

  /** True when the canvas shows the node's "invalid properties" marker. */
  async showsInvalid(id: string): Promise<boolean> {
    return this.page.evaluate((nid) => {
      const g = document.getElementById(nid);
      const marker = g?.querySelector('.red-ui-flow-node-error');
      return !!marker && !marker.classList.contains('hide') && (marker as SVGElement).style.display !== 'none';
    }, id);
  }

  // ---------------------------------------------------------------------------------------------- dialogs

  /** Opens the node's edit dialog (double click on the canvas) and waits for its form. */
  async openDialog(id: string): Promise<void> {
    await this.revealNode(id);
    // The canvas tells a double click from two clicks by the time between them as its handlers see it: on a
    // loaded machine that can exceed its limit, so a double click that opened nothing is tried again.
    const ok = this.page.locator('#node-dialog-ok');
    for (let attempt = 1; ; attempt++) {
      await this.nodeShape(id).locator('.red-ui-flow-node').first().dblclick();
      try {
        await ok.waitFor({ state: 'visible', timeout: 10000 });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
    await this.page.locator('#dialog-form').waitFor({ state: 'visible' });
    await this.settle();
  }

  /**
   * Takes the nodes the editor holds invalid off the canvas: what a failed step left behind, which would make
   * every later deploy ask for a confirmation.
   */
  async removeInvalidNodes(): Promise<void> {
    await this.page.evaluate(() => {
      const R = (window as any).RED;
      const invalid: { id: string }[] = [];
      R.nodes.eachNode((n: { id: string; valid?: boolean }) => { if (n.valid === false) invalid.push(n); });
      for (const n of invalid) R.nodes.remove(n.id);
      if (invalid.length) { R.nodes.dirty(true); R.view.redraw(true); }
    });
  }

  /** Selects the node on the canvas and presses Delete. */
  async deleteNode(id: string): Promise<void> {
    await this.revealNode(id);
    await this.nodeShape(id).locator('.red-ui-flow-node').first().click();
    await this.page.keyboard.press('Delete');
    await this.settle();
    if ((await this.nodeIds()).includes(id)) throw new Error(`node ${id} is still on the canvas`);
  }

  /** Shows the tab of the node and scrolls it into view. */
  async revealNode(id: string): Promise<void> {
    await this.page.evaluate((nid) => { (window as any).RED.view.reveal(nid); }, id);
    await this.settle();
  }

  /** Cancels any dialog left open (by a failed step), so that the next step starts from the canvas. */
  async cancelOpenDialogs(): Promise<void> {
    while (await this.page.locator('#node-dialog-cancel').isVisible()) await this.closeDialog('cancel');
  }

  /** Clicks Done (or Cancel) and waits until the tray has closed. */
  async closeDialog(button: 'ok' | 'cancel' = 'ok'): Promise<void> {
    await this.page.locator(`#node-dialog-${button}`).click();
    await this.page.locator('#dialog-form').waitFor({ state: 'detached' });
    await this.settle();
  }

  /** The dialog's tray (for screenshots). */
  dialog() {
    return this.page.locator('.red-ui-tray').last();
  }

  /**
   * Sets a field of the open dialog the way a user would: a select is chosen, a checkbox ticked or cleared, a
   * TypedInput gets its type (`type`) and its text typed, a plain input its text typed. `name` is the node
   * property (`#node-input-<name>`; `#node-config-input-<name>` in a configuration node's dialog).
   */
  async setField(name: string, value: string | boolean, type?: string, prefix = 'node-input'): Promise<void> {
    const el = this.page.locator(`#${prefix}-${name}`);
    const kind = await el.evaluate((e) => {
      const $e = (window as any).$(e);
      if (e.tagName === 'SELECT') return 'select';
      if ((e as HTMLInputElement).type === 'checkbox') return 'checkbox';
      return $e.data('noderedTypedInput') ? 'typed' : 'text';
    });
    if (kind === 'select') await el.selectOption(String(value));
    else if (kind === 'checkbox') await el.setChecked(value === true);
    else if (kind === 'typed') {
      if (type) await el.evaluate((e, t) => { (window as any).$(e).typedInput('type', t); }, type);
      const container = el.locator('xpath=following-sibling::*[contains(@class, "red-ui-typedInput-container")][1]');
      const input = container.locator('.red-ui-typedInput-input-wrap input, .red-ui-typedInput-input input').first();
      await input.fill(String(value));
      await input.press('Tab');
    } else {
      await el.fill(String(value));
      await el.press('Tab');
    }
    await this.settle();
  }

  /**
   * A configuration node field (e.g. a broker): its "add" button opens a new configuration node's dialog,
   * `fields` are set there, then Add; the new configuration node is selected.
   */
  async setConfigField(name: string, fields: { field: string; value: string | boolean; type?: string }[]): Promise<void> {
    await this.page.locator(`#node-input-btn-${name}-add`).click();
    await this.page.locator('#node-config-dialog-ok').waitFor({ state: 'visible' });
    await this.settle();
    for (const f of fields) await this.setField(f.field, f.value, f.type, 'node-config-input');
    await this.page.locator('#node-config-dialog-ok').click();
    await this.page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
    await this.settle();
  }

  /** Whether the dialog marks the field's input as invalid (Node-RED's `input-error` class). */
  async fieldInvalid(name: string): Promise<boolean> {
    return this.page.evaluate((n) => {
      const $ = (window as any).$;
      const el = $(`#node-input-${n}`);
      const container = el.next('.red-ui-typedInput-container');
      return el.hasClass('input-error') || container.hasClass('input-error');
    }, name);
  }

  /**
   * Every catalog text of the open dialog (`data-i18n`): its key with its namespace (`node-red:` for Node-RED's
   * own texts, `<module>/<node set>:` for a node's),
   * where it goes (`text`, `html`, or an attribute such as `placeholder`) and what is shown.
   */
  dialogTexts(): Promise<{ key: string; attr: string; shown: string }[]> {
    return this.page.evaluate(() => {
      const out: { key: string; attr: string; shown: string }[] = [];
      document.querySelectorAll('#dialog-form [data-i18n]').forEach((el) => {
        for (const part of (el.getAttribute('data-i18n') ?? '').split(';')) {
          const m = part.match(/^(?:\[(\w+)\])?(.+)$/);
          if (!m) continue;
          const attr = m[1] ?? 'text';
          const shown = attr === 'text' || attr === 'html' ? el.textContent ?? '' : el.getAttribute(attr) ?? '';
          out.push({ key: m[2], attr, shown: shown.trim() });
        }
      });
      return out;
    });
  }

  /** Texts of the open dialog shown as their catalog key: keys the catalog lacks. */
  async untranslated(): Promise<string[]> {
    return (await this.dialogTexts()).filter((t) => t.shown === t.key || t.shown === t.key.replace(/^[^:]+:/, '')).map((t) => t.key);
  }

  // ---------------------------------------------------------------------------------------------- deploy

  /** The Deploy button's mode: every flow (`full`), modified flows or modified nodes only. */
  async setDeployType(type: 'full' | 'flows' | 'nodes'): Promise<void> {
    await this.page.locator('#red-ui-header-button-deploy-options').click();
    await this.page.locator(`#deploymenu-item-${type === 'flows' ? 'flow' : type === 'nodes' ? 'node' : 'full'}`).click();
    await this.settle();
  }

  /**
   * Clicks Deploy and waits for the editor's "deployed" notification; resolves with the notification's text.
   * Throws if the editor asks for a confirmation (invalid or unknown nodes) or reports an error.
   */
  async deploy(): Promise<string> {
    // Notifications shown so far are marked, so that the one this deploy brings is told apart.
    await this.page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n) => n.setAttribute('data-sk-seen', '')));
    await this.page.locator('#red-ui-header-button-deploy').click();
    const note = this.page.locator('.red-ui-notification:not([data-sk-seen])').first();
    await note.waitFor({ state: 'visible', timeout: 30000 });
    const text = (await note.textContent()) ?? '';
    const success = await note.evaluate((n) => n.classList.contains('red-ui-notification-success'));
    if (!success) {
      // A confirmation (invalid or unknown nodes) stays open and would block the next steps: answer Cancel.
      const cancel = note.locator('button', { hasText: /^\s*Cancel\s*$/ });
      if (await cancel.count()) await cancel.first().click();
      throw new Error(`deploy did not succeed: ${text.trim()}`);
    }
    await this.page.waitForFunction(() => !(window as any).RED.nodes.dirty(), null, { timeout: 30000 });
    return text.trim();
  }

  // ---------------------------------------------------------------------------------------------- import

  /** Import > Examples > `module` > `example` (file name without .json), then Import. Returns the new tab's id. */
  async importExample(module: string, example: string): Promise<string> {
    const tabsBefore = await this.tabIds();
    await this.page.locator('#red-ui-header-button-sidemenu').click();
    await this.page.locator('#menu-item-import').click();
    await this.page.locator('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a').click();
    const tree = this.page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    const moduleRow = tree.locator('.red-ui-treeList-label', { hasText: module }).first();
    await moduleRow.waitFor({ state: 'visible' });
    // Open the module's folder unless it is open already (its children are then visible).
    const entry = tree.locator('.red-ui-treeList-label', { hasText: new RegExp(`^\\s*${escapeRegExp(example)}\\s*$`) }).first();
    if (!(await entry.isVisible())) await moduleRow.click();
    await entry.waitFor({ state: 'visible' });
    await entry.click();
    await this.page.locator('#red-ui-clipboard-dialog-ok').click();
    await this.page.locator('#red-ui-clipboard-dialog-ok').waitFor({ state: 'hidden' });
    await this.settle();
    const added = (await this.tabIds()).filter((t) => !tabsBefore.includes(t));
    if (added.length !== 1) throw new Error(`importing ${example} added ${added.length} tabs`);
    return added[0];
  }

  tabIds(): Promise<string[]> {
    return this.page.evaluate(() => {
      const ids: string[] = [];
      (window as any).RED.nodes.eachWorkspace((w: { id: string }) => { ids.push(w.id); });
      return ids;
    });
  }

  async showTab(id: string): Promise<void> {
    await this.page.evaluate((t) => { (window as any).RED.workspaces.show(t); }, id);
    await this.settle();
  }

  // ---------------------------------------------------------------------------------------------- palette manager

  /** Menu > Manage palette, on its Nodes or Install tab. */
  async openPaletteManager(tab: 'nodes' | 'install'): Promise<void> {
    if (!(await this.page.locator('#red-ui-palette-editor').isVisible())) {
      await this.page.locator('#red-ui-header-button-sidemenu').click();
      await this.page.locator('#menu-item-edit-palette').click();
      await this.page.locator('#red-ui-palette-editor').waitFor({ state: 'visible' });
    }
    await this.page.locator(`#red-ui-tab-${tab} a`).click();
    await this.settle(300);
  }

  /** Closes the user settings (Palette Manager). */
  async closeSettings(): Promise<void> {
    await this.page.locator('#node-dialog-ok').click();
    await this.page.locator('#red-ui-palette-editor').waitFor({ state: 'detached' });
    await this.settle();
  }

  /** Install tab: the upload button's file chooser gets `tarball`, then Upload. Resolves once `type` is in the palette. */
  async uploadModule(tarball: string, type: string): Promise<void> {
    await this.openPaletteManager('install');
    await this.page.setInputFiles('#red-ui-palette-editor-upload-form input[type=file]', tarball);
    await this.page.locator('.red-ui-palette-editor-upload-buttons button.primary').click();
    await this.paletteNode(type).waitFor({ state: 'attached', timeout: 240000 });
    await this.settle();
  }

  /** Nodes tab: the module's "remove" button, then the confirmation's Remove. Resolves once `type` left the palette. */
  async removeModule(module: string, type: string): Promise<void> {
    await this.openPaletteManager('nodes');
    const entry = this.page.locator('.red-ui-palette-module-header', { hasText: module }).locator('xpath=..');
    await entry.locator('a.red-ui-button', { hasText: /^remove$/ }).click();
    await this.page.locator('.red-ui-palette-module-install-confirm-button-remove').click();
    await this.paletteNode(type).waitFor({ state: 'detached', timeout: 120000 });
    await this.settle();
  }

  /** The modules listed on the Nodes tab, with what the list says of them (e.g. `1 plugin & 6 nodes`). */
  installedModules(): Promise<{ name: string; summary: string }[]> {
    return this.page.evaluate(() => [...document.querySelectorAll('#red-ui-palette-editor .red-ui-palette-module-header')].map((h) => ({
      name: h.querySelector('.red-ui-palette-module-name')?.textContent?.trim() ?? '',
      summary: h.parentElement?.querySelector('.red-ui-palette-module-set-button')?.textContent?.trim() ?? '',
    })));
  }

  // ---------------------------------------------------------------------------------------------- sidebar

  /** Shows a sidebar tab (`debug`, `info`, `help`, …). */
  async showSidebar(tab: string): Promise<void> {
    await this.page.evaluate((t) => { (window as any).RED.sidebar.show(t); }, tab);
    await this.settle();
  }

  /** The messages shown in the debug sidebar, oldest first. */
  debugMessages(): Promise<DebugMessage[]> {
    return this.page.evaluate(() => [...document.querySelectorAll('.red-ui-debug-content .red-ui-debug-msg')].map((m) => ({
      name: m.querySelector('.red-ui-debug-msg-name')?.textContent?.trim() ?? '',
      topic: m.querySelector('.red-ui-debug-msg-topic')?.textContent?.trim() ?? '',
      text: m.querySelector('.red-ui-debug-msg-body, .red-ui-debug-msg-payload')?.textContent?.trim() ?? m.textContent?.trim() ?? '',
    })));
  }

  /** Lets animations and debounced handlers finish. */
  async settle(ms = 150): Promise<void> {
    await this.page.waitForTimeout(ms);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
