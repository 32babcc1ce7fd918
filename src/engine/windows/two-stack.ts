/**
 * FIFO aggregation over a sequence of panes (the "two-stacks" sliding-window aggregate): push at the back, pop at
 * the front, query the merge of everything inside, each in amortised O(1) merges whatever the window length.
 * Works for non-invertible aggregates (min, max, first, last, distinct) too. Parallel arrays, no entry objects.
 */
import type { Acc, AggregateSet } from '../aggregates/accumulator';

export class TwoStackAggregate {
  /** Front stack, oldest last; each aggregate covers its pane and every newer front pane. */
  private readonly frontStarts: number[] = [];
  private readonly frontAggs: Acc[] = [];
  private readonly backStarts: number[] = [];
  private readonly backAccs: Acc[] = [];
  private readonly backAgg: Acc;
  /** Aggregates of popped front entries, reused by the next flip. */
  private readonly spare: Acc[] = [];

  constructor(private readonly set: AggregateSet) {
    this.backAgg = set.create();
  }

  push(start: number, acc: Acc): void {
    this.backStarts.push(start);
    this.backAccs.push(acc);
    this.set.merge(this.backAgg, acc);
  }

  /** Start of the oldest pane held, or Infinity when empty. */
  oldest(): number {
    const n = this.frontStarts.length;
    if (n > 0) return this.frontStarts[n - 1];
    return this.backStarts.length > 0 ? this.backStarts[0] : Infinity;
  }

  pop(): void {
    if (this.frontStarts.length === 0) this.flip();
    if (this.frontStarts.length === 0) return;
    this.frontStarts.pop();
    this.spare.push(this.frontAggs.pop() as Acc);
  }

  /** Merge of every pane held, into `into` (reset by the caller). */
  query(into: Acc): Acc {
    const n = this.frontAggs.length;
    if (n > 0) this.set.merge(into, this.frontAggs[n - 1]);
    this.set.merge(into, this.backAgg);
    return into;
  }

  private flip(): void {
    const { set, frontStarts, frontAggs, backStarts, backAccs } = this;
    for (let i = backAccs.length - 1; i >= 0; i--) {
      const reused = this.spare.pop();
      const agg = reused ? set.reset(reused) : set.create();
      set.merge(agg, backAccs[i]);
      if (frontAggs.length > 0) set.merge(agg, frontAggs[frontAggs.length - 1]);
      frontStarts.push(backStarts[i]);
      frontAggs.push(agg);
    }
    backStarts.length = 0;
    backAccs.length = 0;
    set.reset(this.backAgg);
  }
}
