/**
 * The metrics endpoint (GET /streamkit/metrics, plugins/metrics.js) in a real Node-RED runtime with admin
 * authentication on: every example flow deployed at once, scraped with and without a token.
 */
import assert from 'node:assert/strict';
import { NodeRedProcess, adminAuth } from '../helpers/node-red-process';
import { exampleFlows, flowNodesOf } from '../helpers/package';

const USERS = [
  { username: 'admin', password: 'admin-secret', permissions: '*' },
  { username: 'viewer', password: 'viewer-secret', permissions: 'read' },
];

/** `{node id: value}` of one family in a Prometheus text exposition. */
function family(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}\\{node="([^"]*)"[^}]*\\} (\\S+)$`, 'gm'))) out.set(m[1], Number(m[2]));
  return out;
}

describe('metrics endpoint (admin API, Prometheus text)', function () {
  this.timeout(90000);
  let rt: NodeRedProcess;
  let admin: Record<string, string>;
  const flows = exampleFlows().flatMap((e) => e.flow);

  before(async () => {
    rt = await NodeRedProcess.start({ settings: { adminAuth: adminAuth(USERS) } });
    admin = await rt.login('admin', 'admin-secret');
    await rt.deploy(flows, 'full', admin);
  });
  after(async () => { await rt?.dispose(); });

  it('refuses a request without a token or with a bad one (401)', async () => {
    assert.equal((await fetch(`${rt.url}/streamkit/metrics`)).status, 401);
    const bad = await fetch(`${rt.url}/streamkit/metrics`, { headers: { Authorization: 'Bearer not-a-token' } });
    assert.equal(bad.status, 401);
  });

  it('serves a user with read permission the counters of every running StreamKit node of every example', async () => {
    const viewer = await rt.login('viewer', 'viewer-secret', 'read');
    // The demo's generator sends every 0.2 s: wait until its filter has counted records.
    const demoFilter = flows.find((n) => n.type === 'streamkit-filter' && n.name === 'valid readings')!;
    let text = '';
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      const res = await fetch(`${rt.url}/streamkit/metrics`, { headers: viewer });
      assert.equal(res.status, 200);
      const type = res.headers.get('content-type') ?? '';
      assert.ok(type.startsWith('text/plain;') && type.includes('version=0.0.4'), `Prometheus text format (${type})`);
      text = await res.text();
      if ((family(text, 'streamkit_in_total').get(demoFilter.id) ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok((family(text, 'streamkit_in_total').get(demoFilter.id) ?? 0) > 0, `the demo filter counted records:\n${text}`);
    assert.ok((family(text, 'streamkit_out_total').get(demoFilter.id) ?? 0) > 0, 'and sent some on');
    const running = flowNodesOf(flows);
    assert.ok(running.length > 0);
    for (const n of running) {
      for (const f of ['streamkit_in_total', 'streamkit_out_total', 'streamkit_errors_total']) {
        assert.ok(family(text, f).has(n.id), `${f} has ${n.type} "${n.name ?? n.id}"`);
      }
    }
    for (const n of running.filter((x) => /window$/.test(x.type))) {
      assert.ok(family(text, 'streamkit_late_total').has(n.id), `late records of ${n.type} "${n.name}"`);
      assert.ok(family(text, 'streamkit_buffered').has(n.id), `open windows of ${n.type} "${n.name}"`);
    }
    assert.match(text, new RegExp(`^streamkit_in_total\\{node="${demoFilter.id}",type="streamkit-filter",name="valid readings",flow="${demoFilter.z}"\\} \\d+$`, 'm'));
  });

  it('drops the counters of nodes that are no longer deployed', async () => {
    const demo = exampleFlows().find((e) => e.file === 'demo-sensor-stream.json')!.flow;
    await rt.deploy(demo, 'full', admin);
    const text = await (await fetch(`${rt.url}/streamkit/metrics`, { headers: admin })).text();
    const exported = new Set(family(text, 'streamkit_in_total').keys());
    assert.deepEqual([...exported].sort(), flowNodesOf(demo).map((n) => n.id).sort());
  });
});
