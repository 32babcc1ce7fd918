/**
 * When has every message that descends from one emission finished? A source emits a message with an id of its own;
 * the message and every copy or follow-up that keeps that id (Node-RED keeps `_msgid` on clones, and nodes pass it
 * on) is one *family*. The family is complete when no delivery of any member is still on its way to a node or still
 * inside one. The adapter feeds the runtime's events in:
 *
 *   delivered(msg)  a delivery to a node has been routed (Node-RED's preDeliver)
 *   received(msg)   a node is about to handle msg (onReceive) — also for direct hand-overs with no routing
 *                   before them (Catch and Complete nodes, link nodes)
 *   finished(msg)   the node is done with msg (onComplete; or, for a node that never calls done, its handler returned)
 *
 * The emitter holds the family open while it sends (`track` … `release`), so a message with no wires completes at
 * once, and one sent to several wires waits for every copy. A count that reaches zero is confirmed a microtask later:
 * Node-RED reports a node's completion before it hands an error to Catch nodes or the message to Complete nodes, and
 * those hand-overs (synchronous) keep the family open.
 */

interface Family { pending: number; onComplete: () => void; owner: object }

export interface Traceable { _msgid?: unknown }

export class CompletionTracker {
  private readonly families = new Map<string, Family>();
  /** Deliveries routed to a node and not received yet, per message object (one object can be sent twice). */
  private readonly inTransit = new WeakMap<object, number>();
  /** Messages inside a node: received and not finished. */
  private readonly inside = new WeakMap<object, number>();
  private zero: string[] = [];
  private scheduled = false;

  /** Opens a family with the emitter's hold on it; `onComplete` runs once, when it has completed. */
  track(id: string, owner: object, onComplete: () => void): void {
    this.families.set(id, { pending: 1, onComplete, owner });
  }

  /** Drops the emitter's hold (after sending). */
  release(id: string): void {
    const f = this.families.get(id);
    if (f) this.finish(id, f);
  }

  delivered(msg: Traceable): void {
    const f = this.family(msg);
    if (!f) return;
    f.pending++;
    this.inTransit.set(msg, (this.inTransit.get(msg) ?? 0) + 1);
  }

  received(msg: Traceable): void {
    const f = this.family(msg);
    if (!f) return;
    const t = this.inTransit.get(msg) ?? 0;
    // A routed delivery arrives; anything else (a Catch node handed an error) joins the family here.
    if (t > 0) this.inTransit.set(msg, t - 1);
    else f.pending++;
    this.inside.set(msg, (this.inside.get(msg) ?? 0) + 1);
  }

  finished(msg: Traceable): void {
    const f = this.family(msg);
    if (!f) return;
    const n = this.inside.get(msg) ?? 0;
    if (n === 0) return; // finished twice, or a message received before the family was opened
    this.inside.set(msg, n - 1);
    this.finish(msg._msgid as string, f);
  }

  /** Forgets the families `owner` opened (it stopped): they never complete. */
  forget(owner: object): void {
    for (const [id, f] of this.families) if (f.owner === owner) this.families.delete(id);
  }

  get size(): number {
    return this.families.size;
  }

  private family(msg: Traceable): Family | undefined {
    const id = msg?._msgid;
    return typeof id === 'string' && this.families.size > 0 ? this.families.get(id) : undefined;
  }

  private finish(id: string, f: Family): void {
    if (--f.pending > 0) return;
    this.zero.push(id);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.confirm());
    }
  }

  private confirm(): void {
    this.scheduled = false;
    const ids = this.zero;
    this.zero = [];
    for (const id of ids) {
      const f = this.families.get(id);
      if (!f || f.pending > 0) continue;
      this.families.delete(id);
      f.onComplete();
    }
  }
}
