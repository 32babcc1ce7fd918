/**
 * Live node status and monitoring counters: rate and node-specific details, refreshed once a second; red while
 * errors are recent. Every visible text comes from the node's message catalog.
 *
 * The same reporter registers the node's counters for the metrics endpoint (plugins/metrics.js): records in
 * (what `rate.mark` counts), messages out (`sent`), errors (`error`/`failure`), plus what `counts` adds for the
 * node (late records, buffered items, in-flight messages, lag), read only when the endpoint is scraped.
 */
import type { Node } from 'node-red';
import { RateMeter, metrics, type MetricsSource, type NodeCounts } from '../../engine';
import { describeError, type Translate } from './i18n';

const ERROR_SHOWN_MS = 10000;

/** The node-specific part of the counts (see NodeCounts: late, inFlight, buffered, lag, checkpointAgeSeconds). */
export type ExtraCounts = () => Omit<Partial<NodeCounts>, 'in' | 'out' | 'errors'>;

export type Tone = 'ok' | 'warn' | 'error';

export class StatusReporter {
  readonly rate = new RateMeter();
  errors = 0;
  /** Messages sent, for the metrics (`sent`). */
  private out = 0;
  private lastError = 0;
  private lastText = '';
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly source: MetricsSource;

  /**
   * `details` returns extra parts of the status text, already translated (e.g. "3 windows", "2 late");
   * `counts` the node's own counters for the metrics endpoint; `tone` whether the node is well (green dot), waiting on
   * something outside it (yellow ring: reconnecting, paused) or failing (red ring).
   */
  constructor(private readonly node: Node, private readonly t: (key: string, vars?: Record<string, unknown>) => string,
    private readonly details: () => string[] = () => [], counts: ExtraCounts = () => ({}),
    private readonly tone: () => Tone = () => 'ok') {
    this.timer = setInterval(() => { this.rate.sample(); this.refresh(); }, 1000);
    this.timer.unref?.();
    const n = node as Node & { z?: string; name?: string };
    this.source = {
      node: { id: n.id, type: n.type, name: n.name, flow: n.z },
      read: () => ({ ...counts(), in: this.rate.total, out: this.out, errors: this.errors }),
    };
    metrics.add(this.source);
  }

  /** Counts `n` messages sent (one per message, however many ports or elements of a batch they went out in). */
  sent(n = 1): void {
    this.out += n;
  }

  error(): void {
    this.errors++;
    this.lastError = Date.now();
    this.refresh();
  }

  /** Counts a failure and turns it into the error to report, worded by the node's catalog. */
  failure(err: unknown): Error {
    this.error();
    return new Error(describeError(this.t, err));
  }

  refresh(extra?: string): void {
    const parts = [this.t('status.rate', { rate: formatRate(this.rate.perSecond) }), ...this.details()];
    if (this.errors > 0) parts.push(this.t('status.errors', { count: this.errors }));
    if (extra) parts.push(extra);
    const text = parts.join(' · ');
    const tone = this.tone();
    const red = tone === 'error' || (this.errors > 0 && Date.now() - this.lastError < ERROR_SHOWN_MS);
    const fill = red ? 'red' : tone === 'warn' ? 'yellow' : 'green';
    const key = `${fill}${text}`;
    if (key === this.lastText) return;
    this.lastText = key;
    this.node.status({ fill, shape: fill === 'green' ? 'dot' : 'ring', text });
  }

  /** Stops the status timer and takes the node's counters off the metrics endpoint. */
  close(): void {
    clearInterval(this.timer);
    metrics.remove(this.source);
  }
}

/** A text short enough to be part of a status (an error message, a reason), cut with an ellipsis. */
export function brief(text = '', max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The status part for a service that cannot be reached, with why (`status.unreachable` of the node's catalog). */
export function unreachable(t: Translate, reason?: string): string {
  return t('status.unreachable', { reason: brief(reason) });
}

function formatRate(r: number): string {
  return r >= 10000 ? `${(r / 1000).toFixed(0)}k` : r >= 1000 ? `${(r / 1000).toFixed(1)}k` : String(r);
}
