/**
 * The input handler shape every node shares (Node-RED 1.0+ send/done). A handler that only reads msg paths
 * runs synchronously; one that evaluates JSONata is asynchronous and goes through a serial queue, so messages
 * keep their order and thousands of evaluations are never started at once (DESIGN §4).
 */
import type { Node } from 'node-red';
import { SerialQueue } from '../../engine';
import type { Msg } from './properties';

export type Send = (msgs: Msg | (Msg | Msg[] | null)[]) => void;
export type Done = (err?: Error) => void;
export type Handler = (msg: Msg, send: Send, done: Done) => void | Promise<void>;

/** Registers `handler` for 'input'; returns a function that resolves when all accepted messages are handled. */
export function onInput(node: Node, synchronous: boolean, handler: Handler): () => Promise<void> {
  const run = async (job: { msg: Msg; send: Send; done: Done }) => {
    try { await handler(job.msg, job.send, job.done); } catch (err) { job.done(err as Error); }
  };
  if (synchronous) {
    node.on('input', ((msg: Msg, send: Send, done: Done) => {
      try { handler(msg, send, done); } catch (err) { done(err as Error); }
    }) as never);
    return () => Promise.resolve();
  }
  const queue = new SerialQueue(run);
  node.on('input', ((msg: Msg, send: Send, done: Done) => queue.push({ msg, send, done })) as never);
  return () => queue.drained();
}
