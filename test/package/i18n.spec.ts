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

/** `{name: module file}` of the named imports of a source file from other src/nodes/ modules. */
function namedImports(file: string, text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = `${path.resolve(path.dirname(file), m[2])}.ts`;
    if (!fs.existsSync(target) || !target.startsWith(path.join(ROOT, 'src', 'nodes'))) continue;
    for (const n of m[1].split(',')) {
      const name = n.replace(/^\s*type\s+/, '').split(/\s+as\s+/)[0].trim();
      if (name) out.set(name, target);
    }
  }
  return out;
}

/** The text of an exported function or class of a module, up to the next top-level export. */
function exported(text: string, name: string): string {
  const start = text.search(new RegExp(`^export (?:async )?(?:function|class|const) ${name}\\b`, 'm'));
  if (start < 0) return '';
  const next = text.slice(start + 1).search(/^export /m);
  return next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
}

/** Literal catalog keys (`t('…')`, `RED._('…')`) in `code` and in the shared code it calls, followed through imports. */
function runtimeKeys(file: string, code: string, keys = new Set<string>(), seen = new Set<string>()): Set<string> {
  for (const m of code.matchAll(/(?:\bt|\b_)\(\s*'([A-Za-z][\w-]*\.[\w.-]+)'\s*[,)]/g)) keys.add(m[1]);
  const text = fs.readFileSync(file, 'utf8');
  for (const [name, target] of namedImports(file, text)) {
    const id = `${target}#${name}`;
    if (seen.has(id) || !new RegExp(`\\b${name}\\b`).test(code)) continue;
    seen.add(id);
    runtimeKeys(target, exported(fs.readFileSync(target, 'utf8'), name), keys, seen);
  }
  return keys;
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
        const runtime = fs.existsSync(src) ? [...runtimeKeys(src, fs.readFileSync(src, 'utf8'))] : [];
        assert.ok(editor.length > 0, 'the editor file uses its catalog');
        for (const k of [...editor, ...runtime]) assert.ok(catalog.has(k), `locales/*/${name}.json has ${k}`);
      });
    });
  }
});
