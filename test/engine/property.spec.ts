/**
 * Property tests: the engine (src/engine WindowOperator) against the naive reference (test/engine/reference.ts)
 * on random out-of-order streams, and snapshot/restore at a random point against an uninterrupted run.
 *
 * Each run compares the full output sequence, with the watermark after every step interleaved, numbers equal
 * up to 1e-9 relative. Integer values keep sums exact. A failure prints the shrunk scenario as options plus the
 * stream in CASES.md notation, and both traces side by side from the first difference.
 *
 * FC_RUNS scales the number of runs (default 1); FC_SEED replays a seed.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WindowOperator } from '../../src/engine';
import type { AggregateName, WindowOperatorOptions, WindowOutput, WindowSpec } from '../../src/engine/types';
import { ALL_AGGREGATES, ReferenceOperator, approxEqual, fmtOutput } from './reference';

type Step =
  | { key: string; ts: number; value: number; source?: string; clock?: number }
  | { tick: true; clock: number }
  | 'EOS';
/** `clock` is the processing time seen through `options.now` (sources/idleness scenarios only). */
interface Scenario { options: WindowOperatorOptions; steps: Step[]; clock?: { t: number } }

const SCALE = Number(process.env.FC_RUNS ?? 1);
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

// ---------------------------------------------------------------------------------------------------------------
// Printing

function fmtOptions(o: WindowOperatorOptions): string {
  const w = o.window;
  const win = w.type === 'session' ? `session gap=${w.gap}`
    : w.type === 'sliding' ? `sliding size=${w.size} slide=${w.slide} offset=${w.offset ?? 0}`
      : `tumbling size=${w.size} offset=${w.offset ?? 0}`;
  return `${win} B=${o.maxOutOfOrderness ?? 0} L=${o.allowedLateness ?? 0} late=${o.lateOutput ?? 'side'}`
    + (o.idleTimeoutMs ? ` idleTimeoutMs=${o.idleTimeoutMs}` : '')
    + ` emit=${o.emit ?? 'onClose'} retractions=${o.retractions ? 'on' : 'off'}`
    + ` aggregates=[${(o.aggregates ?? []).join(',')}]`;
}

function fmtSteps(steps: Step[]): string {
  return steps.map((s) => {
    if (s === 'EOS') return 'EOS';
    if ('tick' in s) return `TICK(now=${s.clock})`;
    return `${s.source !== undefined ? s.source + ':' : ''}${s.key}@${s.ts}=${s.value}${s.clock !== undefined ? `(now=${s.clock})` : ''}`;
  }).join(' · ');
}

function describeScenario(s: Scenario): string {
  return `\n  options: ${fmtOptions(s.options)}\n  options (JSON): ${JSON.stringify(s.options)}\n  stream: ${fmtSteps(s.steps)}\n`;
}

function withToString<T extends Scenario>(s: T): T {
  Object.defineProperty(s, fc.toStringMethod, { value: () => describeScenario(s), enumerable: false });
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Running

type TraceEntry = WindowOutput<number> | { kind: 'W'; step: number; W: number };

interface Op {
  process(key: string, ts: number, value: unknown, ref?: number, sourceId?: string): void;
  eos(): void;
  tick(): void;
  readonly watermark: number;
  readonly stats: { out: number; late: number; lateDropped: number };
}

function trace(
  make: (emit: (o: WindowOutput<number>) => void) => Op, scenario: Scenario,
  cut?: { at: number; restore: (op: Op, emit: (o: WindowOutput<number>) => void) => Op },
): { entries: TraceEntry[]; stats: Op['stats'] } {
  const entries: TraceEntry[] = [];
  const emit = (o: WindowOutput<number>): void => { entries.push(o); };
  const { steps, clock } = scenario;
  if (clock) clock.t = 0;
  let op = make(emit);
  steps.forEach((s, i) => {
    if (cut && i === cut.at) op = cut.restore(op, emit);
    if (s === 'EOS') op.eos();
    else if ('tick' in s) { clock!.t = s.clock; op.tick(); }
    else {
      if (clock && s.clock !== undefined) clock.t = s.clock;
      op.process(s.key, s.ts, s.value, i + 1, s.source);
    }
    entries.push({ kind: 'W', step: i + 1, W: op.watermark });
  });
  const { out, late, lateDropped } = op.stats;
  return { entries, stats: { out, late, lateDropped } };
}

function fmtEntry(e: TraceEntry): string {
  if (e.kind === 'W') return `-- after step #${e.step}: W=${e.W}`;
  return fmtOutput(e, { watermark: true, retractDetail: true, ref: true });
}

/** Throws a readable error at the first difference of two traces. */
function compareTraces(s: Scenario, got: TraceEntry[], want: TraceEntry[], gotName: string, wantName: string): void {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (i < got.length && i < want.length && approxEqual(got[i], want[i])) continue;
    const from = Math.max(0, i - 6);
    const show = (t: TraceEntry[]): string => t.slice(from, i + 6).map((e, j) => `${from + j === i ? '>>' : '  '} ${fmtEntry(e)}`).join('\n')
      + (i >= t.length ? '\n>> (nothing)' : '');
    throw new Error(`${gotName} and ${wantName} differ at output #${i + 1}:${describeScenario(s)}`
      + `--- ${gotName}:\n${show(got)}\n--- ${wantName}:\n${show(want)}\n`
      + (i < got.length && i < want.length ? `--- first difference (JSON):\n${gotName}: ${JSON.stringify(got[i])}\n${wantName}: ${JSON.stringify(want[i])}\n` : ''));
  }
}

function engine(options: WindowOperatorOptions) {
  return (emit: (o: WindowOutput<number>) => void): Op => new WindowOperator<number>(options, emit);
}
function reference(options: WindowOperatorOptions) {
  return (emit: (o: WindowOutput<number>) => void): Op => new ReferenceOperator<number>(options, emit);
}

function checkAgainstReference(s: Scenario): void {
  const want = trace(reference(s.options), s);
  let got: ReturnType<typeof trace>;
  try {
    got = trace(engine(s.options), s);
  } catch (e) {
    throw new Error(`engine threw ${(e as Error).stack ?? String(e)}${describeScenario(s)}`);
  }
  compareTraces(s, got.entries, want.entries, 'engine', 'reference');
  assert.deepEqual(got.stats, want.stats, `stats differ${describeScenario(s)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** Key pool: UTF-16 order differs from locale order ('B' < 'a'); names that break plain-object maps. */
const KEY_POOL = ['a', 'b', 'B', 'k', '__proto__', 'constructor', 'toString'];

const tumblingArb: fc.Arbitrary<WindowSpec> = fc.integer({ min: 1, max: 25 }).chain((size) =>
  fc.integer({ min: -(size - 1), max: size - 1 }).map((offset): WindowSpec => ({ type: 'tumbling', size, offset })));

const slidingArb: fc.Arbitrary<WindowSpec> = fc.record({
  size: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 25 }) }, { weight: 1, arbitrary: fc.integer({ min: 26, max: 150 }) }),
  slide: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 35 })),
  offset: fc.integer({ min: -40, max: 40 }),
}).map(({ size, slide, offset }): WindowSpec => ({ type: 'sliding', size, slide, offset }));

const sessionArb: fc.Arbitrary<WindowSpec> = fc.integer({ min: 1, max: 15 })
  .map((gap): WindowSpec => ({ type: 'session', gap }));

function optionsArb(windowArb: fc.Arbitrary<WindowSpec>): fc.Arbitrary<WindowOperatorOptions> {
  return fc.record({
    window: windowArb,
    maxOutOfOrderness: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8 })),
    allowedLateness: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 10, max: 40 })),
    lateOutput: fc.constantFrom<'side' | 'drop'>('side', 'drop'),
    emit: fc.constantFrom<'onClose' | 'onUpdate'>('onClose', 'onUpdate'),
    retractions: fc.boolean(),
    aggregates: fc.oneof(
      fc.constant<AggregateName[]>(ALL_AGGREGATES),
      fc.subarray<AggregateName>(ALL_AGGREGATES, { minLength: 1 }),
    ),
  });
}

const valueArb = fc.integer({ min: -20, max: 20 });
/** Fractional values (k/8 exact in binary, or k/100 not): sums may then differ by reassociation only. */
const fractionalArb = fc.oneof(valueArb, fc.integer({ min: -800, max: 800 }).map((k) => k / 8),
  fc.integer({ min: -2000, max: 2000 }).map((k) => k / 100), fc.integer({ min: -50, max: 50 }).map((k) => 1e6 + k / 10));

/** Timestamps with bounded disorder: a non-decreasing walk minus a bounded jitter; may start below 0. */
const boundedTsArb: fc.Arbitrary<number[]> = fc.record({
  start: fc.integer({ min: -60, max: 60 }),
  disorder: fc.integer({ min: 0, max: 20 }),
  moves: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 6 }), back: fc.nat(1000) }), { maxLength: 35, size: 'max' }),
}).map(({ start, disorder, moves }) => {
  let base = start;
  return moves.map(({ dt, back }) => { base += dt; return base - (disorder === 0 ? 0 : back % (disorder + 1)); });
});

/** Timestamps with unbounded disorder. */
const unboundedTsArb: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: -80, max: 120 }), { maxLength: 35, size: 'max' });

function stepsArb(values: fc.Arbitrary<number> = valueArb): fc.Arbitrary<Step[]> {
  return fc.record({
    keys: fc.oneof({ weight: 3, arbitrary: fc.constant(['a', 'b', 'B', 'k']) },
      { weight: 1, arbitrary: fc.shuffledSubarray(KEY_POOL, { minLength: 4, maxLength: 4 }) }),
    nKeys: fc.integer({ min: 1, max: 4 }),
    /** Shift of all timestamps: around 0, epoch milliseconds of today, or far before 1970. */
    shift: fc.constantFrom(0, 0, 0, 1_700_000_000_007, -1_000_000_000_003),
    ts: fc.oneof(boundedTsArb, unboundedTsArb),
    keyPicks: fc.array(fc.nat(3), { minLength: 35, maxLength: 35 }),
    values: fc.array(values, { minLength: 35, maxLength: 35 }),
    eos: fc.boolean(),
    after: fc.array(fc.record({ k: fc.nat(3), ts: fc.integer({ min: -80, max: 120 }), value: values }), { maxLength: 3 }),
  }).map(({ keys, nKeys, shift, ts, keyPicks, values, eos, after }) => {
    const steps: Step[] = ts.map((t, i) => ({ key: keys[keyPicks[i] % nKeys], ts: t + shift, value: values[i] }));
    if (eos) steps.push('EOS', ...after.map((a) => ({ key: keys[a.k % nKeys], ts: a.ts + shift, value: a.value })));
    return steps;
  });
}

function scenarioArb(windowArb: fc.Arbitrary<WindowSpec>, values?: fc.Arbitrary<number>): fc.Arbitrary<Scenario> {
  return fc.record({ options: optionsArb(windowArb), steps: stepsArb(values) }).map(withToString);
}

const anyWindowArb = fc.oneof(tumblingArb, slidingArb, sessionArb);

/**
 * Several sources (sourceId) with an injected clock: every step advances processing time by 0–25 ms; some steps
 * are `tick()`s; idleTimeoutMs 1–60.
 */
const sourcesScenarioArb: fc.Arbitrary<Scenario> = fc.record({
  options: optionsArb(anyWindowArb),
  idleTimeoutMs: fc.integer({ min: 1, max: 60 }),
  steps: stepsArb(),
  nSources: fc.integer({ min: 1, max: 3 }),
  extra: fc.array(fc.record({ source: fc.nat(2), dt: fc.integer({ min: 0, max: 25 }), tick: fc.nat(4) }), { minLength: 45, maxLength: 45 }),
}).map(({ options, idleTimeoutMs, steps, nSources, extra }) => {
  const clock = { t: 0 };
  let t = 0;
  const out: Step[] = [];
  let ended = false;
  steps.forEach((st, i) => {
    const x = extra[i % extra.length];
    t += x.dt;
    if (st === 'EOS' || 'tick' in st) { out.push(st); ended = true; return; }
    if (x.tick === 0 && !ended) out.push({ tick: true, clock: t });
    out.push({ ...st, source: `s${(x.source % nSources) + 1}`, clock: t });
  });
  if (!ended) out.push({ tick: true, clock: t + 100 });
  return withToString({ options: { ...options, idleTimeoutMs, now: () => clock.t }, steps: out, clock });
});

const params = (numRuns: number): fc.Parameters<[Scenario]> => ({ numRuns: runs(numRuns), seed: SEED, endOnFailure: false });

// ---------------------------------------------------------------------------------------------------------------

describe('engine vs naive reference (property)', function () {
  this.timeout(120_000);

  it('the generator is not trivial: the reference sees every kind of output on 300 random scenarios', () => {
    const seen = new Map<string, number>();
    const bump = (k: string): void => { seen.set(k, (seen.get(k) ?? 0) + 1); };
    const arb = scenarioArb(anyWindowArb);
    let steps = 0;
    for (const s of fc.sample(arb, { numRuns: 300, seed: 42 })) {
      steps += s.steps.length;
      const { entries, stats } = trace(reference(s.options), s);
      if (stats.lateDropped > 0) bump('drop');
      for (const e of entries) {
        if (e.kind === 'result') bump(`${e.window.type} ${e.timing}${e.pane > 0 ? ' pane>0' : ''}`);
        else if (e.kind === 'late' || e.kind === 'retract') bump(e.kind === 'late' ? `late ${e.reason}` : `retract ${e.window.type}`);
        else if (e.kind === 'eos') bump('eos');
      }
    }
    const need = ['tumbling ON_TIME', 'tumbling LATE pane>0', 'tumbling EARLY pane>0', 'sliding ON_TIME', 'sliding LATE pane>0',
      'sliding EARLY pane>0', 'session ON_TIME', 'session LATE', 'session EARLY', 'retract tumbling', 'retract sliding',
      'retract session', 'late late', 'late after-eos', 'drop', 'eos'];
    const missing = need.filter((k) => !seen.has(k));
    assert.deepEqual(missing, [], `never generated: ${missing.join(', ')}; seen ${JSON.stringify([...seen])}`);
    assert.ok(steps / 300 > 8, `streams too short: ${steps / 300} steps on average`);
    if (process.env.PROP_STATS) console.log(steps / 300, [...seen].sort());
  });

  it('tumbling windows: same outputs, watermarks and counters as the reference', () => {
    fc.assert(fc.property(scenarioArb(tumblingArb), checkAgainstReference), params(3000));
  });

  it('sliding windows (any slide, incl. not dividing size and slide > size): same as the reference', () => {
    fc.assert(fc.property(scenarioArb(slidingArb), checkAgainstReference), params(3000));
  });

  it('session windows: same as the reference', () => {
    fc.assert(fc.property(scenarioArb(sessionArb), checkAgainstReference), params(5000));
  });

  it('fractional values: same as the reference up to 1e-9 relative', () => {
    fc.assert(fc.property(scenarioArb(anyWindowArb, fractionalArb), checkAgainstReference), params(2000));
  });

  it('several sources with idleness (injected clock, tick): same as the reference', () => {
    fc.assert(fc.property(sourcesScenarioArb, checkAgainstReference), params(3000));
  });

  it('snapshot/restore (via JSON) at a random point yields the uninterrupted output', () => {
    const arb = fc.record({
      scenario: fc.oneof(scenarioArb(anyWindowArb), sourcesScenarioArb),
      cutSeed: fc.nat(),
    }).map(({ scenario, cutSeed }) => {
      const cut = cutSeed % (scenario.steps.length + 1);
      const s = { ...scenario, cut };
      Object.defineProperty(s, fc.toStringMethod, { value: () => `${describeScenario(scenario)}  snapshot before step #${cut + 1}\n`, enumerable: false });
      return s;
    });
    fc.assert(fc.property(arb, (s) => {
      const straight = trace(engine(s.options), s);
      const resumed = trace(engine(s.options), s, {
        at: s.cut,
        restore: (op, emit) => {
          const snap = JSON.parse(JSON.stringify((op as WindowOperator<number>).snapshot())) as unknown;
          const op2 = new WindowOperator<number>(s.options, emit);
          op2.restore(snap);
          return op2;
        },
      });
      compareTraces(s, resumed.entries, straight.entries, `restored before step #${s.cut + 1}`, 'uninterrupted');
    }), { numRuns: runs(2000), seed: SEED, endOnFailure: false });
  });
});
