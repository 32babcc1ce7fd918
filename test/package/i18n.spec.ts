/**
 * Every node set of package.json speaks en-US and zh-CN: both catalogs have the same keys (with the same
 * `__placeholders__`), both help pages exist for every node type, and every text key the editor file or the
 * runtime code asks for is in the catalogs. The editor specs check in the browser that no dialog shows a key.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, nodeTypes, packageJson } from '../helpers/package';

const LANGS = ['en-US', 'zh-CN'];
const CJK = /[\u4e00-\u9fff]/;

type Catalog = { [k: string]: string | Catalog };

function readCatalog(lang: string, name: string): Catalog {
  const file = path.join(ROOT, 'locales', lang, `${name}.json`);
  assert.ok(fs.existsSync(file), `locales/${lang}/${name}.json exists`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Catalog;
}

/** Every leaf of a catalog as `dotted.key → text`. */
function leaves(c: Catalog, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(c)) {
    if (v && typeof v === 'object') for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(`${prefix}${k}`, v);
  }
  return out;
}

const placeholders = (s: string): string[] => [...new Set(s.match(/__\w+__/g) ?? [])].sort();

/** A help page with its `<!-- include partials/… -->` lines replaced by the partials (as the build does). */
function helpPage(lang: string, name: string): string {
  const file = path.join(ROOT, 'locales', lang, `${name}.html`);
  assert.ok(fs.existsSync(file), `locales/${lang}/${name}.html exists`);
  const expand = (text: string, depth: number): string => text.replace(/^<!-- include ([\w./-]+) -->$/gm, (_l, rel: string) => {
    const part = path.join(ROOT, 'locales', lang, rel);
    assert.ok(fs.existsSync(part) && depth < 5, `locales/${lang}/${name}.html includes ${rel}, which exists`);
    return expand(fs.readFileSync(part, 'utf8'), depth + 1);
  });
  return expand(fs.readFileSync(file, 'utf8'), 0);
}

/** Literal catalog keys an editor file asks for: `data-i18n` attributes and `_('…')` calls, not Node-RED's own. */
function editorKeys(html: string): string[] {
  const keys = new Set<string>();
  for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) {
    for (const part of m[1].split(';')) {
      const key = part.replace(/^\[\w+\]/, '');
      if (!key.includes(':')) keys.add(key);
    }
  }
  // A whole literal only (`_('types.' + t)` builds its key at run time).
  for (const m of html.matchAll(/\b_\(\s*'([A-Za-z][\w.-]*)'\s*[,)]/g)) keys.add(m[1]);
  return [...keys];
}

/** A source file and every src/nodes/ module it imports, directly or through others. */
function withImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const target = path.resolve(path.dirname(file), m[1]) + '.ts';
    if (fs.existsSync(target) && target.startsWith(path.join(ROOT, 'src', 'nodes'))) withImports(target, seen);
  }
  return seen;
}

/** Literal catalog keys runtime code asks for: `t('…')`, `RED._('…')`. */
function runtimeKeys(files: Iterable<string>): string[] {
  const keys = new Set<string>();
  for (const f of files) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/(?:\bt|\b_)\(\s*'([A-Za-z][\w-]*\.[\w.-]+)'\s*[,)]/g)) keys.add(m[1]);
  }
  return [...keys];
}

describe('i18n: en-US and zh-CN for every node set', () => {
  for (const [set, js] of Object.entries(packageJson()['node-red'].nodes)) {
    const name = path.basename(js, '.js');
    describe(`${set} (${name})`, () => {
      it('has both catalogs with the same keys and placeholders, no empty text, and Chinese in zh-CN', () => {
        const [en, zh] = LANGS.map((l) => leaves(readCatalog(l, name)));
        assert.deepEqual([...zh.keys()].sort(), [...en.keys()].sort(), 'the same keys');
        for (const [k, v] of en) {
          const z = zh.get(k);
          assert.ok(typeof v === 'string' && v.trim() !== '', `en-US ${k} is a text`);
          assert.ok(typeof z === 'string' && z.trim() !== '', `zh-CN ${k} is a text`);
          assert.deepEqual(placeholders(z), placeholders(v), `${k}: the same placeholders`);
        }
        const chinese = [...zh.values()].filter((v) => CJK.test(String(v))).length;
        assert.ok(chinese >= zh.size / 2, `zh-CN is in Chinese (${chinese} of ${zh.size} texts)`);
      });

      it('has a help page in both languages for every node type it registers', () => {
        for (const { type } of nodeTypes().filter((t) => t.set === set)) {
          for (const lang of LANGS) {
            const page = helpPage(lang, name);
            assert.match(page, new RegExp(`data-help-name="${type}"`), `locales/${lang}/${name}.html has the help of ${type}`);
            if (lang === 'zh-CN') assert.ok(CJK.test(page), 'the zh-CN help is in Chinese');
          }
        }
      });

      it('has every text key its editor file and its runtime code ask for', () => {
        const catalog = leaves(readCatalog('en-US', name));
        const editor = editorKeys(fs.readFileSync(path.join(ROOT, js.replace(/\.js$/, '.html')), 'utf8'));
        const src = path.join(ROOT, 'src', 'nodes', `${name}.ts`);
        const runtime = fs.existsSync(src) ? runtimeKeys(withImports(src)) : [];
        assert.ok(editor.length > 0, 'the editor file uses its catalog');
        for (const k of [...editor, ...runtime]) assert.ok(catalog.has(k), `locales/*/${name}.json has ${k}`);
      });
    });
  }
});
