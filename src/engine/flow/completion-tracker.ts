/**
 * When has every message that descends from one emission finished? A source emits a message with an id of its own;
 * the message and every copy or follow-up that keeps that id (Node-RED keeps `_msgid` on clones, and most nodes pass
 * it on) is one *family*. A message that a node sends while its input handler runs for a member joins the family
 * too, whatever its id (the split node, for one, gives its parts new ids). The family is complete when no delivery
 * of any member is still on its way to a node or still inside one. The adapter feeds the runtime's events in:
 *
 *   delivered(msg, from)  a delivery to a node has been routed (Node-RED's preDeliver); `from` is the sender's id
 *   received(msg, node)   a node is about to handle msg (onReceive) — also for direct hand-overs with no routing
 *                         before them (Catch and Complete nodes)
 *   returned(msg, done)   the node's input handler returned (postReceive); `done` false for a node that never calls
 *                         done, which is then finished with msg
 *   finished(msg)         the node is done with msg (onComplete)
 *
 * The emitter holds the family open while it sends (`track` … `release`), so a message with no wires completes at
 * once, and one sent to several wires waits for every copy. A count that reaches zero is confirmed a microtask later:
 * Node-RED reports a node's completion before it hands an error to Catch nodes or the message to Complete nodes, and
 * those hand-overs (synchronous) keep the family open.
 */

interface Family { pending: number; onComplete: () => void; owner: object; ids: string[]; done: boolean }

export interface Traceable { _msgid?: unknown }

/** A member's deliveries: routed and not received yet (`transit`), or inside a node (`inside`). */
interface Presence { family: Family; transit: number; inside: number }

export class CompletionTracker {
  private readonly families = new Map<string, Family>();
  /** Per message object: one object can be sent twice, and a node may drop its `_msgid` before it is done. */
  private readonly presence = new WeakMap<object, Presence>();
  /** Input handlers running now (nested with synchronous delivery), for messages of a family. */
  private readonly handling: { msg: object; node: string; family: Family }[] = [];
  private zero: Family[] = [];
  private scheduled = false;

  /** Opens a family with the emitter's hold on it; `onComplete` runs once, when it has completed. */
  track(id: string, owner: object, onComplete: () => void): void {
    this.families.set(id, { pending: 1, onComplete, owner, ids: [id], done: false });
  }

  /** Drops the emitter's hold (after sending). */
  release(id: string): void {
    const f = this.families.get(id);
    if (f) this.finish(f);
  }

  delivered(msg: Traceable, from?: string): void {
    let f = this.byId(msg);
    if (!f) {
      const h = this.handling[this.handling.length - 1];
      if (!h || h.node !== from || typeof msg?._msgid !== 'string') return;
      // Sent by a node while it handles a member: a new id joins the family.
      f = h.family;
      f.ids.push(msg._msgid);
      this.families.set(msg._msgid, f);
    }
    f.pending++;
    const p = this.presence.get(msg);
    if (p && p.family === f) p.transit++;
    else this.presence.set(msg, { family: f, transit: 1, inside: 0 });
  }

  received(msg: Traceable, node: string): void {
    let p = this.presence.get(msg);
    if (p && p.transit > 0) {
      p.transit--;
    } else {
      // Not routed here (a Catch node handed an error): the message joins its family now.
      const f = this.byId(msg);
      if (!f) return;
      f.pending++;
      if (!p || p.family !== f) this.presence.set(msg, (p = { family: f, transit: 0, inside: 0 }));
    }
    p.inside++;
    this.handling.push({ msg, node, family: p.family });
  }

  returned(msg: Traceable, callsDone: boolean): void {
    const top = this.handling[this.handling.length - 1];
    if (!top || top.msg !== msg) return;
    this.handling.pop();
    if (!callsDone) this.finished(msg);
  }

  finished(msg: Traceable): void {
    const p = this.presence.get(msg);
    if (!p || p.inside === 0) return; // finished twice, or received before its family was opened
    p.inside--;
    this.finish(p.family);
  }

  /** Forgets the families `owner` opened (it stopped): they never complete. */
  forget(owner: object): void {
    for (const [id, f] of this.families) if (f.owner === owner) this.families.delete(id);
  }

  get size(): number {
    return this.families.size;
  }

  private byId(msg: Traceable): Family | undefined {
    const id = msg?._msgid;
    return typeof id === 'string' && this.families.size > 0 ? this.families.get(id) : undefined;
  }

  private finish(f: Family): void {
    if (--f.pending > 0) return;
    this.zero.push(f);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.confirm());
    }
  }

  private confirm(): void {
    this.scheduled = false;
    const families = this.zero;
    this.zero = [];
    for (const f of families) {
      if (f.pending > 0 || f.done) continue;
      f.done = true;
      for (const id of f.ids) if (this.families.get(id) === f) this.families.delete(id);
      f.onComplete();
    }
  }
}
