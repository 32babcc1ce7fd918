/**
 * Per-node counters for monitoring: one runtime-wide registry (the engine is a single shared module) of the
 * running nodes, rendered in the Prometheus text format. A node's counts are read only when the metrics are
 * scraped, so the hot path pays nothing beyond the counting it already does for its status.
 */

/** Who the counts belong to: the node's id, type, name and flow (tab or subflow) id. */
export interface NodeIdentity { id: string; type: string; name?: string; flow?: string }

/** What every node counts, and what only some do: a field left out does not apply to that node and is not exported. */
export interface NodeCounts {
  /** Records (or messages) received. */
  in: number;
  /** Messages sent on any output. */
  out: number;
  /** Failures reported with node.error. */
  errors: number;
  /** Records that arrived too late for their window (sent to the late output or dropped). */
  late?: number;
  /** Messages accepted and not yet completed (`done`). */
  inFlight?: number;
  /** Items held in memory until they are emitted or written: open windows, keys, points, messages. */
  buffered?: number;
  /** How far the node is behind its source (a Kafka consumer: messages behind the partition ends). */
  lag?: number;
  /** Seconds since the node's state was last checkpointed. */
  checkpointAgeSeconds?: number;
  /** Points (or records) a sink wrote and had acknowledged. */
  written?: number;
  /** Requests a sink sent again after a failure. */
  retries?: number;
  /** Items dropped to bound a buffer (an overflow policy that drops). */
  dropped?: number;
}

export interface MetricsSource {
  readonly node: NodeIdentity;
  read(): NodeCounts;
}

/** The running nodes' sources, in the order they started. */
export class MetricsRegistry {
  private readonly sources = new Set<MetricsSource>();

  add(source: MetricsSource): void {
    this.sources.add(source);
  }

  remove(source: MetricsSource): void {
    this.sources.delete(source);
  }

  list(): MetricsSource[] {
    return [...this.sources];
  }
}

/** The runtime-wide instance. */
export const metrics = new MetricsRegistry();

interface Family { name: string; kind: 'counter' | 'gauge'; help: string; field: keyof NodeCounts }

const FAMILIES: Family[] = [
  { name: 'streamkit_in_total', kind: 'counter', field: 'in', help: 'Records or messages the node received.' },
  { name: 'streamkit_out_total', kind: 'counter', field: 'out', help: 'Messages the node sent.' },
  { name: 'streamkit_errors_total', kind: 'counter', field: 'errors', help: 'Failures the node reported (node.error).' },
  { name: 'streamkit_late_total', kind: 'counter', field: 'late', help: 'Records too late for their window (late output or dropped).' },
  { name: 'streamkit_in_flight', kind: 'gauge', field: 'inFlight', help: 'Messages accepted and not yet completed.' },
  { name: 'streamkit_buffered', kind: 'gauge', field: 'buffered', help: 'Items held until emitted or written (open windows, keys, points, messages).' },
  { name: 'streamkit_lag', kind: 'gauge', field: 'lag', help: 'Messages the node is behind its source.' },
  { name: 'streamkit_written_total', kind: 'counter', field: 'written', help: 'Points or records the node wrote and had acknowledged.' },
  { name: 'streamkit_retries_total', kind: 'counter', field: 'retries', help: 'Requests the node sent again after a failure.' },
  { name: 'streamkit_dropped_total', kind: 'counter', field: 'dropped', help: 'Items dropped to bound a buffer.' },
  { name: 'streamkit_checkpoint_age_seconds', kind: 'gauge', field: 'checkpointAgeSeconds', help: 'Seconds since the node state was last checkpointed.' },
];

/**
 * The counts of `sources` in the Prometheus text exposition format (version 0.0.4). A source whose `read`
 * throws is named in a comment line and left out; the others are still exported.
 */
export function prometheusText(sources: MetricsSource[]): string {
  const rows: { labels: string; counts: NodeCounts }[] = [];
  let failures = '';
  for (const s of sources) {
    try {
      rows.push({ labels: labelSet(s.node), counts: s.read() });
    } catch (err) {
      failures += `# streamkit: cannot read the counts of ${s.node.type} ${s.node.id}: ${oneLine(err)}\n`;
    }
  }
  let text = '';
  for (const f of FAMILIES) {
    let lines = '';
    for (const { labels, counts } of rows) {
      const v = counts[f.field];
      if (typeof v === 'number' && Number.isFinite(v)) lines += `${f.name}{${labels}} ${v}\n`;
    }
    if (lines) text += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.kind}\n${lines}`;
  }
  return text + failures;
}

function labelSet(n: NodeIdentity): string {
  return `node="${escapeLabel(n.id)}",type="${escapeLabel(n.type)}",name="${escapeLabel(n.name ?? '')}",flow="${escapeLabel(n.flow ?? '')}"`;
}

/** Label values escape backslash, double quote and line feed. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/\s+/g, ' ');
}
