/**
 * Applying the records of one message — a single record, or a batch (`msg.payload` array) — to an engine
 * operator. Every record is read and applied on its own: one that fails (bad value, bad timestamp, a JSONata
 * error) is reported and the rest still go through. Records whose fields read synchronously cost no allocation.
 */
import { NOT_COMPILED } from './jsonata';
import type { PropertyReader, Msg } from './properties';
import { recordsOf } from './properties';

export interface RecordReaders {
  readers: PropertyReader[];
  /** Every field has a synchronous read (it may still defer one record to JSONata). */
  sync: boolean;
  /** Reads every field synchronously into `fields`; true when one of them needs JSONata itself. */
  fill: (rec: Msg, fields: unknown[]) => boolean;
  /** Reused for every synchronous record: `apply` reads it before returning. */
  fields: unknown[];
}

export function recordReaders(...readers: PropertyReader[]): RecordReaders {
  const sync = readers.every((r) => r.get !== undefined);
  return { readers, sync, fill: sync ? filler(readers.map((r) => r.get!)) : () => true, fields: new Array(readers.length) };
}

/** One closure per field count, so that each getter is called from a call site of its own (kept monomorphic). */
function filler(g: ((msg: Msg) => unknown)[]): (rec: Msg, f: unknown[]) => boolean {
  const [g0, g1, g2] = g;
  switch (g.length) {
    case 2: return (rec, f) => (f[0] = g0(rec)) === NOT_COMPILED || (f[1] = g1(rec)) === NOT_COMPILED;
    case 3: return (rec, f) => (f[0] = g0(rec)) === NOT_COMPILED || (f[1] = g1(rec)) === NOT_COMPILED
      || (f[2] = g2(rec)) === NOT_COMPILED;
    default: return (rec, f) => g.some((get, i) => (f[i] = get(rec)) === NOT_COMPILED);
  }
}

type Apply = (rec: Msg, fields: unknown[]) => void;
type Report = (err: unknown, rec: Msg) => void;

/**
 * Calls `apply(record, fieldValues)` for each record. A failure of a record in a batch goes to `report`;
 * the failure of a single-record message is returned, for the node's `done(err)`. Returns a promise only when
 * some field had to be evaluated asynchronously.
 */
export function forEachRecord(msg: Msg, r: RecordReaders, apply: Apply, report: Report): Error | undefined | Promise<Error | undefined> {
  const batch = recordsOf(msg);
  const n = batch ? batch.length : 1;
  if (r.sync) {
    const { fill, fields } = r;
    for (let j = 0; j < n; j++) {
      const rec = batch ? batch[j] : msg;
      try {
        if (fill(rec, fields)) return readAsync(batch, msg, j, r, apply, report);
        apply(rec, fields);
      } catch (err) {
        if (!batch) return asError(err);
        report(err, rec);
      }
    }
    return undefined;
  }
  return readAsync(batch, msg, 0, r, apply, report);
}

/** The records from index `from` on, reading every field with its asynchronous reader. */
async function readAsync(batch: Msg[] | null, msg: Msg, from: number, r: RecordReaders, apply: Apply,
  report: Report): Promise<Error | undefined> {
  const n = batch ? batch.length : 1;
  for (let j = from; j < n; j++) {
    const rec = batch ? batch[j] : msg;
    try {
      const fields: unknown[] = [];
      for (const x of r.readers) fields.push(await x.read(rec));
      apply(rec, fields);
    } catch (err) {
      if (!batch) return asError(err);
      report(err, rec);
    }
  }
  return undefined;
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
