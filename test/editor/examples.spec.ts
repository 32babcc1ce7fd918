/**
 * Every example flow in examples/ through the real editor: Import > Examples > node-red-contrib-streamkit, then
 * Deploy. Each deploys without an error; every StreamKit node starts and shows its status (a node that needs a
 * service nobody runs shows that, and nothing fails); the demo's results appear in the debug sidebar.
 * Screenshot: the demo flow with its results.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { Editor, launchBrowser, screenshotPath } from '../helpers/editor';
import { NodeRedProcess } from '../helpers/node-red-process';
import { exampleFlows, flowNodesOf, packageJson } from '../helpers/package';
import { assertStatus } from './node-types';

const DEMO = 'demo-sensor-stream.json';

describe('editor: examples (Import > Examples, deploy)', function () {
  this.timeout(120000);
  let browser: Browser;
  let rt: NodeRedProcess;
  let ed: Editor;
  const module = packageJson().name;
  const tabs = new Map<string, string>();

  before(async function () {
    browser = await launchBrowser(this);
    rt = await NodeRedProcess.start({ flows: [] });
    ed = await Editor.open(browser, rt);
    // Each example starts on its own: the examples deployed before it keep running undisturbed.
    await ed.setDeployType('flows');
  });
  after(async () => {
    await browser?.close();
    await rt?.dispose();
  });
  afterEach(async () => {
    await ed?.cancelOpenDialogs();
    assert.deepEqual(ed?.pageErrors ?? [], [], 'the editor threw no error');
  });

  for (const { file, flow } of exampleFlows()) {
    it(`imports ${file} from Import > Examples and deploys it without errors`, async () => {
      const tab = await ed.importExample(module, file.replace(/\.json$/, ''));
      tabs.set(file, tab);
      const onTab = await ed.evaluate((t) => (window as any).RED.nodes.filterNodes({ z: t }).length, tab);
      assert.equal(onTab, flow.filter((n) => n.type !== 'tab' && n.z).length, 'every node of the example is imported');
      // A property the editor defines but the example lacks (say, one added later) makes the node invalid.
      assert.deepEqual(await ed.invalidNodes(tab), [], 'every imported node is valid');

      const from = rt.output.length;
      assert.match(await ed.deploy(), /deployed/i);
      const ours = flowNodesOf(flow);
      await ed.page.waitForFunction((ids) => ids.every((id) => !!(window as any).RED.nodes.node(id)?.status?.text), ours.map((n) => n.id),
        { timeout: 15000 });
      for (const n of ours) assertStatus(n.type, (await ed.node(n.id)).status);
      const log = rt.output.slice(from);
      assert.doesNotMatch(log, /\[error\]/, `the runtime logged no error:\n${log}`);
      assert.ok(rt.running, 'the runtime is still running');
    });
  }

  it('shows the demo\'s window and aggregate results in the debug sidebar (screenshot: the demo flow)', async () => {
    const tab = tabs.get(DEMO);
    assert.ok(tab, 'the demo was imported');
    // A picture of the whole flow: a wide window, the canvas without the palette and zoomed out to 70 %, the debug
    // sidebar beside it; only results that came after the last deploy (every deploy above restarted the demo).
    await ed.showTab(tab);
    await ed.page.setViewportSize({ width: 1440, height: 600 });
    await ed.evaluate(() => {
      const R = (window as any).RED;
      R.actions.invoke('core:toggle-palette', false);
      for (let i = 0; i < 3; i++) R.actions.invoke('core:zoom-out');
    }, null);
    await ed.showSidebar('debug');
    await ed.evaluate(() => { (window as any).RED.actions.invoke('core:clear-debug-messages'); }, null);
    const debugNames = exampleFlows().find((e) => e.file === DEMO)!.flow.filter((n) => n.type === 'debug').map((n) => n.name);
    const windows = ['5 s averages', 'last 30 s, every 5 s'];
    const stats = 'running stats';
    for (const w of [...windows, stats]) assert.ok(debugNames.includes(w), `the demo has a debug node "${w}"`);
    // The tumbling window fires 5 s windows once the watermark (2 s behind) has passed them: within about 10 s.
    await ed.page.waitForFunction((names) => {
      const shown = [...document.querySelectorAll('.red-ui-debug-content .red-ui-debug-msg .red-ui-debug-msg-name')].map((e) => e.textContent ?? '');
      return names.every((n: string) => shown.some((s) => s.includes(n)));
    }, [...windows, stats], { timeout: 45000, polling: 500 });
    const msgs = await ed.debugMessages();
    for (const w of windows) {
      const results = msgs.filter((m) => m.name.includes(w));
      assert.ok(results.some((m) => /\bwindow: object\b/.test(m.text) && /\btiming: "(ON_TIME|LATE|EARLY)"/.test(m.text)),
        `"${w}" shows window results (msg.window, msg.timing): ${results.map((m) => m.text).join(' | ')}`);
    }
    const running = msgs.filter((m) => m.name.includes(stats));
    assert.ok(running.some((m) => /\bavg: -?\d/.test(m.text) && /\bcount: \d/.test(m.text)),
      `"${stats}" shows the aggregates: ${running.map((m) => m.text).join(' | ')}`);
    await ed.page.locator('.red-ui-notification').first().waitFor({ state: 'detached', timeout: 15000 });
    await ed.page.screenshot({ path: screenshotPath('demo-flow') });
    await ed.evaluate(() => { const R = (window as any).RED; R.actions.invoke('core:toggle-palette', true); R.actions.invoke('core:zoom-reset'); }, null);
  });
});
