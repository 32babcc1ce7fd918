/**
 * The input handler shape every node shares (Node-RED 1.0+ send/done). Handlers run in message order through
 * a serial queue: one that finishes synchronously costs nothing extra; one that has to wait (a JSONata
 * evaluation) holds the messages behind it until it is done, so order is kept and evaluations never pile up.
 */
import type { Node } from 'node-red';
import { SerialQueue } from '../../engine';
import type { Msg } from './properties';

export type Send = (msgs: Msg | (Msg | Msg[] | null)[]) => void;
export type Done = (err?: Error) => void;
export type Handler = (msg: Msg, send: Send, done: Done) => void | Promise<void>;

interface Job { msg: Msg; send: Send; done: Done }

/**
 * Sends each message in a send() call of its own, on output `port` of `outputs`. Node-RED deep-clones every
 * message after the first of one send() call (a lodash cloneDeep, microseconds each, so as to keep messages
 * that share objects apart); the messages given here are fresh objects that share nothing, so one call each
 * hands them on as they are, in order.
 */
export function sendEach(send: Send, msgs: readonly Msg[], port = 0, outputs = 1): void {
  for (const m of msgs) {
    if (outputs === 1) send(m);
    else {
      const slots: (Msg | null)[] = new Array(outputs).fill(null);
      slots[port] = m;
      send(slots);
    }
  }
}

/** Registers `handler` for 'input'; returns a function that resolves when all accepted messages are handled. */
export function onInput(node: Node, handler: Handler): () => Promise<void> {
  const invoke = (msg: Msg, send: Send, done: Done): void | Promise<void> => {
    try {
      const r = handler(msg, send, done);
      if (r instanceof Promise) return r.catch((err: Error) => done(err));
    } catch (err) {
      done(err as Error);
    }
  };
  const queue = new SerialQueue((job: Job) => invoke(job.msg, job.send, job.done));
  node.on('input', ((msg: Msg, send: Send, done: Done) => {
    if (!queue.idle) { queue.push({ msg, send, done }); return; }
    const pending = invoke(msg, send, done);
    if (pending) queue.wait(pending);
  }) as never);
  return () => queue.drained();
}
