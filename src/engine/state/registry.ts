/**
 * One registry per runtime (the engine is a single shared module): state handed over across a redeploy.
 * A node that closes without being removed parks its snapshot under its id and configuration key; the node
 * that replaces it takes the snapshot back only when the key is unchanged (DESIGN §3).
 */
interface Parked { configKey: string; snapshot: unknown; at: number }

export class StateRegistry {
  private readonly parked = new Map<string, Parked>();

  park(nodeId: string, configKey: string, snapshot: unknown): void {
    this.parked.set(nodeId, { configKey, snapshot, at: Date.now() });
  }

  /** Takes the parked state of `nodeId` if its configuration key matches; any parked state is removed either way. */
  take(nodeId: string, configKey: string): unknown | undefined {
    const p = this.parked.get(nodeId);
    if (!p) return undefined;
    this.parked.delete(nodeId);
    return p.configKey === configKey ? p.snapshot : undefined;
  }

  get size(): number { return this.parked.size; }
}

/** The runtime-wide instance. */
export const registry = new StateRegistry();
