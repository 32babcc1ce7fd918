/**
 * Message completion for sources that commit only finished work: Node-RED's messaging hooks fed into the engine's
 * CompletionTracker, registered while at least one node uses them.
 *
 * Node-RED (4.1 and 5) calls `done` only for input handlers that take it (three arguments); a node whose handlers
 * take fewer never completes a message, so it counts as finished when its handler returns (postReceive).
 */
import type { Node, NodeAPI } from 'node-red';
import { CompletionTracker, type Traceable } from '../../engine';

const LABEL = 'streamkitCompletion';

interface Hooks { add(id: string, cb: (e: never) => void): void; remove(id: string): void }
interface SendEvent { msg: Traceable; source: { id: string } }
interface ReceiveEvent { msg: Traceable; destination: { id: string; node?: Node } }
interface CompleteEvent { msg: Traceable }
type InputCallbacks = { _inputCallback?: ((...a: unknown[]) => void) | null; _inputCallbacks?: ((...a: unknown[]) => void)[] | null };

let tracker: CompletionTracker | null = null;
let users = 0;

/** Whether the node calls `done` (some input handler takes it). */
function takesDone(node: Node | undefined): boolean {
  const n = node as unknown as InputCallbacks | undefined;
  if (n?._inputCallback) return n._inputCallback.length >= 3;
  return !!n?._inputCallbacks?.some((cb) => cb.length >= 3);
}

/** The runtime-wide tracker; every call is matched by one `releaseCompletion`. */
export function acquireCompletion(RED: NodeAPI): CompletionTracker {
  if (users++ === 0 || !tracker) {
    const t = new CompletionTracker();
    tracker = t;
    const hooks = (RED as unknown as { hooks: Hooks }).hooks;
    hooks.add(`preDeliver.${LABEL}`, (e: SendEvent) => { t.delivered(e.msg, e.source.id); });
    hooks.add(`onReceive.${LABEL}`, (e: ReceiveEvent) => { t.received(e.msg, e.destination.id); });
    hooks.add(`postReceive.${LABEL}`, (e: ReceiveEvent) => { t.returned(e.msg, takesDone(e.destination.node)); });
    hooks.add(`onComplete.${LABEL}`, (e: CompleteEvent) => { t.finished(e.msg); });
  }
  return tracker;
}

export function releaseCompletion(RED: NodeAPI): void {
  if (--users > 0) return;
  users = 0;
  tracker = null;
  (RED as unknown as { hooks: Hooks }).hooks.remove(`*.${LABEL}`);
}
