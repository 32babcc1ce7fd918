/**
 * Worked cases W01–W08 of CASES.md plus further hand-computed cases from SPEC.md §1–5, as tables:
 * each step is `[input, W after the step, ...outputs in emission order]`.
 *
 * Inputs: `k@ts=v` (v is JSON), `EOS`, `TICK` (processing time / idleness), with an optional `clock` and
 * `source` per step in the long form. Outputs are written as in CASES.md:
 *   RESULT k [start,end) TIMING pane=n {aggregates rounded to 4 decimals, in a fixed order}
 *   RETRACT k [start,end) {previous aggregates}
 *   SIDE k@ts=v [after-eos]      (late output)
 *   DROP k@ts                    (stats.lateDropped went up by one)
 *   EOS                          (the EOS marker)
 * The harness also checks on every result that `watermark` is the W that released it (ON_TIME: W after the
 * step; EARLY/LATE: W before it), on every late output that `watermark` is the W it was judged against and
 * `ref` is the ref passed in, and on session results that firstTs = start and lastTs = end − gap.
 */
import assert from 'node:assert/strict';
import { WindowOperator } from '../../src/engine';
import type { AggregateName, WindowOperatorOptions, WindowOutput } from '../../src/engine/types';
import { fmtOutput } from './reference';

type StepInput = string | { rec?: string; eos?: true; tick?: true; clock?: number; source?: string };
type Step = [StepInput, number | null, ...string[]];
interface Case { name: string; options: WindowOperatorOptions; steps: Step[] }

const EXTRA: AggregateName[] = [
  'count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'distinct', 'stddevPop', 'stddevSamp',
];

function parseRec(s: string): { key: string; ts: number; value: unknown } {
  const m = /^(.*?)@(-?\d+)=(.*)$/.exec(s);
  if (!m) throw new Error(`bad record ${s}`);
  return { key: m[1], ts: Number(m[2]), value: JSON.parse(m[3]) };
}

/** Runs a case; returns all outputs. `clockRef` is the injected clock when the options use `now`. */
function runCase(c: Case, clock?: { t: number }): WindowOutput<string>[] {
  const all: WindowOutput<string>[] = [];
  let stepOuts: WindowOutput<string>[] = [];
  const op = new WindowOperator<string>(c.options, (o) => { stepOuts.push(o); all.push(o); });
  const gap = c.options.window.type === 'session' ? c.options.window.gap : 0;
  c.steps.forEach(([input, wAfter, ...expected], i) => {
    const inp = typeof input === 'string'
      ? (input === 'EOS' ? { eos: true as const } : input === 'TICK' ? { tick: true as const } : { rec: input })
      : input;
    if (inp.clock !== undefined) {
      if (!clock) throw new Error('case uses a clock but has none');
      clock.t = inp.clock;
    }
    const label = `step #${i + 1} ${typeof input === 'string' ? input : JSON.stringify(input)}`;
    const wBefore = op.watermark;
    const droppedBefore = op.stats.lateDropped;
    stepOuts = [];
    let dropLine: string | undefined;
    if (inp.eos) op.eos();
    else if (inp.tick) op.tick();
    else if (inp.rec) {
      const r = parseRec(inp.rec);
      op.process(r.key, r.ts, r.value, `ref${i + 1}`, inp.source);
      dropLine = `DROP ${r.key}@${r.ts}`;
    }
    const lines = stepOuts.map((o) => fmtOutput(o, { digits: 4 }));
    for (let d = droppedBefore; d < op.stats.lateDropped; d++) lines.push(dropLine ?? 'DROP ?');
    assert.deepEqual(lines, expected, `${c.name}: outputs of ${label}`);
    if (wAfter !== null) assert.equal(op.watermark, wAfter, `${c.name}: W after ${label}`);
    for (const o of stepOuts) {
      if (o.kind === 'result') {
        if (wAfter !== null) {
          const want = o.timing === 'ON_TIME' ? op.watermark : wBefore;
          assert.equal(o.watermark, want, `${c.name}: watermark carried by ${fmtOutput(o)} at ${label}`);
        }
        assert.equal(o.window.type, c.options.window.type);
        if (gap) {
          assert.equal(o.window.firstTs, o.window.start, `${c.name}: firstTs at ${label}`);
          assert.equal(o.window.lastTs, o.window.end - gap, `${c.name}: lastTs at ${label}`);
        }
      } else if (o.kind === 'late') {
        if (wAfter !== null) assert.equal(o.watermark, wBefore, `${c.name}: watermark of late output at ${label}`);
        assert.equal(o.ref, `ref${i + 1}`, `${c.name}: ref of late output at ${label}`);
      }
    }
  });
  return all;
}

const INF = Infinity;

// ---------------------------------------------------------------------------------------------------------------
// CASES.md W01–W08

const PUBLISHED: Case[] = [
  {
    name: 'W01 tumbling boundaries are [start, end); extra aggregates',
    options: { window: { type: 'tumbling', size: 10, offset: 0 }, aggregates: EXTRA },
    steps: [
      ['k@0=5', -1],
      ['k@9=5', 8],
      ['k@10=7', 9,
        'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 10, min 5, max 5, avg 5, first 5, last 5, stddevPop 0, stddevSamp 0, distinct 1}'],
      ['k@19=1', 18],
      ['EOS', INF,
        'RESULT k [10,20) ON_TIME pane=0 {count 2, sum 8, min 1, max 7, avg 4, first 7, last 1, stddevPop 3, stddevSamp 4.2426, distinct 2}',
        'EOS'],
    ],
  },
  {
    name: 'W02 bounded out-of-orderness; first/last follow event time, not arrival',
    options: { window: { type: 'tumbling', size: 10 }, maxOutOfOrderness: 5, aggregates: EXTRA },
    steps: [
      ['k@2=10', -4],
      ['k@12=20', 6],
      ['k@7=30', 6],
      ['k@16=40', 10,
        'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 40, min 10, max 30, avg 20, first 10, last 30, stddevPop 10, stddevSamp 14.1421, distinct 2}'],
      ['k@3=50', 10, 'SIDE k@3=50'],
      ['k@11=60', 10],
      ['EOS', INF,
        'RESULT k [10,20) ON_TIME pane=0 {count 3, sum 120, min 20, max 60, avg 40, first 60, last 40, stddevPop 16.3299, stddevSamp 20, distinct 3}',
        'EOS'],
    ],
  },
  {
    name: 'W03 a record with ts == W is late',
    options: { window: { type: 'tumbling', size: 10 } },
    steps: [
      ['k@5=1', 4],
      ['k@10=2', 9, 'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@9=3', 9, 'SIDE k@9=3'],
      ['k@10=4', 9],
      ['EOS', INF, 'RESULT k [10,20) ON_TIME pane=0 {count 2, sum 6, min 2, max 4, avg 3}', 'EOS'],
    ],
  },
  {
    name: 'W04 the watermark subtracts 1 ms: a record exactly B behind maxTs is accepted',
    options: { window: { type: 'tumbling', size: 10 }, maxOutOfOrderness: 5 },
    steps: [
      ['k@0=1', -6],
      ['k@14=2', 8],
      ['k@9=3', 8],
      ['k@15=4', 9, 'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 4, min 1, max 3, avg 2}'],
      ['EOS', INF, 'RESULT k [10,20) ON_TIME pane=0 {count 2, sum 6, min 2, max 4, avg 3}', 'EOS'],
    ],
  },
  {
    name: 'W05 allowed lateness: late firing, then cleanup boundary',
    options: { window: { type: 'tumbling', size: 10 }, allowedLateness: 5 },
    steps: [
      ['k@1=1', 0],
      ['k@4=2', 3],
      ['k@12=10', 11, 'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@7=4', 11, 'RESULT k [0,10) LATE pane=1 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['k@15=1', 14],
      ['k@8=100', 14, 'SIDE k@8=100'],
      ['EOS', INF, 'RESULT k [10,20) ON_TIME pane=0 {count 2, sum 11, min 1, max 10, avg 5.5}', 'EOS'],
    ],
  },
  {
    name: 'W06 one watermark per node (not per key); drop mode',
    options: { window: { type: 'tumbling', size: 10 }, lateOutput: 'drop' },
    steps: [
      ['A@1=1', 0],
      ['B@2=2', 1],
      ['A@25=3', 24,
        'RESULT A [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT B [0,10) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}'],
      ['B@15=4', 24, 'DROP B@15'],
      ['EOS', INF, 'RESULT A [20,30) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}', 'EOS'],
    ],
  },
  {
    name: 'W07 tumbling with offset',
    options: { window: { type: 'tumbling', size: 10, offset: 3 } },
    steps: [
      ['k@2=1', 1],
      ['k@3=2', 2, 'RESULT k [-7,3) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@12=3', 11],
      ['k@13=4', 12, 'RESULT k [3,13) ON_TIME pane=0 {count 2, sum 5, min 2, max 3, avg 2.5}'],
      ['EOS', INF, 'RESULT k [13,23) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}', 'EOS'],
    ],
  },
  {
    name: 'W08 negative timestamps use floor-mod',
    options: { window: { type: 'tumbling', size: 10 } },
    steps: [
      ['k@-15=1', -16],
      ['k@-1=2', -2, 'RESULT k [-20,-10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@0=3', -1, 'RESULT k [-10,0) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}'],
      ['EOS', INF, 'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}', 'EOS'],
    ],
  },
];

describe('engine: CASES.md worked cases', () => {
  for (const c of PUBLISHED) it(c.name, () => { runCase(c); });
});

// ---------------------------------------------------------------------------------------------------------------
// Further hand-computed cases from SPEC.md

const SLIDING: Case[] = [
  {
    name: 'puts a record into size/slide windows when slide divides size and fires them in end order',
    options: { window: { type: 'sliding', size: 10, slide: 5 } },
    steps: [
      ['k@3=1', 2],
      ['k@7=2', 6, 'RESULT k [-5,5) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@12=4', 11, 'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@20=8', 19,
        'RESULT k [5,15) ON_TIME pane=0 {count 2, sum 6, min 2, max 4, avg 3}',
        'RESULT k [10,20) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}'],
      ['EOS', INF,
        'RESULT k [15,25) ON_TIME pane=0 {count 1, sum 8, min 8, max 8, avg 8}',
        'RESULT k [20,30) ON_TIME pane=0 {count 1, sum 8, min 8, max 8, avg 8}',
        'EOS'],
    ],
  },
  {
    name: 'puts a record into ⌊size/slide⌋ or ⌈size/slide⌉ windows when slide does not divide size',
    options: { window: { type: 'sliding', size: 10, slide: 4 } },
    steps: [
      // ts 5 → [-4,6) [0,10) [4,14) (3 windows); ts 7 → [0,10) [4,14) (2 windows)
      ['k@5=1', 4],
      ['k@7=2', 6, 'RESULT k [-4,6) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@13=3', 12, 'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['EOS', INF,
        'RESULT k [4,14) ON_TIME pane=0 {count 3, sum 6, min 1, max 3, avg 2}',
        'RESULT k [8,18) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'RESULT k [12,22) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'EOS'],
    ],
  },
  {
    name: 'ignores a non-late record in a gap (slide > size) and side-outputs a late one',
    options: { window: { type: 'sliding', size: 5, slide: 10 } },
    steps: [
      ['k@1=1', 0],
      ['k@6=9', 5, 'RESULT k [0,5) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@12=3', 11],
      ['k@8=4', 11, 'SIDE k@8=4'],
      ['k@17=5', 16, 'RESULT k [10,15) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}'],
      ['EOS', INF, 'EOS'],
    ],
  },
  {
    name: 'sliding windows with an offset start at s ≡ offset (mod slide)',
    options: { window: { type: 'sliding', size: 6, slide: 4, offset: 5 } },
    steps: [
      // offset 5 → starts ≡ 1 (mod 4): ts 3 → s ∈ (−3, 3] → [1,7); ts 6 → [1,7), [5,11); ts 10 → [5,11), [9,15)
      ['k@3=1', 2],
      ['k@6=2', 5],
      ['k@10=4', 9, 'RESULT k [1,7) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['EOS', INF,
        'RESULT k [5,11) ON_TIME pane=0 {count 2, sum 6, min 2, max 4, avg 3}',
        'RESULT k [9,15) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}',
        'EOS'],
    ],
  },
  {
    name: 'emits several LATE firings of one record in ascending start order; a record accepted by one window is never side-output',
    options: { window: { type: 'sliding', size: 10, slide: 5 }, allowedLateness: 10 },
    steps: [
      ['k@7=1', 6],
      ['k@15=2', 14,
        'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT k [5,15) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@8=3', 14,
        'RESULT k [0,10) LATE pane=1 {count 2, sum 4, min 1, max 3, avg 2}',
        'RESULT k [5,15) LATE pane=1 {count 2, sum 4, min 1, max 3, avg 2}'],
      ['k@12=4', 14, 'RESULT k [5,15) LATE pane=2 {count 3, sum 8, min 1, max 4, avg 2.6667}'],
      // [-5,5) is late for ts 4 (4 + 10 ≤ 14) but [0,10) accepts it: no side output.
      ['k@4=5', 14, 'RESULT k [0,10) LATE pane=2 {count 3, sum 9, min 1, max 5, avg 3}'],
      ['EOS', INF,
        'RESULT k [10,20) ON_TIME pane=0 {count 2, sum 6, min 2, max 4, avg 3}',
        'RESULT k [15,25) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}',
        'EOS'],
    ],
  },
];

const SESSIONS: Case[] = [
  {
    name: 'merges session events strictly less than gap apart',
    options: { window: { type: 'session', gap: 5 }, maxOutOfOrderness: 10 },
    steps: [
      ['k@0=1', -11],
      ['k@4=2', -7],
      ['EOS', INF, 'RESULT k [0,9) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}', 'EOS'],
    ],
  },
  {
    name: 'does not merge session events exactly gap apart',
    options: { window: { type: 'session', gap: 5 }, maxOutOfOrderness: 10 },
    steps: [
      ['k@0=1', -11],
      ['k@5=2', -6],
      ['k@12=3', 1],
      ['EOS', INF,
        'RESULT k [0,5) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT k [5,10) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}',
        'RESULT k [12,17) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'EOS'],
    ],
  },
  {
    name: 'does not merge a session with a record exactly gap later even when the watermark releases it',
    options: { window: { type: 'session', gap: 5 } },
    steps: [
      ['k@0=1', -1],
      ['k@4=2', 3],
      ['k@9=3', 8, 'RESULT k [0,9) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@13=4', 12],
      ['EOS', INF, 'RESULT k [9,18) ON_TIME pane=0 {count 2, sum 7, min 3, max 4, avg 3.5}', 'EOS'],
    ],
  },
  {
    name: 'merges a record overlapping two in-flight sessions into one covering session',
    options: { window: { type: 'session', gap: 5 }, maxOutOfOrderness: 10 },
    steps: [
      ['k@0=1', -11],
      ['k@6=2', -5],
      ['k@3=3', -5],
      ['EOS', INF, 'RESULT k [0,11) ON_TIME pane=0 {count 3, sum 6, min 1, max 3, avg 2}', 'EOS'],
    ],
  },
  {
    name: 'a late record bridging two fired sessions fires a new window LATE with pane 0; the merged-away ones emit nothing more',
    options: { window: { type: 'session', gap: 5 }, allowedLateness: 20 },
    steps: [
      ['k@0=1', -1],
      ['k@8=2', 7, 'RESULT k [0,5) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@20=3', 19, 'RESULT k [8,13) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}'],
      ['k@4=4', 19, 'RESULT k [0,13) LATE pane=0 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['k@6=5', 19, 'RESULT k [0,13) LATE pane=1 {count 4, sum 12, min 1, max 5, avg 3}'],
      ['EOS', INF, 'RESULT k [20,25) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}', 'EOS'],
    ],
  },
  {
    name: 'with retractions, the merged-away sessions are retracted before the bridging LATE result',
    options: { window: { type: 'session', gap: 5 }, allowedLateness: 20, retractions: true },
    steps: [
      ['k@0=1', -1],
      ['k@8=2', 7, 'RESULT k [0,5) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@20=3', 19, 'RESULT k [8,13) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}'],
      ['k@4=4', 19,
        'RETRACT k [0,5) {count 1, sum 1, min 1, max 1, avg 1}',
        'RETRACT k [8,13) {count 1, sum 2, min 2, max 2, avg 2}',
        'RESULT k [0,13) LATE pane=0 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['k@6=5', 19,
        'RETRACT k [0,13) {count 3, sum 7, min 1, max 4, avg 2.3333}',
        'RESULT k [0,13) LATE pane=1 {count 4, sum 12, min 1, max 5, avg 3}'],
      ['EOS', INF, 'RESULT k [20,25) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}', 'EOS'],
    ],
  },
  {
    name: 'a late record extending a fired session beyond W makes a new window that fires ON_TIME later',
    options: { window: { type: 'session', gap: 5 }, maxOutOfOrderness: 11, allowedLateness: 10 },
    steps: [
      ['k@0=1', -12],
      ['k@4=2', -8],
      ['k@20=3', 8, 'RESULT k [0,9) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@6=4', 8],
      ['k@22=5', 10, 'RESULT k [0,11) ON_TIME pane=0 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['EOS', INF, 'RESULT k [20,27) ON_TIME pane=0 {count 2, sum 8, min 3, max 5, avg 4}', 'EOS'],
    ],
  },
  {
    name: 'with retractions, a merged-away session is retracted immediately before the result that supersedes it',
    options: { window: { type: 'session', gap: 5 }, maxOutOfOrderness: 11, allowedLateness: 10, retractions: true },
    steps: [
      ['k@0=1', -12],
      ['k@4=2', -8],
      ['k@20=3', 8, 'RESULT k [0,9) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@6=4', 8],
      ['k@22=5', 10,
        'RETRACT k [0,9) {count 2, sum 3, min 1, max 2, avg 1.5}',
        'RESULT k [0,11) ON_TIME pane=0 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['EOS', INF, 'RESULT k [20,27) ON_TIME pane=0 {count 2, sum 8, min 3, max 5, avg 4}', 'EOS'],
    ],
  },
  {
    name: 'side-outputs a record whose own session is already past cleanup',
    options: { window: { type: 'session', gap: 5 }, allowedLateness: 2 },
    steps: [
      ['k@0=1', -1],
      ['k@20=2', 19, 'RESULT k [0,5) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      // [12,17): end − 1 + L = 18 ≤ 19 → late
      ['k@12=3', 19, 'SIDE k@12=3'],
      // [13,18): 19 ≤ 19 → late too; [14,19): 20 > 19 → accepted, fires LATE at once (18 ≤ 19), pane 0
      ['k@13=4', 19, 'SIDE k@13=4'],
      ['k@14=5', 19, 'RESULT k [14,19) LATE pane=0 {count 1, sum 5, min 5, max 5, avg 5}'],
      ['EOS', INF, 'RESULT k [20,25) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}', 'EOS'],
    ],
  },
];

const EMIT: Case[] = [
  {
    name: 'emit onUpdate sends EARLY results, then LATE ones, and nothing at close',
    options: { window: { type: 'tumbling', size: 10 }, allowedLateness: 5, emit: 'onUpdate' },
    steps: [
      ['k@1=1', 0, 'RESULT k [0,10) EARLY pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@4=2', 3, 'RESULT k [0,10) EARLY pane=1 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@12=3', 11, 'RESULT k [10,20) EARLY pane=0 {count 1, sum 3, min 3, max 3, avg 3}'],
      ['k@7=4', 11, 'RESULT k [0,10) LATE pane=2 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['k@8=5', 11, 'RESULT k [0,10) LATE pane=3 {count 4, sum 12, min 1, max 5, avg 3}'],
      ['EOS', INF, 'EOS'],
    ],
  },
  {
    name: 'emit onUpdate with retractions retracts each earlier value right before its update',
    options: { window: { type: 'tumbling', size: 10 }, allowedLateness: 5, emit: 'onUpdate', retractions: true },
    steps: [
      ['k@1=1', 0, 'RESULT k [0,10) EARLY pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@4=2', 3,
        'RETRACT k [0,10) {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT k [0,10) EARLY pane=1 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@12=3', 11, 'RESULT k [10,20) EARLY pane=0 {count 1, sum 3, min 3, max 3, avg 3}'],
      ['k@7=4', 11,
        'RETRACT k [0,10) {count 2, sum 3, min 1, max 2, avg 1.5}',
        'RESULT k [0,10) LATE pane=2 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['EOS', INF, 'EOS'],
    ],
  },
  {
    name: 'emit onUpdate on sliding windows updates every window of the record in ascending start order',
    options: { window: { type: 'sliding', size: 10, slide: 5 }, emit: 'onUpdate' },
    steps: [
      ['k@7=1', 6,
        'RESULT k [0,10) EARLY pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT k [5,15) EARLY pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@8=2', 7,
        'RESULT k [0,10) EARLY pane=1 {count 2, sum 3, min 1, max 2, avg 1.5}',
        'RESULT k [5,15) EARLY pane=1 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['EOS', INF, 'EOS'],
    ],
  },
  {
    name: 'emit onUpdate on sessions: a record that changes the bounds makes a new window (pane 0), retracting the old one',
    options: { window: { type: 'session', gap: 5 }, emit: 'onUpdate', retractions: true },
    steps: [
      ['k@0=1', -1, 'RESULT k [0,5) EARLY pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@0=2', -1,
        'RETRACT k [0,5) {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT k [0,5) EARLY pane=1 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@3=3', 2,
        'RETRACT k [0,5) {count 2, sum 3, min 1, max 2, avg 1.5}',
        'RESULT k [0,8) EARLY pane=0 {count 3, sum 6, min 1, max 3, avg 2}'],
      ['EOS', INF, 'EOS'],
    ],
  },
];

const RETRACTIONS: Case[] = [
  {
    name: 'retracts the previous value immediately before each LATE firing that supersedes it',
    options: { window: { type: 'tumbling', size: 10 }, allowedLateness: 5, retractions: true },
    steps: [
      ['k@1=1', 0],
      ['k@4=2', 3],
      ['k@12=10', 11, 'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}'],
      ['k@7=4', 11,
        'RETRACT k [0,10) {count 2, sum 3, min 1, max 2, avg 1.5}',
        'RESULT k [0,10) LATE pane=1 {count 3, sum 7, min 1, max 4, avg 2.3333}'],
      ['k@9=5', 11,
        'RETRACT k [0,10) {count 3, sum 7, min 1, max 4, avg 2.3333}',
        'RESULT k [0,10) LATE pane=2 {count 4, sum 12, min 1, max 5, avg 3}'],
      ['k@15=1', 14],
      ['k@8=100', 14, 'SIDE k@8=100'],
      ['EOS', INF, 'RESULT k [10,20) ON_TIME pane=0 {count 2, sum 11, min 1, max 10, avg 5.5}', 'EOS'],
    ],
  },
  {
    name: 'a LATE firing of a window created after its main firing time has pane 0 and nothing to retract',
    options: { window: { type: 'tumbling', size: 10 }, allowedLateness: 10, retractions: true },
    steps: [
      ['k@25=1', 24],
      ['k@18=2', 24, 'RESULT k [10,20) LATE pane=0 {count 1, sum 2, min 2, max 2, avg 2}'],
      ['EOS', INF, 'RESULT k [20,30) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}', 'EOS'],
    ],
  },
];

const ORDERING: Case[] = [
  {
    name: 'orders windows released together by key (UTF-16 code units) on equal bounds',
    options: { window: { type: 'tumbling', size: 10 } },
    steps: [
      ['b@1=1', 0],
      ['a@2=2', 1],
      ['B@3=3', 2],
      ['Z@4=4', 3],
      ['b@10=5', 9,
        'RESULT B [0,10) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'RESULT Z [0,10) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}',
        'RESULT a [0,10) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}',
        'RESULT b [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['EOS', INF, 'RESULT b [10,20) ON_TIME pane=0 {count 1, sum 5, min 5, max 5, avg 5}', 'EOS'],
    ],
  },
  {
    name: 'orders windows released together by end, then start, then key',
    options: { window: { type: 'session', gap: 5 } },
    steps: [
      ['b@0=1', -1],
      ['b@3=2', 2],
      ['a@3=3', 2],
      ['c@1=4', 2],
      ['c@20=5', 19,
        'RESULT c [1,6) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}',
        'RESULT b [0,8) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}',
        'RESULT a [3,8) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}'],
      ['EOS', INF, 'RESULT c [20,25) ON_TIME pane=0 {count 1, sum 5, min 5, max 5, avg 5}', 'EOS'],
    ],
  },
  {
    name: 'accepts records behind maxTs but ahead of W without moving W',
    options: { window: { type: 'tumbling', size: 10 }, maxOutOfOrderness: 3 },
    steps: [
      ['k@10=1', 6],
      ['k@8=2', 6],
      ['k@7=3', 6],
      ['k@11=4', 7],
      ['EOS', INF,
        'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 5, min 2, max 3, avg 2.5}',
        'RESULT k [10,20) ON_TIME pane=0 {count 2, sum 5, min 1, max 4, avg 2.5}',
        'EOS'],
    ],
  },
];

const MULTI: Case[] = [
  {
    name: 'one watermark jump fires several windows of one key, each with its own records',
    options: { window: { type: 'tumbling', size: 10 }, maxOutOfOrderness: 100 },
    steps: [
      ['k@5=1', -96],
      ['k@6=2', -95],
      ['k@25=3', -76],
      ['k@30=4', -71],
      ['k@140=9', 39,
        'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}',
        'RESULT k [20,30) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'RESULT k [30,40) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}'],
      ['EOS', INF, 'RESULT k [140,150) ON_TIME pane=0 {count 1, sum 9, min 9, max 9, avg 9}', 'EOS'],
    ],
  },
  {
    name: 'an out-of-order record ahead of W lands in its own earlier window',
    options: { window: { type: 'tumbling', size: 10 }, maxOutOfOrderness: 5 },
    steps: [
      ['k@10=1', 4],
      ['k@8=2', 4],
      ['EOS', INF,
        'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}',
        'RESULT k [10,20) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
        'EOS'],
    ],
  },
  {
    name: 'a single sliding record (size 10, slide 4) at ts 13 is in [4,14), [8,18) and [12,22)',
    options: { window: { type: 'sliding', size: 10, slide: 4 } },
    steps: [
      ['k@13=3', 12],
      ['EOS', INF,
        'RESULT k [4,14) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'RESULT k [8,18) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'RESULT k [12,22) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
        'EOS'],
    ],
  },
];

const EOS_CASES: Case[] = [
  {
    name: 'sends records after EOS to the late output with reason after-eos',
    options: { window: { type: 'tumbling', size: 10 } },
    steps: [
      ['k@1=1', 0],
      ['EOS', INF, 'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}', 'EOS'],
      ['k@5=2', INF, 'SIDE k@5=2 after-eos'],
      ['k@500=3', INF, 'SIDE k@500=3 after-eos'],
    ],
  },
  {
    name: 'drops and counts records after EOS in drop mode',
    options: { window: { type: 'tumbling', size: 10 }, lateOutput: 'drop' },
    steps: [
      ['k@1=1', 0],
      ['EOS', INF, 'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}', 'EOS'],
      ['k@5=2', INF, 'DROP k@5'],
    ],
  },
  {
    name: 'EOS fires every pending window ON_TIME in (end, start, key) order and then emits the marker',
    options: { window: { type: 'sliding', size: 4, slide: 2 }, maxOutOfOrderness: 100 },
    steps: [
      ['y@1=1', -100],
      ['x@3=2', -98],
      ['EOS', INF,
        'RESULT y [-2,2) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT x [0,4) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}',
        'RESULT y [0,4) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
        'RESULT x [2,6) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}',
        'EOS'],
    ],
  },
  {
    name: 'with allowed lateness, EOS does not re-fire windows that already fired',
    options: { window: { type: 'tumbling', size: 10 }, allowedLateness: 100 },
    steps: [
      ['k@1=1', 0],
      ['k@15=2', 14, 'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}'],
      ['k@2=3', 14, 'RESULT k [0,10) LATE pane=1 {count 2, sum 4, min 1, max 3, avg 2}'],
      ['EOS', INF, 'RESULT k [10,20) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}', 'EOS'],
    ],
  },
];

const IDLENESS: Case = {
  name: 'idleness: a slow source holds W, an idle one is left out, reactivation never lowers W',
  options: { window: { type: 'tumbling', size: 10 }, idleTimeoutMs: 100 },
  steps: [
    [{ rec: 'k@5=1', source: 's1', clock: 0 }, 4],
    [{ rec: 'k@6=2', source: 's2', clock: 0 }, 4],
    // s2 (maxTs 6) holds W at 5 although s1 is at 25
    [{ rec: 'k@25=3', source: 's1', clock: 10 }, 5],
    [{ rec: 'k@30=4', source: 's1', clock: 50 }, 5],
    [{ tick: true, clock: 99 }, 5],
    // exactly idleTimeoutMs after its last record s2 is idle: W = 30 − 1
    [{ tick: true, clock: 100 }, 29,
      'RESULT k [0,10) ON_TIME pane=0 {count 2, sum 3, min 1, max 2, avg 1.5}',
      'RESULT k [20,30) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}'],
    // s2 comes back behind W: judged against the higher W, and W does not go down
    [{ rec: 'k@12=5', source: 's2', clock: 120 }, 29, 'SIDE k@12=5'],
    [{ rec: 'k@40=6', source: 's2', clock: 130 }, 29],
    [{ rec: 'k@45=7', source: 's1', clock: 140 }, 39,
      'RESULT k [30,40) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}'],
    // every source idle: W does not move
    [{ tick: true, clock: 1000 }, 39],
    ['EOS', INF, 'RESULT k [40,50) ON_TIME pane=0 {count 2, sum 13, min 6, max 7, avg 6.5}', 'EOS'],
  ],
};

describe('engine: sliding windows', () => {
  for (const c of SLIDING) it(c.name, () => { runCase(c); });
});
describe('engine: session windows', () => {
  for (const c of SESSIONS) it(c.name, () => { runCase(c); });
});
describe('engine: emit modes', () => {
  for (const c of EMIT) it(c.name, () => { runCase(c); });
});
describe('engine: retractions', () => {
  for (const c of RETRACTIONS) it(c.name, () => { runCase(c); });
});
describe('engine: emission order and watermark', () => {
  for (const c of ORDERING) it(c.name, () => { runCase(c); });
});
describe('engine: several windows at once', () => {
  for (const c of MULTI) it(c.name, () => { runCase(c); });
});
describe('engine: end of stream', () => {
  for (const c of EOS_CASES) it(c.name, () => { runCase(c); });
});

describe('engine: time', () => {
  it(IDLENESS.name, () => {
    const clock = { t: 0 };
    runCase({ ...IDLENESS, options: { ...IDLENESS.options, now: () => clock.t } }, clock);
  });

  it('processing-time mode stamps records with the injected clock and fires a window on tick() once the clock has passed end − 1', () => {
    const clock = { t: 0 };
    const outs: WindowOutput[] = [];
    const op = new WindowOperator({ window: { type: 'tumbling', size: 10 }, timeMode: 'processing', now: () => clock.t },
      (o) => outs.push(o));
    const lines = (): string[] => outs.splice(0).map((o) => fmtOutput(o, { digits: 4 }));
    // The ts argument is ignored in processing time: the clock decides.
    clock.t = 3; op.process('k', 0, 1);
    clock.t = 8; op.process('k', 0, 2);
    op.tick();
    assert.deepEqual(lines(), []);
    // At now = end − 1 the window is still open (nothing can be late in processing time, SPEC §1.1):
    // a record arriving in that millisecond is still counted.
    clock.t = 9; op.tick();
    assert.deepEqual(lines(), []);
    op.process('k', 0, 3);
    clock.t = 10; op.tick();
    assert.deepEqual(lines(), ['RESULT k [0,10) ON_TIME pane=0 {count 3, sum 6, min 1, max 3, avg 2}']);
    clock.t = 12; op.process('k', 0, 4);
    op.tick();
    assert.deepEqual(lines(), []);
    clock.t = 25; op.tick();
    assert.deepEqual(lines(), ['RESULT k [10,20) ON_TIME pane=0 {count 1, sum 4, min 4, max 4, avg 4}']);
    assert.equal(op.stats.late, 0);
    assert.equal(op.stats.lateDropped, 0);
  });

  it('processing-time mode never produces late records', () => {
    const clock = { t: 100 };
    const outs: WindowOutput[] = [];
    const op = new WindowOperator({ window: { type: 'tumbling', size: 10 }, timeMode: 'processing', now: () => clock.t },
      (o) => outs.push(o));
    op.process('k', 100, 1);
    clock.t = 150; op.tick();
    op.process('k', 5, 2); // an "old" event time is irrelevant in processing time
    clock.t = 200; op.tick();
    assert.deepEqual(outs.map((o) => fmtOutput(o, { digits: 4 })), [
      'RESULT k [100,110) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
      'RESULT k [150,160) ON_TIME pane=0 {count 1, sum 2, min 2, max 2, avg 2}',
    ]);
    assert.equal(op.stats.late, 0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Snapshot / restore

/** Runs the record/EOS steps of a case without checks, optionally snapshotting (via JSON) after `cut` steps. */
function replay(c: Case, cut?: number): string[] {
  const lines: string[] = [];
  const sink = (o: WindowOutput<string>): void => {
    lines.push(fmtOutput(o, { watermark: true, retractDetail: true, ref: true }) + ' ' + JSON.stringify(o.kind === 'result' || o.kind === 'retract' ? o.aggregates : null));
  };
  let op = new WindowOperator<string>(c.options, sink);
  c.steps.forEach(([input], i) => {
    if (i === cut) {
      const snap = JSON.parse(JSON.stringify(op.snapshot())) as unknown;
      op = new WindowOperator<string>(c.options, sink);
      op.restore(snap);
    }
    const s = typeof input === 'string' ? input : input.rec ?? 'EOS';
    if (s === 'EOS') op.eos();
    else { const r = parseRec(s); op.process(r.key, r.ts, r.value, `ref${i + 1}`); }
    lines.push(`W=${op.watermark}`);
  });
  return lines;
}

describe('engine: snapshot and restore', () => {
  const cases = [...PUBLISHED, ...SLIDING, ...SESSIONS, ...EMIT, ...RETRACTIONS, ...ORDERING, ...MULTI, ...EOS_CASES];
  for (const c of cases) {
    it(`resumes mid-stream exactly (JSON round trip at every step): ${c.name}`, () => {
      const straight = replay(c);
      for (let cut = 0; cut <= c.steps.length; cut++) {
        assert.deepEqual(replay(c, cut), straight, `snapshot after ${cut} steps`);
      }
    });
  }

  it('restores stats and the watermark', () => {
    const opts: WindowOperatorOptions = { window: { type: 'tumbling', size: 10 }, allowedLateness: 5 };
    const op = new WindowOperator(opts, () => undefined);
    op.process('k', 1, 1); op.process('k', 12, 2); op.process('k', 0, 3); op.process('k', 20, 3); op.process('k', 1, 3);
    const op2 = new WindowOperator(opts, () => undefined);
    op2.restore(JSON.parse(JSON.stringify(op.snapshot())));
    assert.equal(op2.watermark, op.watermark);
    assert.equal(op2.openWindows, op.openWindows);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Aggregates inside the window operator

function runAll(options: WindowOperatorOptions, recs: [string, number, unknown][]): WindowOutput[] {
  const outs: WindowOutput[] = [];
  const op = new WindowOperator(options, (o) => outs.push(o));
  for (const [k, ts, v] of recs) op.process(k, ts, v);
  op.eos();
  return outs;
}

function results(outs: WindowOutput[]): Record<string, unknown>[] {
  return outs.flatMap((o) => (o.kind === 'result' ? [o.aggregates] : []));
}

describe('engine: aggregates', () => {
  const VAR: AggregateName[] = ['count', 'sum', 'avg', 'varPop', 'varSamp', 'stddevPop', 'stddevSamp'];
  for (const offset of [1e9, 1e12]) {
    it(`computes variance/stddev exactly on values with a large offset (${offset}+{4,7,13,16})`, () => {
      const vals = [4, 7, 13, 16].map((d) => offset + d);
      const [a] = results(runAll({ window: { type: 'tumbling', size: 10 }, aggregates: VAR },
        vals.map((v, i) => ['k', i, v])));
      assert.equal(a.count, 4);
      assert.equal(a.avg, offset + 10);
      for (const [name, want] of [['varPop', 22.5], ['varSamp', 30], ['stddevPop', Math.sqrt(22.5)], ['stddevSamp', Math.sqrt(30)]] as const) {
        assert.ok(Math.abs((a[name] as number) - want) < 1e-6, `${name} = ${String(a[name])}, want ${want}`);
      }
    });
  }

  it('computes variance exactly when sessions with large values merge', () => {
    const o = 1e9;
    const [a] = results(runAll({ window: { type: 'session', gap: 6 }, maxOutOfOrderness: 100, aggregates: VAR },
      [['k', 0, o + 4], ['k', 10, o + 16], ['k', 5, o + 7], ['k', 7, o + 13]]));
    assert.equal(a.count, 4);
    assert.ok(Math.abs((a.varPop as number) - 22.5) < 1e-6, `varPop = ${String(a.varPop)}`);
    assert.ok(Math.abs((a.varSamp as number) - 30) < 1e-6, `varSamp = ${String(a.varSamp)}`);
  });

  it('computes variance exactly on large values across sliding panes', () => {
    const o = 1e9;
    const outs = results(runAll({ window: { type: 'sliding', size: 12, slide: 8 }, aggregates: VAR },
      [['k', 1, o + 4], ['k', 3, o + 7], ['k', 5, o + 13], ['k', 7, o + 16]]));
    // [0,12) holds all four records; the other window [-8,4) holds ts 1 and 3
    const full = outs.find((a) => a.count === 4)!;
    assert.ok(Math.abs((full.varPop as number) - 22.5) < 1e-6, `varPop = ${String(full.varPop)}`);
    const two = outs.find((a) => a.count === 2)!;
    assert.ok(Math.abs((two.varPop as number) - 2.25) < 1e-6, `varPop = ${String(two.varPop)}`);
  });

  it('returns null for varSamp/stddevSamp of one value and 0 for varPop/stddevPop', () => {
    const [a] = results(runAll({ window: { type: 'tumbling', size: 10 }, aggregates: VAR }, [['k', 1, 5]]));
    assert.deepEqual(a, { count: 1, sum: 5, avg: 5, varPop: 0, varSamp: null, stddevPop: 0, stddevSamp: null });
  });

  it('emits only the configured aggregates', () => {
    const [a] = results(runAll({ window: { type: 'tumbling', size: 10 }, aggregates: ['max', 'count'] }, [['k', 1, 5], ['k', 2, 7]]));
    assert.deepEqual(a, { max: 7, count: 2 });
  });

  it('counts distinct values by canonical key on mixed values', () => {
    const vals: unknown[] = [1, 1, '1', 'a', 'a', true, { a: 1, b: 2 }, { b: 2, a: 1 }, [1, 2], [1, 2], 2];
    const [a] = results(runAll({ window: { type: 'tumbling', size: 100 }, aggregates: ['count', 'distinct', 'first', 'last'] },
      vals.map((v, i) => ['k', i, v])));
    assert.deepEqual(a, { count: 11, distinct: 7, first: 1, last: 2 });
  });

  it('takes first/last by event time, ties by arrival', () => {
    const [a] = results(runAll({ window: { type: 'tumbling', size: 10 }, maxOutOfOrderness: 100, aggregates: ['first', 'last'] },
      [['k', 5, 50], ['k', 3, 31], ['k', 3, 32], ['k', 8, 81], ['k', 8, 82], ['k', 4, 40]]));
    assert.deepEqual(a, { first: 31, last: 82 });
  });

  it('takes first/last by event time across merged sessions, any value type', () => {
    const [a] = results(runAll({ window: { type: 'session', gap: 3 }, maxOutOfOrderness: 100, aggregates: ['count', 'first', 'last'] },
      [['k', 4, 'b1'], ['k', 0, 'a1'], ['k', 4, 'b2'], ['k', 0, 'a2'], ['k', 2, 'mid']]));
    assert.deepEqual(a, { count: 5, first: 'a1', last: 'b2' });
  });

  it('throws on a non-numeric value for sum and leaves the state and the watermark unchanged', () => {
    const outs: WindowOutput[] = [];
    const op = new WindowOperator({ window: { type: 'tumbling', size: 10 } }, (o) => outs.push(o));
    op.process('k', 1, 1);
    for (const bad of ['abc', NaN, Infinity, null, undefined, { x: 1 }, '5']) {
      assert.throws(() => op.process('k', 50, bad), `value ${String(bad)} must be refused`);
    }
    assert.equal(op.watermark, 0);
    assert.deepEqual(outs, []);
    op.process('k', 12, 3);
    op.eos();
    assert.deepEqual(outs.map((o) => fmtOutput(o, { digits: 4 })), [
      'RESULT k [0,10) ON_TIME pane=0 {count 1, sum 1, min 1, max 1, avg 1}',
      'RESULT k [10,20) ON_TIME pane=0 {count 1, sum 3, min 3, max 3, avg 3}',
      'EOS',
    ]);
    assert.equal(op.stats.late, 0);
  });

  it('accepts non-numeric values when only count is configured', () => {
    const [a] = results(runAll({ window: { type: 'tumbling', size: 10 }, aggregates: ['count'] },
      [['k', 1, 'abc'], ['k', 2, { x: 1 }], ['k', 3, true], ['k', 4, 7]]));
    assert.deepEqual(a, { count: 4 });
  });
});
