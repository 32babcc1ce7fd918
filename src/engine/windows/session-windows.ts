/**
 * Session windows (SPEC §4): each record proposes [ts, ts + gap) and merges with every in-flight session of its
 * key that it overlaps with positive length (events exactly `gap` apart do not merge, §D1). A merge that changes
 * the bounds creates a new window identity (pane 0); the merged-away sessions lose their timers and state.
 * Sessions of a key are kept disjoint and sorted, so the overlap search is a binary search.
 */
import type { Acc } from '../aggregates/accumulator';
import type { ResultOutput } from '../types';
import { Heap } from '../util/heap';
import { compareKeys, lowerBound } from '../util/math';
import type { WindowAlgorithm, WindowContext, WindowHistory } from './context';

interface Session {
  key: string;
  start: number;
  end: number;
  firstTs: number;
  lastTs: number;
  acc: Acc;
  history: WindowHistory;
  /** Fired ON_TIME (or passed the watermark while empty of timers). */
  fired: boolean;
  alive: boolean;
  /** The session's live firing timer; any other queued timer for it is stale. */
  timer: Timer | null;
}

/** A queued timer: the bounds the session had when queued. Sessions grow in place, so a timer can be stale. */
interface Timer { end: number; start: number; key: string; session: Session }

const sessionEnd = (s: Session): number => s.end;

const firesBefore = (a: Timer, b: Timer): boolean =>
  a.end !== b.end ? a.end < b.end : a.start !== b.start ? a.start < b.start : compareKeys(a.key, b.key) < 0;

const timer = (s: Session): Timer => ({ end: s.end, start: s.start, key: s.key, session: s });

export class SessionWindows implements WindowAlgorithm {
  private readonly keys = new Map<string, Session[]>();
  private readonly timers = new Heap<Timer>(firesBefore);
  /** Sessions to release at end − 1 + L, ordered by that time. */
  private readonly cleanups = new Heap<Timer>((a, b) => a.end < b.end);
  private open = 0;

  constructor(private readonly ctx: WindowContext, private readonly gap: number) {}

  get openWindows(): number { return this.open; }

  add(key: string, ts: number, value: unknown, seq: number): void {
    const { ctx, gap } = this;
    const W = ctx.watermark;
    const sessions = this.keys.get(key) ?? [];
    const from = lowerBound(sessions, ts + 1, sessionEnd); // first session with end > ts
    let to = from;
    while (to < sessions.length && sessions[to].start < ts + gap) to++;
    if (to === from && ts + gap - 1 + ctx.lateness <= W) { ctx.late(key, ts, value); return; }

    let target: Session;
    const only = to - from === 1 ? sessions[from] : null;
    if (only && only.start <= ts && ts + gap <= only.end) target = only;
    else if (only && only.history.firings === 0 && !only.fired) {
      // Growing a session that emitted nothing yet: a new identity would be indistinguishable (pane 0, nothing to
      // retract), so it grows in place and its queued timers are renewed lazily when they come due.
      if (ts + gap > only.end) only.end = ts + gap;
      if (ts < only.start) { // an earlier start changes the firing order among equal ends: queue it anew now
        only.start = ts;
        this.schedule(only);
      }
      target = only;
    } else {
      target = this.create(key, Math.min(ts, to > from ? sessions[from].start : ts),
        Math.max(ts + gap, to > from ? sessions[to - 1].end : ts + gap));
      for (let i = from; i < to; i++) this.absorb(target, sessions[i]);
      sessions.splice(from, to - from, target);
      this.keys.set(key, sessions);
    }
    ctx.agg.add(target.acc, value, ts, seq);
    if (ts < target.firstTs) target.firstTs = ts;
    if (ts > target.lastTs) target.lastTs = ts;

    if (target.end - 1 <= W) { target.fired = true; this.emit(target, 'LATE'); }
    else if (ctx.emitOnUpdate) this.emit(target, 'EARLY');
  }

  fire(): void {
    const { ctx } = this;
    const W = ctx.watermark;
    let t: Timer | undefined;
    while ((t = this.timers.peek()) !== undefined && t.end - 1 <= W) {
      this.timers.pop();
      const s = t.session;
      if (!s.alive || s.fired || s.timer !== t) continue;
      if (s.end !== t.end) { this.schedule(s); continue; } // it grew since: fire at its new end
      s.fired = true;
      if (!ctx.emitOnUpdate) this.emit(s, 'ON_TIME');
    }
    while ((t = this.cleanups.peek()) !== undefined && t.end - 1 + ctx.lateness <= W) {
      this.cleanups.pop();
      const s = t.session;
      if (!s.alive) continue;
      if (s.end !== t.end) this.cleanups.push(timer(s));
      else this.remove(s);
    }
  }

  private create(key: string, start: number, end: number): Session {
    const s: Session = {
      key, start, end, firstTs: Infinity, lastTs: -Infinity, acc: this.ctx.agg.create(),
      history: { firings: 0, last: null }, fired: false, alive: true, timer: null,
    };
    this.open++;
    this.schedule(s);
    this.cleanups.push(timer(s));
    return s;
  }

  private schedule(s: Session): void {
    s.timer = timer(s);
    this.timers.push(s.timer);
  }

  /** Moves a merged-away session's data into `into`; its earlier results become retractions of `into`. */
  private absorb(into: Session, old: Session): void {
    this.ctx.agg.merge(into.acc, old.acc);
    if (old.firstTs < into.firstTs) into.firstTs = old.firstTs;
    if (old.lastTs > into.lastTs) into.lastTs = old.lastTs;
    if (this.ctx.retractions) {
      const superseded: ResultOutput[] = [...(into.history.superseded ?? []), ...(old.history.superseded ?? [])];
      if (old.history.last) superseded.push(old.history.last);
      if (superseded.length > 0) into.history.superseded = superseded;
    }
    old.alive = false;
    this.open--;
  }

  private remove(s: Session): void {
    const sessions = this.keys.get(s.key);
    if (!sessions) return;
    const i = sessions.indexOf(s);
    if (i >= 0) sessions.splice(i, 1);
    if (sessions.length === 0) this.keys.delete(s.key);
    s.alive = false;
    this.open--;
  }

  private emit(s: Session, timing: 'EARLY' | 'ON_TIME' | 'LATE'): void {
    this.ctx.emitResult(s.key, { type: 'session', start: s.start, end: s.end, firstTs: s.firstTs, lastTs: s.lastTs },
      timing, s.acc, s.history);
  }

  snapshot(): unknown {
    const agg = this.ctx.agg;
    const out: unknown[] = [];
    for (const sessions of this.keys.values()) {
      for (const s of sessions) {
        out.push({ key: s.key, start: s.start, end: s.end, firstTs: s.firstTs, lastTs: s.lastTs,
          acc: agg.toJSON(s.acc), history: s.history, fired: s.fired });
      }
    }
    return out;
  }

  restore(snap: unknown): void {
    const agg = this.ctx.agg;
    for (const j of snap as (Omit<Session, 'acc' | 'alive' | 'timer'> & { acc: unknown[] })[]) {
      const s = this.create(j.key, j.start, j.end);
      Object.assign(s, { firstTs: j.firstTs, lastTs: j.lastTs, acc: agg.fromJSON(j.acc), history: j.history, fired: j.fired });
      const list = this.keys.get(j.key) ?? [];
      list.push(s);
      this.keys.set(j.key, list);
    }
  }
}
