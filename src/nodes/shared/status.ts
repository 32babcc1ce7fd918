/**
 * Live node status: rate and node-specific counters, refreshed once a second; red while errors are recent.
 * Every visible text comes from the node's message catalog.
 */
import type { Node } from 'node-red';
import { RateMeter } from '../../engine';
import { describeError } from './i18n';

const ERROR_SHOWN_MS = 10000;

export class StatusReporter {
  readonly rate = new RateMeter();
  errors = 0;
  private lastError = 0;
  private lastText = '';
  private readonly timer: ReturnType<typeof setInterval>;

  /**
   * `details` returns extra parts, already translated (e.g. "3 windows", "2 late"); `warning` turns the status
   * yellow while it holds (e.g. retrying), unless errors make it red.
   */
  constructor(private readonly node: Node, private readonly t: (key: string, vars?: Record<string, unknown>) => string,
    private readonly details: () => string[] = () => [], private readonly warning: () => boolean = () => false) {
    this.timer = setInterval(() => { this.rate.sample(); this.refresh(); }, 1000);
    this.timer.unref?.();
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
    const red = this.errors > 0 && Date.now() - this.lastError < ERROR_SHOWN_MS;
    const fill = red ? 'red' : this.warning() ? 'yellow' : 'green';
    const key = `${fill}${text}`;
    if (key === this.lastText) return;
    this.lastText = key;
    this.node.status({ fill, shape: fill === 'green' ? 'dot' : 'ring', text });
  }

  close(): void {
    clearInterval(this.timer);
  }
}

function formatRate(r: number): string {
  return r >= 10000 ? `${(r / 1000).toFixed(0)}k` : r >= 1000 ? `${(r / 1000).toFixed(1)}k` : String(r);
}
