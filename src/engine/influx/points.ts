/**
 * Message → points (issue 4): what a message carries becomes line-protocol lines.
 *
 *   - a line-protocol string, or an array of them: checked and passed through;
 *   - an explicit point `{measurement?, tags?, fields, timestamp?}`, or an array of them;
 *   - an object of fields (a window or aggregate result, or any record), with chosen properties promoted to
 *     tags and the key as a tag;
 *   - a number or boolean: the field `value`.
 *
 * The time of a point without its own timestamp comes from the window start or end (results), the message's
 * timestamp, or the clock, as configured; the node's clock is written explicitly (never the server's), so a
 * resent line writes the same point again.
 */
import { EngineError } from '../errors';
import { checkLines, encodeSeries, lineOf, type EncodeOptions, type ShapeCache } from './line-protocol';
import { pointId, pointOfLine, seriesHash } from './point-id';
import { msToPrecision, timestampIn, type Precision } from './time';

export type TimeSource = 'start' | 'end' | 'timestamp' | 'now';

export interface PointMapperOptions {
  /** Measurement when neither the point nor the message names one. */
  measurement: string;
  /** Tag that carries the message's key; empty: the key is not written. */
  keyTag: string;
  /** Properties of a fields object written as tags instead of fields. */
  tagProps: readonly string[];
  /** Fields written as integers. */
  integerFields: readonly string[];
  timeFrom: TimeSource;
  precision: Precision;
  /** Target speaks the v2 API (names beginning with `_` are reserved). */
  v2: boolean;
  onLossy?: (name: string) => void;
}

/** What the adapter reads from a message. */
export interface PointInput {
  /** The points, fields or lines (msg.payload by default). */
  value: unknown;
  key?: unknown;
  /** Per-message measurement (msg.measurement). */
  measurement?: unknown;
  window?: unknown;
  timestamp?: unknown;
}

export interface MappedLines {
  lines: string[];
  /** The point each line writes (point-id.ts), for the writer's order of writes of one point. */
  points: number[];
  /** Every line carries its own timestamp. */
  stamped: boolean;
  /** Elements of an array that could not be written; the rest are in `lines`. */
  errors: EngineError[];
}

const POINT_KEYS = new Set(['measurement', 'tags', 'fields', 'timestamp']);
/** Distinct series kept with their text and hash; past this many the cache starts over. */
const MAX_SERIES = 10000;
const NO_ERRORS: EngineError[] = [];

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

export const isExplicitPoint = (v: unknown): v is { measurement?: unknown; tags?: unknown; fields: Record<string, unknown>; timestamp?: unknown } =>
  isObject(v) && isObject(v.fields) && Object.keys(v).every((k) => POINT_KEYS.has(k));

/** A series as written (measurement and tags) and its hash (point-id.ts). */
interface Series { text: string; hash: number }

/** The common case first: an object without `fields` is an object of fields. */
const isFieldsObject = (v: unknown): v is Record<string, unknown> => isObject(v) && !isObject(v.fields);

const badPoint = (message: string) => new EngineError('bad-point', message);

export class PointMapper {
  private readonly encode: EncodeOptions;
  private readonly tagProps: ReadonlySet<string>;
  private readonly shapes: ShapeCache = {};
  /** The result of a one-point message and the key tag object, reused: `map` is synchronous. */
  private readonly one: MappedLines = { lines: [''], points: [0], stamped: true, errors: NO_ERRORS };
  private readonly keyTags: Record<string, unknown> = {};
  /**
   * Series whose only tag is the key, by measurement and key: a stream has few of them and repeats them, so each
   * is escaped and hashed once.
   */
  private readonly keySeries = new Map<string, Map<unknown, Series>>();
  private keySeriesCount = 0;
  /** The point id of the line `point` or `fields` encoded last. */
  private lastPoint = 0;
  /** The last time converted to the write precision: the results of one window share their time. */
  private lastMs = NaN;
  private lastMsText = '';

  constructor(private readonly o: PointMapperOptions) {
    this.encode = { v2: o.v2, integerFields: new Set(o.integerFields), onLossy: o.onLossy };
    this.tagProps = new Set(o.tagProps);
  }

  /**
   * Lines for one message; throws EngineError when nothing of it can be written. The result of a one-point
   * message is reused by the next call: read it before mapping another message.
   */
  map(input: PointInput, nowMs: number): MappedLines {
    const v = input.value;
    if (typeof v === 'string') return passThrough(checkLines(v, this.o.v2));
    if (Array.isArray(v)) return this.mapArray(v, input, nowMs);
    if (isFieldsObject(v)) return this.single(this.fields(v, input, nowMs));
    if (isExplicitPoint(v)) return this.single(this.point(v, input, nowMs));
    if (isObject(v)) return this.single(this.fields(v, input, nowMs));
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return this.single(this.fields({ value: v }, input, nowMs));
    throw badPoint(`nothing to write: the value is ${v === null ? 'null' : typeof v}`);
  }

  private single(line: string): MappedLines {
    this.one.lines[0] = line;
    this.one.points[0] = this.lastPoint;
    return this.one;
  }

  private mapArray(items: unknown[], input: PointInput, nowMs: number): MappedLines {
    if (items.length === 0) throw badPoint('nothing to write: the array is empty');
    const lines: string[] = [];
    const points: number[] = [];
    const errors: EngineError[] = [];
    let stamped = true;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      try {
        if (typeof item === 'string') {
          for (const c of checkLines(item, this.o.v2)) {
            lines.push(c.line);
            points.push(pointOfLine(c.line, c.stamped));
            stamped &&= c.stamped;
          }
        } else if (isExplicitPoint(item)) {
          lines.push(this.point(item, input, nowMs));
          points.push(this.lastPoint);
        } else throw badPoint('it is neither a point {measurement, tags, fields, timestamp} nor a line-protocol string');
      } catch (err) {
        const e = err as EngineError;
        errors.push(new EngineError(e.reason ?? 'bad-point', `element ${i}: ${e.message}`));
      }
    }
    if (lines.length === 0) {
      if (errors.length === 1) throw errors[0];
      throw badPoint(`nothing to write: ${errors.map((e) => e.message).join('; ')}`);
    }
    return { lines, points, stamped, errors };
  }

  private measurementOf(own: unknown, input: PointInput): string {
    const m = own ?? input.measurement;
    if (m === undefined || m === null || m === '') return this.o.measurement;
    if (typeof m !== 'string') throw badPoint(`the measurement ${JSON.stringify(m)} is not a string`);
    return m;
  }

  /** `ms` in the write precision. */
  private msText(ms: number): string {
    if (ms !== this.lastMs) {
      this.lastMsText = msToPrecision(ms, this.o.precision);
      this.lastMs = ms;
    }
    return this.lastMsText;
  }

  /** The time of a point without its own timestamp. */
  private timeOf(input: PointInput, nowMs: number): string {
    const w = input.window as { start?: unknown; end?: unknown } | undefined;
    switch (this.o.timeFrom) {
      case 'start': case 'end': {
        const t = isObject(w) ? w[this.o.timeFrom] : undefined;
        if (typeof t === 'number') return this.msText(t);
        break;
      }
      case 'now': return this.msText(nowMs);
      default: break;
    }
    const ts = input.timestamp;
    if (ts === undefined || ts === null) return this.msText(nowMs);
    return typeof ts === 'number' ? this.msText(ts) : timestampIn(ts, this.o.precision);
  }

  /** A line of `series`, `fields` and `timestamp`; its point id goes to `lastPoint`. */
  private line(measurement: string, series: Series, fields: Record<string, unknown>, timestamp: string): string {
    const line = lineOf(series.text, fields, timestamp, measurement, this.encode, this.shapes);
    this.lastPoint = pointId(series.hash, timestamp);
    return line;
  }

  private series(measurement: string, tags: Record<string, unknown> | undefined): Series {
    const text = encodeSeries(measurement, tags, this.encode, this.shapes);
    return { text, hash: seriesHash(text) };
  }

  /** The series of `measurement` with the key as its only tag (none when the key is empty or not written). */
  private seriesOfKey(measurement: string, key: unknown): Series {
    if (!this.o.keyTag || key === null || key === '') key = undefined;
    let byKey = this.keySeries.get(measurement);
    let s = byKey?.get(key);
    if (s !== undefined) return s;
    if (key === undefined) s = this.series(measurement, undefined);
    else {
      this.keyTags[this.o.keyTag] = key;
      s = this.series(measurement, this.keyTags);
    }
    if (++this.keySeriesCount > MAX_SERIES) {
      this.keySeries.clear();
      this.keySeriesCount = 1;
      byKey = undefined;
    }
    if (!byKey) this.keySeries.set(measurement, byKey = new Map());
    byKey.set(key, s);
    return s;
  }

  private point(p: { measurement?: unknown; tags?: unknown; fields: Record<string, unknown>; timestamp?: unknown }, input: PointInput,
    nowMs: number): string {
    if (p.tags !== undefined && !isObject(p.tags)) throw badPoint('the tags of a point must be an object');
    const ts = p.timestamp === undefined || p.timestamp === null ? this.timeOf(input, nowMs) : timestampIn(p.timestamp, this.o.precision);
    const measurement = this.measurementOf(p.measurement, input);
    return this.line(measurement, this.series(measurement, p.tags as Record<string, unknown> | undefined), p.fields, ts);
  }

  private fields(f: Record<string, unknown>, input: PointInput, nowMs: number): string {
    const measurement = this.measurementOf(undefined, input);
    const ts = this.timeOf(input, nowMs);
    if (this.tagProps.size === 0) return this.line(measurement, this.seriesOfKey(measurement, input.key), f, ts);
    const tags: Record<string, unknown> = {};
    const fields: Record<string, unknown> = {};
    for (const k in f) {
      if (this.tagProps.has(k)) tags[k] = f[k];
      else fields[k] = f[k];
    }
    const key = input.key;
    if (this.o.keyTag && key !== undefined && key !== null && key !== '') tags[this.o.keyTag] = key;
    return this.line(measurement, this.series(measurement, tags), fields, ts);
  }
}

function passThrough(checked: { line: string; stamped: boolean }[]): MappedLines {
  if (checked.length === 0) throw badPoint('nothing to write: the text holds no line');
  return {
    lines: checked.map((c) => c.line), points: checked.map((c) => pointOfLine(c.line, c.stamped)), stamped: checked.every((c) => c.stamped),
    errors: NO_ERRORS,
  };
}
