/** Engine outputs → Node-RED messages (DESIGN §2). */
import type { ResultOutput } from '../../engine';
import type { Msg } from './properties';

export function resultMessage(r: ResultOutput): Msg {
  const msg: Msg = {
    payload: r.aggregates, key: r.key, topic: r.key, window: r.window, timing: r.timing, pane: r.pane,
    watermark: r.watermark, timestamp: r.window.end - 1,
  } as Msg;
  if (r.kind === 'retract') msg.retract = true;
  return msg;
}

export const eosMessage = (): Msg => ({ control: { type: 'eos' } } as unknown as Msg);

export const isEos = (msg: Msg): boolean =>
  typeof msg.control === 'object' && msg.control !== null && (msg.control as { type?: unknown }).type === 'eos';
