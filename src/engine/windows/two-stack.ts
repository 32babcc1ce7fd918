/**
 * FIFO aggregation over a sequence of panes (the "two-stacks" sliding-window aggregate): push at the back, pop at
 * the front, query the merge of everything inside, each in amortised O(1) merges whatever the window length.
 * Works for non-invertible aggregates (min, max, first, last, distinct) too.
 */
import type { Acc, AggregateSet } from '../aggregates/accumulator';

interface FrontEntry { start: number; agg: Acc }

export class TwoStackAggregate {
  /** Oldest last; each entry's `agg` covers itself and every newer front entry. */
  private front: FrontEntry[] = [];
  private back: { start: number; acc: Acc }[] = [];
  private backAgg: Acc;
  /** Accumulators of popped front entries, reused by the next flip. */
  private readonly spare: Acc[] = [];

  constructor(private readonly set: AggregateSet) {
    this.backAgg = set.create();
  }

  push(start: number, acc: Acc): void {
    this.back.push({ start, acc });
    this.set.merge(this.backAgg, acc);
  }

  /** Start of the oldest pane held, or Infinity when empty. */
  oldest(): number {
    const f = this.front;
    if (f.length > 0) return f[f.length - 1].start;
    return this.back.length > 0 ? this.back[0].start : Infinity;
  }

  pop(): void {
    if (this.front.length === 0) this.flip();
    const e = this.front.pop();
    if (e) this.spare.push(e.agg);
  }

  /** Merge of every pane held, into `into` (reset by the caller). */
  query(into: Acc): Acc {
    const f = this.front;
    if (f.length > 0) this.set.merge(into, f[f.length - 1].agg);
    this.set.merge(into, this.backAgg);
    return into;
  }

  private flip(): void {
    const b = this.back;
    for (let i = b.length - 1; i >= 0; i--) {
      const reused = this.spare.pop();
      const agg = reused ? this.set.reset(reused) : this.set.create();
      this.set.merge(agg, b[i].acc);
      const f = this.front;
      if (f.length > 0) this.set.merge(agg, f[f.length - 1].agg);
      f.push({ start: b[i].start, agg });
    }
    b.length = 0;
    this.set.reset(this.backAgg);
  }
}
