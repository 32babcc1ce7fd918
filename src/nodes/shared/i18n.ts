/** Translation for a node type's catalog (`locales/<lang>/<name>.json`, namespace `node-red-contrib-streamkit/<name>`). */
import type { Node, NodeAPI } from 'node-red';
import { EngineError } from '../../engine';

export function translator(RED: NodeAPI, catalog: string): Translate {
  const ns = `node-red-contrib-streamkit/${catalog}:`;
  return (key, vars) => RED._(`${ns}${key}`, vars as Record<string, string>);
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
