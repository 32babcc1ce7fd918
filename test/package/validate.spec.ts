/**
 * `node-red-dev validate` (the Node-RED project's checks for node packages, as the Flow Library scores them):
 * passes, reads every node type's editor definition, finds an example for every node type, and any warning it
 * still gives is explained in the README.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, nodeTypes } from '../helpers/package';

describe('node-red-dev validate', function () {
  this.timeout(120000);
  let output = '';
  let scorecard: Record<string, { test: boolean; nodes?: string[] }>;

  before(() => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'streamkit-validate-')), 'scorecard.json');
    const r = spawnSync('npm', ['run', '--silent', 'validate', '--', '--output', out], { cwd: ROOT, encoding: 'utf8' });
    output = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, `npm run validate exited ${r.status}:\n${output}`);
    scorecard = JSON.parse(fs.readFileSync(out, 'utf8')) as typeof scorecard;
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });

  it('completes and reads the editor definition of every node type', () => {
    assert.match(output, /^Complete$/m);
    assert.doesNotMatch(output, /Unable to parse/, 'validate parses every editor file (registerType with an object literal)');
  });

  it('finds an example for every node type that is not a configuration node, and unique node type names', () => {
    assert.equal(scorecard.N02?.test, true, output);
    const flowTypes = nodeTypes().filter((t) => !t.config).map((t) => t.type);
    assert.deepEqual([...(scorecard.N02.nodes ?? [])].sort(), [...flowTypes].sort());
    assert.equal(scorecard.N01?.test, true);
  });

  it('passes the licence, keyword, Node-RED and Node.js version and dependency checks', () => {
    for (const check of ['P01', 'P05', 'P06', 'P07', 'P08', 'D01', 'D02', 'D03']) {
      assert.equal(scorecard[check]?.test, true, `${check} passes:\n${output}`);
    }
  });

  it('gives no warning that the README does not explain', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### node-red-dev validate'));
    assert.ok(section.length > 0 && readme.includes('### node-red-dev validate'), 'the README has a "node-red-dev validate" section');
    const warnings = [...output.matchAll(/Warning: (\w\d\d)\b/g)].map((m) => m[1]);
    for (const code of warnings) assert.match(section.split('\n### ')[0], new RegExp(`\\b${code}\\b`), `the README explains warning ${code}`);
  });
});
