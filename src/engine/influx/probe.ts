/**
 * Whether the InfluxDB server can be reached, found out without writing anything: a light request (the
 * transport's `ping`: v2 `/health`, v1 `/ping`) when the node starts, and again with the write path's backoff
 * while the server cannot be reached, until it answers or a write of the node is acknowledged.
 *
 * Any answer below 500 means reachable (a 401 or 404 comes from a server that is up: writes then say what is
 * wrong with them); no answer or a 5xx (InfluxDB 2.x answers 503 to `/health` while it is not ready) does not.
 */
import { serverText, type WriteResponse } from './responses';
import { retryDelay, type RetryOptions } from './retry';
import { systemClock, type Clock } from './writer';

export type Reachability = 'connecting' | 'reachable' | 'unreachable';

export class ServerProbe {
  /** `connecting` until the first answer (or its absence) is in. */
  state: Reachability = 'connecting';
  /** Why the server cannot be reached: the network's or the server's words. */
  lastError: string | undefined;
  private attempts = 0;
  private timer: unknown = undefined;
  private stopped = false;

  /** `ping` resolves the answer (status 0: none) and never rejects; `changed` hears every change of state. */
  constructor(private readonly ping: () => Promise<WriteResponse>, private readonly retry: RetryOptions,
    private readonly changed: () => void = () => undefined, private readonly clock: Clock = systemClock) {}

  start(): void {
    void this.attempt();
  }

  /** The server acknowledged a write: it is reachable, no more asking. */
  reached(): void {
    if (this.state === 'reachable') return;
    this.stop();
    this.set('reachable', undefined);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private async attempt(): Promise<void> {
    const r = await this.ping();
    if (this.stopped) return;
    if (r.status > 0 && r.status < 500) {
      this.reached();
      return;
    }
    this.set('unreachable', serverText(r));
    this.timer = this.clock.setTimeout(() => void this.attempt(), retryDelay(this.retry, ++this.attempts, undefined, this.clock.random));
  }

  private set(state: Reachability, error: string | undefined): void {
    const changed = state !== this.state || error !== this.lastError;
    this.state = state;
    this.lastError = error;
    if (changed) this.changed();
  }
}
