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
  getters: ((msg: Msg) => unknown)[];
  /** Reused for every synchronous record: `apply` reads it before returning. */
  fields: unknown[];
}

export function recordReaders(...readers: PropertyReader[]): RecordReaders {
  const sync = readers.every((r) => r.get !== undefined);
  return { readers, sync, getters: sync ? readers.map((r) => r.get!) : [], fields: new Array(readers.length) };
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
    const { getters, fields } = r;
    for (let j = 0; j < n; j++) {
      const rec = batch ? batch[j] : msg;
      try {
        let deferred = false;
        for (let i = 0; i < getters.length && !deferred; i++) deferred = (fields[i] = getters[i](rec)) === NOT_COMPILED;
        if (deferred) return readAsync(batch, msg, j, r, apply, report);
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
