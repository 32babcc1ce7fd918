/**
 * A compiler for the small part of JSONata that hot paths use — paths of plain names, literals, arithmetic,
 * comparisons, and/or, conditions, string concatenation, object and array constructors — from the expression's
 * parsed AST (`expression.ast()`) to a plain closure. No eval, no new Function.
 *
 * Wherever the closure cannot be sure to give JSONata's own answer (an array on a path, mixed operand types,
 * numbers that JSONata would format or reject) it returns NOT_COMPILED for that input, and the caller evaluates
 * the expression with JSONata itself. Expressions outside the subset are not compiled at all (`null`).
 */
export const NOT_COMPILED: unique symbol = Symbol('not compiled');
type Value = unknown;
type Fn = (ctx: Value) => Value;

interface AstNode {
  type: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  lhs?: AstNode | [AstNode, AstNode][];
  rhs?: AstNode;
  expression?: AstNode;
  expressions?: AstNode[];
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  consarray?: boolean;
  [k: string]: unknown;
}

/** The AST keys each supported node may carry; any other key (predicate, group, stages, …) means "not compiled". */
const ALLOWED_KEYS: Record<string, readonly string[]> = {
  number: [], string: [], value: [], name: [],
  path: ['steps'],
  unary: ['expression', 'expressions', 'lhs', 'consarray'],
  binary: ['lhs', 'rhs'],
  condition: ['condition', 'then', 'else'],
  block: ['expressions'],
};

/** The compiled closure, or null when the expression uses anything outside the subset. */
export function compileJsonataSubset(ast: unknown): ((ctx: Value) => Value) | null {
  try {
    return compile(ast as AstNode);
  } catch (e) {
    if (e === UNSUPPORTED) return null;
    throw e;
  }
}

const UNSUPPORTED = new Error('unsupported');

function compile(n: AstNode): Fn {
  const allowed = ALLOWED_KEYS[n.type];
  if (!allowed) throw UNSUPPORTED;
  for (const k of Object.keys(n)) if (k !== 'type' && k !== 'value' && k !== 'position' && !allowed.includes(k)) throw UNSUPPORTED;
  switch (n.type) {
    case 'number': case 'string': case 'value': {
      const v = n.value;
      return () => v;
    }
    case 'path': return compilePath(n.steps ?? []);
    case 'block': { // parentheses around one expression
      if (!Array.isArray(n.expressions) || n.expressions.length !== 1) throw UNSUPPORTED;
      return compile(n.expressions[0]);
    }
    case 'unary': return compileUnary(n);
    case 'binary': return compileBinary(n);
    case 'condition': {
      if (!n.condition || !n.then) throw UNSUPPORTED;
      const c = compile(n.condition);
      const t = compile(n.then);
      const f = n.else ? compile(n.else) : () => undefined;
      return (x) => {
        const b = c(x);
        if (b === NOT_COMPILED) return b;
        if (b === true) return t(x);
        if (b === false || b === undefined) return f(x);
        return NOT_COMPILED; // JSONata's boolean casting of other values: leave it to JSONata
      };
    }
    default: throw UNSUPPORTED;
  }
}

function compilePath(steps: AstNode[]): Fn {
  if (steps.length === 0) throw UNSUPPORTED;
  const names = steps.map((s) => {
    if (s.type !== 'name' || typeof s.value !== 'string') throw UNSUPPORTED;
    for (const k of Object.keys(s)) if (k !== 'type' && k !== 'value' && k !== 'position') throw UNSUPPORTED; // filters, groups, …
    return s.value;
  });
  return (ctx) => {
    let x = ctx;
    for (const name of names) {
      if (x === undefined || x === null) return undefined;
      if (Array.isArray(x)) return NOT_COMPILED; // JSONata maps over arrays
      if (typeof x !== 'object') return undefined;
      const o = x as Record<string, unknown>;
      if (o._jsonata_lambda === true || o._jsonata_function === true) return NOT_COMPILED; // JSONata sees a function
      x = o[name];
    }
    return Array.isArray(x) || typeof x === 'function' ? NOT_COMPILED : x;
  };
}

function compileUnary(n: AstNode): Fn {
  if (n.value === '-') {
    const e = compile(n.expression as AstNode);
    return (x) => {
      const v = e(x);
      if (v === undefined || v === NOT_COMPILED) return v;
      return isNumeric(v) ? -v : NOT_COMPILED; // JSONata raises D1001/D1002
    };
  }
  if (n.value === '{' && Array.isArray(n.lhs) && !n.group) {
    const seen = new Set<string>();
    const pairs = (n.lhs as [AstNode, AstNode][]).map(([k, v]) => {
      // String keys only; a repeated key is an error in JSONata, and Object.prototype names trip it up.
      if (k.type !== 'string' || typeof k.value !== 'string' || seen.has(k.value) || k.value in Object.prototype) throw UNSUPPORTED;
      seen.add(k.value);
      return [k.value, compile(v)] as const;
    });
    return (x) => {
      if (Array.isArray(x)) return NOT_COMPILED;
      const o: Record<string, unknown> = {};
      for (const [k, f] of pairs) {
        const v = f(x);
        if (v === NOT_COMPILED) return v;
        if (v !== undefined) o[k] = v; // JSONata leaves undefined members out
      }
      return o;
    };
  }
  if (n.value === '[' && Array.isArray(n.expressions)) {
    const items = n.expressions.map(compile);
    return (x) => {
      const out: unknown[] = [];
      for (const f of items) {
        const v = f(x);
        if (v === NOT_COMPILED || Array.isArray(v)) return NOT_COMPILED; // nested arrays flatten in JSONata
        if (v !== undefined) out.push(v);
      }
      return out;
    };
  }
  throw UNSUPPORTED;
}

const ARITH: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, '/': (a, b) => a / b, '%': (a, b) => a % b,
};
const ORDER: Record<string, (a: number | string, b: number | string) => boolean> = {
  '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b,
};

function compileBinary(n: AstNode): Fn {
  const op = n.value as string;
  const l = compile(n.lhs as AstNode);
  const r = compile(n.rhs as AstNode);
  const arith = ARITH[op];
  if (arith) {
    return (x) => {
      const a = l(x);
      const b = r(x);
      if (a === NOT_COMPILED || b === NOT_COMPILED) return NOT_COMPILED;
      // JSONata checks each defined operand first (T2001/T2002, D1001 for ±Infinity), then undefined wins.
      if ((a !== undefined && !isNumeric(a)) || (b !== undefined && !isNumeric(b))) return NOT_COMPILED;
      if (a === undefined || b === undefined) return undefined;
      const v = arith(a as number, b as number);
      return Number.isFinite(v) ? v : NOT_COMPILED; // JSONata raises D1001
    };
  }
  const order = ORDER[op];
  if (order) {
    return (x) => {
      const a = l(x);
      const b = r(x);
      if (a === NOT_COMPILED || b === NOT_COMPILED) return NOT_COMPILED;
      if (!comparable(a) || !comparable(b)) return NOT_COMPILED; // JSONata raises T2010
      if (a === undefined || b === undefined) return undefined;
      if (typeof a !== typeof b) return NOT_COMPILED; // JSONata raises T2009
      return order(a as number | string, b as number | string);
    };
  }
  if (op === '=' || op === '!=') {
    const eq = op === '=';
    return (x) => {
      const a = l(x);
      const b = r(x);
      if (a === NOT_COMPILED || b === NOT_COMPILED) return NOT_COMPILED;
      if (a === undefined || b === undefined) return false;
      if (typeof a === 'object' && a !== null) return NOT_COMPILED; // deep equality: leave it to JSONata
      if (typeof b === 'object' && b !== null) return NOT_COMPILED;
      return (a === b) === eq;
    };
  }
  if (op === 'and' || op === 'or') {
    const and = op === 'and';
    const bool = (v: unknown) => (v === undefined ? false : typeof v === 'boolean' ? v : NOT_COMPILED);
    return (x) => {
      const a = bool(l(x));
      if (a === NOT_COMPILED) return a;
      if (and ? !a : a) return a;
      return bool(r(x));
    };
  }
  if (op === '&') {
    const str = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : NOT_COMPILED);
    return (x) => {
      const a = l(x);
      const b = r(x);
      if (a === NOT_COMPILED || b === NOT_COMPILED) return NOT_COMPILED;
      const sa = str(a);
      const sb = str(b);
      return sa === NOT_COMPILED || sb === NOT_COMPILED ? NOT_COMPILED : sa + sb;
    };
  }
  throw UNSUPPORTED;
}

/** A number JSONata accepts in arithmetic: not NaN, and finite (±Infinity raises D1001). */
function isNumeric(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Operands JSONata can order: numbers, strings, or nothing. */
function comparable(v: unknown): boolean {
  return v === undefined || typeof v === 'number' || typeof v === 'string';
}
