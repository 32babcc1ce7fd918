/**
 * The JSON converter repeats a topic's schema, byte for byte, in front of every payload
 * (`{"schema":{…},"payload":{…}}`). Parsing and compiling it once per distinct schema text, and afterwards
 * only checking that a message starts with that text, leaves the payload as the only part to parse.
 *
 * A topic whose schema changes (DDL) simply adds an entry.
 */
export const FRAME_HEAD = '{"schema":';
export const PAYLOAD_MEMBER = ',"payload":';

interface Entry<T> { prefix: string; value: T }

export class SchemaTextCache<T> {
  private readonly entries: Entry<T>[] = [];

  constructor(private readonly max = 32) {}

  /** The entry whose prefix (`{"schema":…,"payload":`) `text` starts with. */
  find(text: string): Entry<T> | undefined {
    const e = this.entries;
    for (let i = 0; i < e.length; i++) {
      const x = e[i];
      // A slice compared with === is a memory comparison; startsWith walks the string a character at a time.
      if (text.length > x.prefix.length && text.slice(0, x.prefix.length) === x.prefix) return x;
    }
    return undefined;
  }

  /** Adds an entry; beyond `max` the oldest goes (a topic whose schema changed leaves its old text behind). */
  add(prefix: string, value: T): void {
    this.entries.push({ prefix, value });
    if (this.entries.length > this.max) this.entries.shift();
  }

  get size(): number { return this.entries.length; }
}

/** Keeps at most `max` compiled schemas for messages that arrive already parsed (keyed by the schema's JSON). */
export class BoundedMap<T> extends Map<string, T> {
  constructor(private readonly max = 64) { super(); }

  remember(key: string, value: T): T {
    if (this.size >= this.max) this.delete(this.keys().next().value as string);
    this.set(key, value);
    return value;
  }
}
