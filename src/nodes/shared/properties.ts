/**
 * Reading record fields (value, key, event time) from a message as the node's TypedInputs say. `msg` paths are
 * compiled once to getters; `jsonata` goes through Node-RED's own sandboxed evaluator, which is asynchronous.
 */
import type { NodeAPI, Node, NodeMessage } from 'node-red';
import { EngineError, compileGetter } from '../../engine';
import type { PropertyType } from './config';
import { evaluate, prepareExpression } from './jsonata';

export type Msg = NodeMessage & Record<string, unknown>;

export interface PropertyReader {
  /** Synchronous read, when there is one (a msg path, a compiled JSONata expression); NOT_COMPILED means "use read". */
  readonly get?: (msg: Msg) => unknown;
  /** Always available. */
  read(msg: Msg): Promise<unknown>;
}

export function compileProperty(RED: NodeAPI, node: Node, value: string, type: PropertyType | undefined): PropertyReader {
  if (type === 'jsonata') {
    const expr = prepareExpression(RED, node, value);
    return { get: expr.fast ?? undefined, read: (msg) => Promise.resolve(evaluate(expr, msg)) };
  }
  const get = compileGetter(value);
  return { get, read: (msg) => Promise.resolve(get(msg)) };
}

/** The key reader: `msg.key` falls back to `msg.topic` when empty, as DESIGN §2 says. */
export function compileKey(RED: NodeAPI, node: Node, value: string, type: PropertyType | undefined): PropertyReader {
  const reader = compileProperty(RED, node, value || 'key', type);
  if (reader.get && (type ?? 'msg') === 'msg' && (value || 'key') === 'key') {
    const get = (msg: Msg) => {
      const k = msg.key;
      return k === undefined || k === null || k === '' ? msg.topic : k;
    };
    return { get, read: (msg) => Promise.resolve(get(msg)) };
  }
  return reader;
}

/**
 * The records one message carries: an array payload is a batch, each element a record — a message-shaped object
 * (`{payload, key, timestamp, …}`) as it is, any other element as the message with that element as its payload.
 */
export function recordsOf(msg: Msg): Msg[] | null {
  const p = msg.payload;
  if (!Array.isArray(p)) return null;
  return p.map((e) => (e !== null && typeof e === 'object' && !Array.isArray(e) && 'payload' in e
    ? (e as Msg) : ({ ...msg, payload: e } as Msg)));
}

/** A record's key as the engine takes it: a string; a missing or empty key is an error, never a silent drop. */
export function recordKey(k: unknown, message: string): string {
  if (k === undefined || k === null || k === '') throw new EngineError('missing-key', message);
  return String(k);
}
