/** The monitoring counters' registry and their Prometheus text format. */
import assert from 'node:assert/strict';
import { MetricsRegistry, prometheusText, type MetricsSource, type NodeCounts } from '../../src/engine';

const source = (id: string, counts: Partial<NodeCounts>, extra: Partial<MetricsSource['node']> = {}): MetricsSource => ({
  node: { id, type: 'streamkit-filter', name: '', flow: 'tab1', ...extra },
  read: () => ({ in: 0, out: 0, errors: 0, ...counts }),
});

/** `metric{labels} value` lines of one family. */
const samples = (text: string, family: string): string[] =>
  text.split('\n').filter((l) => l.startsWith(`${family}{`));

describe('engine: metrics', () => {
  it('exports in, out and errors of every node with HELP and TYPE once per family', () => {
    const text = prometheusText([source('a', { in: 5, out: 3, errors: 1 }), source('b', { in: 7 })]);
    assert.deepEqual(samples(text, 'streamkit_in_total'), [
      'streamkit_in_total{node="a",type="streamkit-filter",name="",flow="tab1"} 5',
      'streamkit_in_total{node="b",type="streamkit-filter",name="",flow="tab1"} 7',
    ]);
    assert.deepEqual(samples(text, 'streamkit_out_total').map((l) => l.split(' ')[1]), ['3', '0']);
    assert.deepEqual(samples(text, 'streamkit_errors_total').map((l) => l.split(' ')[1]), ['1', '0']);
    for (const [family, kind] of [['streamkit_in_total', 'counter'], ['streamkit_out_total', 'counter'], ['streamkit_errors_total', 'counter']]) {
      assert.equal(text.split('\n').filter((l) => l === `# TYPE ${family} ${kind}`).length, 1, `${family} is typed once`);
      assert.equal(text.split('\n').filter((l) => l.startsWith(`# HELP ${family} `)).length, 1, `${family} has help`);
    }
    assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed');
  });

  it('exports a node-specific value only for the nodes that have it', () => {
    const text = prometheusText([
      source('w', { late: 2, buffered: 4 }, { type: 'streamkit-tumbling-window' }),
      source('k', { lag: 120, inFlight: 3 }, { type: 'kafka-in' }),
      source('f', {}),
    ]);
    assert.deepEqual(samples(text, 'streamkit_late_total').map((l) => l.match(/node="(\w+)"/)![1]), ['w']);
    assert.deepEqual(samples(text, 'streamkit_buffered').map((l) => l.split(' ')[1]), ['4']);
    assert.deepEqual(samples(text, 'streamkit_lag').map((l) => l.split(' ')[1]), ['120']);
    assert.deepEqual(samples(text, 'streamkit_in_flight').map((l) => l.split(' ')[1]), ['3']);
    assert.match(text, /^# TYPE streamkit_lag gauge$/m);
    assert.doesNotMatch(text, /streamkit_checkpoint_age_seconds/, 'a family no node has is left out');
  });

  it('escapes backslashes, quotes and line feeds in label values', () => {
    const text = prometheusText([source('x', { in: 1 }, { name: 'a "b"\\c\nd' })]);
    assert.match(text, /name="a \\"b\\"\\\\c\\nd"/);
    assert.equal(samples(text, 'streamkit_in_total').length, 1, 'one sample line');
  });

  it('names a node whose counts cannot be read in a comment and still exports the others', () => {
    const broken: MetricsSource = { node: { id: 'bad', type: 'streamkit-map' }, read: () => { throw new Error('gone\nbad'); } };
    const text = prometheusText([broken, source('ok', { in: 1 })]);
    assert.match(text, /^# streamkit: cannot read the counts of streamkit-map bad: gone bad$/m);
    assert.deepEqual(samples(text, 'streamkit_in_total').map((l) => l.match(/node="(\w+)"/)![1]), ['ok']);
  });

  it('lists the registered sources until they are removed', () => {
    const reg = new MetricsRegistry();
    const a = source('a', {});
    const b = source('b', {});
    reg.add(a);
    reg.add(b);
    assert.deepEqual(reg.list(), [a, b]);
    reg.remove(a);
    assert.deepEqual(reg.list(), [b]);
    assert.equal(prometheusText(reg.list()).includes('node="a"'), false);
  });

  it('gives an empty exposition when no node runs', () => {
    assert.equal(prometheusText([]), '');
  });
});
