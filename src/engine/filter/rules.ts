/**
 * Filter rules like the switch node's, compiled once to closures: `property op operand [operand2]`,
 * combined with all (AND) or any (OR).
 */
import { invalidConfig } from '../errors';
import { compileGetter } from './path';

export type RuleOperator =
  | 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'btwn' | 'cont' | 'regex'
  | 'true' | 'false' | 'null' | 'nnull' | 'istype';

/** An operand: a literal, or another property of the same message. */
export type Operand = { literal: unknown } | { path: string };

export interface Rule {
  property: string;
  op: RuleOperator;
  value?: Operand;
  value2?: Operand;
  ignoreCase?: boolean;
}

export type Predicate = (obj: unknown) => boolean;

const TYPES = new Set(['string', 'number', 'boolean', 'object', 'array', 'null', 'undefined', 'buffer']);

export function compileRules(rules: readonly Rule[], combine: 'all' | 'any' = 'all'): Predicate {
  if (!Array.isArray(rules) || rules.length === 0) throw invalidConfig('at least one rule is required');
  const preds = rules.map(compileRule);
  if (preds.length === 1) return preds[0];
  return combine === 'any'
    ? (o) => { for (const p of preds) if (p(o)) return true; return false; }
    : (o) => { for (const p of preds) if (!p(o)) return false; return true; };
}

export function compileRule(rule: Rule): Predicate {
  const get = compileGetter(rule.property);
  const operand = (o: Operand | undefined, name: string): ((obj: unknown) => unknown) => {
    if (!o) throw invalidConfig(`rule on "${rule.property}" (${rule.op}) needs ${name}`);
    if ('path' in o) return compileGetter(o.path);
    const v = o.literal;
    return () => v;
  };
  switch (rule.op) {
    case 'eq': { const v = operand(rule.value, 'a value'); return (o) => looseEquals(get(o), v(o)); }
    case 'neq': { const v = operand(rule.value, 'a value'); return (o) => !looseEquals(get(o), v(o)); }
    case 'lt': { const v = operand(rule.value, 'a value'); return (o) => compare(get(o), v(o), (a, b) => a < b); }
    case 'lte': { const v = operand(rule.value, 'a value'); return (o) => compare(get(o), v(o), (a, b) => a <= b); }
    case 'gt': { const v = operand(rule.value, 'a value'); return (o) => compare(get(o), v(o), (a, b) => a > b); }
    case 'gte': { const v = operand(rule.value, 'a value'); return (o) => compare(get(o), v(o), (a, b) => a >= b); }
    case 'btwn': {
      const lo = operand(rule.value, 'a lower bound');
      const hi = operand(rule.value2, 'an upper bound');
      // Either order of the bounds, as the switch node.
      return (o) => {
        const x = get(o);
        const a = lo(o);
        const b = hi(o);
        return (compare(x, a, (p, q) => p >= q) && compare(x, b, (p, q) => p <= q))
          || (compare(x, b, (p, q) => p >= q) && compare(x, a, (p, q) => p <= q));
      };
    }
    case 'cont': {
      const v = operand(rule.value, 'a value');
      return (o) => {
        const x = get(o);
        if (Array.isArray(x)) return x.some((e) => looseEquals(e, v(o)));
        return (typeof x === 'string' || typeof x === 'number') && String(x).includes(String(v(o)));
      };
    }
    case 'regex': {
      const src = rule.value && 'literal' in rule.value ? String(rule.value.literal) : undefined;
      if (src === undefined) throw invalidConfig(`rule on "${rule.property}" (regex) needs a literal pattern`);
      let re: RegExp;
      try { re = new RegExp(src, rule.ignoreCase ? 'i' : ''); } catch (e) {
        throw invalidConfig(`invalid regular expression /${src}/: ${(e as Error).message}`);
      }
      return (o) => { const x = get(o); return x !== undefined && x !== null && re.test(String(x)); };
    }
    case 'true': return (o) => get(o) === true;
    case 'false': return (o) => get(o) === false;
    case 'null': return (o) => get(o) == null;
    case 'nnull': return (o) => get(o) != null;
    case 'istype': {
      const t = rule.value && 'literal' in rule.value ? String(rule.value.literal) : '';
      if (!TYPES.has(t)) throw invalidConfig(`unknown type "${t}" (use ${[...TYPES].join(', ')})`);
      return (o) => typeOf(get(o)) === t;
    }
    default: throw invalidConfig(`unknown rule operator "${String(rule.op)}"`);
  }
}

/**
 * Numeric when both sides are numeric, as the switch node does ("10" > 9); two strings compare as strings;
 * anything else ("x" > 0, an object) does not match.
 */
function compare(a: unknown, b: unknown, cmp: (x: number | string, y: number | string) => boolean): boolean {
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== null && nb !== null) return cmp(na, nb);
  return typeof a === 'string' && typeof b === 'string' && cmp(a, b);
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== null && nb !== null) return na === nb;
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a) === String(b);
  return false;
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isNaN(v) ? null : v;
  if (typeof v === 'string' && v.trim() !== '') { const n = Number(v); return Number.isNaN(n) ? null : n; }
  return null;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object' && v instanceof Uint8Array) return 'buffer';
  return typeof v;
}
