/**
 * Translation from the node type's own catalog (`locales/<lang>/<name>.json`, copied beside the node file by
 * the build): Node-RED's RED._ in a node file already defaults to that node's namespace.
 */
import type { Node, NodeAPI } from 'node-red';
import { EngineError } from '../../engine';

export function translator(RED: NodeAPI): Translate {
  return (key, vars) => RED._(key, vars as Record<string, string>);
}

/** The message an EngineError carries, translated by its reason where the catalog has it. */
export function describeError(t: Translate, err: unknown): string {
  const e = err as { reason?: string; message?: string };
  const detail = e?.message ?? String(err);
  if (!e?.reason) return detail;
  const text = t(`errors.${e.reason}`, { detail });
  return text.startsWith('errors.') || text.includes(`errors.${e.reason}`) ? detail : text;
}

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

/**
 * A node whose configuration is invalid: says why once, shows a red status, and fails every message it gets
 * with the same clear error (Catch nodes see them) instead of crashing the flow.
 */
export function refuseConfig(node: Node, t: Translate, err: unknown): void {
  const text = t('errors.invalid-config', { detail: (err as Error).message ?? String(err) });
  node.error(text);
  node.status({ fill: 'red', shape: 'ring', text: t('status.invalid') });
  node.on('input', (msg: object, _send: unknown, done: (e?: Error) => void) => {
    done(new EngineError('invalid-config', text));
  });
}
