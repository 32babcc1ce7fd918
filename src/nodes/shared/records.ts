/**
 * Applying the records of one message — a single record, or a batch (`msg.payload` array) — to an engine
 * operator. Every record is read and applied on its own: one that fails (bad value, bad timestamp, a JSONata
 * error) is reported and the rest still go through.
 */
import type { PropertyReader, Msg } from './properties';
import { recordsOf } from './properties';

export interface RecordReaders {
  readers: PropertyReader[];
  /** All fields are msg paths: the whole message is handled synchronously. */
  sync: boolean;
}

export function recordReaders(...readers: PropertyReader[]): RecordReaders {
  return { readers, sync: readers.every((r) => r.get !== undefined) };
}

/**
 * Calls `apply(record, fieldValues)` for each record. A failure of a record in a batch goes to `report`;
 * the failure of a single-record message is returned, for the node's `done(err)`.
 */
export function forEachRecord(msg: Msg, r: RecordReaders, apply: (rec: Msg, fields: unknown[]) => void,
  report: (err: unknown, rec: Msg) => void): Error | undefined | Promise<Error | undefined> {
  const batch = recordsOf(msg);
  const recs = batch ?? [msg];
  let failure: Error | undefined;
  const fail = (err: unknown, rec: Msg) => {
    if (batch) report(err, rec);
    else failure = err instanceof Error ? err : new Error(String(err));
  };
  if (r.sync) {
    for (const rec of recs) {
      try { apply(rec, r.readers.map((x) => x.get!(rec))); } catch (err) { fail(err, rec); }
    }
    return failure;
  }
  return (async () => {
    for (const rec of recs) {
      try {
        const fields: unknown[] = [];
        for (const x of r.readers) fields.push(await x.read(rec));
        apply(rec, fields);
      } catch (err) { fail(err, rec); }
    }
    return failure;
  })();
}
