/**
 * Property paths as Node-RED writes them (`payload.a[0]["b c"]`), compiled once to a getter closure.
 */
import { invalidConfig } from '../errors';

const SEGMENT = /^(?:\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[(["'])((?:\\.|(?!\3).)*)\3\])/;

export function parsePath(path: string): (string | number)[] {
  if (typeof path !== 'string' || path.trim() === '') throw invalidConfig('a property path is required');
  let rest = path.trim().replace(/^msg\./, '');
  const parts: (string | number)[] = [];
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m || (parts.length === 0 && rest.startsWith('.'))) throw invalidConfig(`invalid property path "${path}"`);
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(m[4].replace(/\\(.)/g, '$1'));
    rest = rest.slice(m[0].length);
  }
  return parts;
}

/** A getter for `path` that returns undefined where any step is missing. */
export function compileGetter(path: string): (obj: unknown) => unknown {
  const parts = parsePath(path);
  if (parts.length === 1) {
    const [a] = parts;
    return (o) => (o == null ? undefined : (o as Record<string | number, unknown>)[a]);
  }
  if (parts.length === 2) {
    const [a, b] = parts;
    return (o) => {
      const x = o == null ? undefined : (o as Record<string | number, unknown>)[a];
      return x == null ? undefined : (x as Record<string | number, unknown>)[b];
    };
  }
  return (o) => {
    let x = o;
    for (const p of parts) {
      if (x == null) return undefined;
      x = (x as Record<string | number, unknown>)[p];
    }
    return x;
  };
}
