/**
 * JSONata the Node-RED way (RED.util.prepareJSONataExpression: sandboxed, with Node-RED's own functions),
 * plus a synchronous fast path: expressions in the engine's compiled subset run as closures, and fall back to
 * JSONata itself for any input the subset cannot answer exactly.
 */
import type { Node, NodeAPI } from 'node-red';
import { NOT_COMPILED, compileJsonataSubset } from '../../engine';
import type { Msg } from './properties';

export interface Expression {
  /** The compiled subset: the result, or NOT_COMPILED when JSONata itself has to answer. */
  readonly fast: ((msg: Msg) => unknown) | null;
  /** Full JSONata evaluation (asynchronous). */
  evaluate(msg: Msg): Promise<unknown>;
}

export { NOT_COMPILED };

export function prepareExpression(RED: NodeAPI, node: Node, text: string): Expression {
  const expr = RED.util.prepareJSONataExpression(text, node);
  const fast = compileJsonataSubset((expr as unknown as { ast(): unknown }).ast()) as Expression['fast'];
  return {
    fast,
    evaluate: (msg) => new Promise((resolve, reject) => {
      RED.util.evaluateJSONataExpression(expr, msg, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r)));
    }),
  };
}

/** Evaluates synchronously when the fast path can; otherwise returns JSONata's promise. */
export function evaluate(e: Expression, msg: Msg): unknown {
  if (e.fast) {
    const v = e.fast(msg);
    if (v !== NOT_COMPILED) return v;
  }
  return e.evaluate(msg);
}
