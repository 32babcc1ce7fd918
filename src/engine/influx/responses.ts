/**
 * What an answer to a write means for the lines of the batch (SPEC §8.4), across InfluxDB 1.x, 2.x and 3:
 *
 *   2xx                      written
 *   429, 5xx, no answer      retry (Retry-After is in seconds)
 *   413                      too large: the batch is split
 *   400, 422                 some lines rejected:
 *     - InfluxDB 3 names them (`data[].line_number`); the others were written;
 *     - 1.x/2.x quote a line that does not parse (`unable to parse '<line>': …`): 2.x wrote nothing of the batch
 *       (the others are sent again), 1.x wrote the others (`partial write`);
 *     - otherwise (a field type conflict, points outside the retention period) the server does not say which
 *       lines: `unidentified`, and the writer finds them by sending halves again.
 *   other 4xx                the whole batch is rejected (authorization, unknown bucket or database)
 */

export interface WriteResponse {
  /** HTTP status; 0 when there was no answer (network error, timeout). */
  status: number;
  /** The answer's body, or the network error's message. */
  body: string;
  /** The Retry-After header, as received. */
  retryAfter?: string;
}

export type Verdict =
  | { kind: 'written' }
  | { kind: 'retry'; afterMs: number | undefined; text: string }
  | { kind: 'too-large'; text: string }
  /** `rejected`: index in the batch → the server's text for it; `rest`: whether the other lines were written. */
  | { kind: 'lines'; rejected: Map<number, string>; rest: 'written' | 'resend'; text: string }
  | { kind: 'unidentified'; text: string }
  | { kind: 'rejected'; text: string };

const MAX_TEXT = 1000;

/** The server's own words: the `message` (2.x) or `error` (1.x, 3) of a JSON body, else the body itself. */
export function serverText(r: WriteResponse): string {
  const status = r.status === 0 ? 'no answer' : `HTTP ${r.status}`;
  let text = r.body.trim();
  try {
    const j = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = typeof j.message === 'string' ? j.message : typeof j.error === 'string' ? j.error : undefined;
    if (m !== undefined) text = m;
  } catch { /* not JSON */ }
  if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT)}…`;
  return text ? `${status}: ${text}` : status;
}

/** Retry-After in ms: delta-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
export function retryAfterMs(v: string | undefined, nowMs: number): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}

const UNPARSABLE = /unable to parse '([\s\S]*?)': /g;

export function judge(r: WriteResponse, lines: readonly string[], nowMs: number): Verdict {
  const s = r.status;
  if (s >= 200 && s < 300) return { kind: 'written' };
  const text = serverText(r);
  if (s === 0 || s === 429 || s >= 500) return { kind: 'retry', afterMs: retryAfterMs(r.retryAfter, nowMs), text };
  if (s === 413) return { kind: 'too-large', text };
  if (s !== 400 && s !== 422) return { kind: 'rejected', text };

  const numbered = lineNumbers(r.body, lines);
  if (numbered) return { kind: 'lines', rejected: numbered, rest: 'written', text };
  const quoted = new Set([...r.body.matchAll(UNPARSABLE)].map((m) => unescapeJson(m[1])));
  if (quoted.size > 0) {
    const rejected = new Map<number, string>();
    lines.forEach((l, i) => { if (quoted.has(l)) rejected.set(i, text); });
    if (rejected.size > 0) return { kind: 'lines', rejected, rest: /partial write/.test(r.body) ? 'written' : 'resend', text };
  }
  return { kind: 'unidentified', text };
}

/** The quoted line as it was sent: the body is JSON, so `"` and `\` in it are escaped. */
function unescapeJson(s: string): string {
  try { return JSON.parse(`"${s}"`) as string; } catch { return s; }
}

/** InfluxDB 3: `{"error": …, "data": [{"line_number": n, "error_message": …}]}`, 1-based lines of the body. */
function lineNumbers(body: string, lines: readonly string[]): Map<number, string> | undefined {
  let data: unknown;
  try { data = (JSON.parse(body) as { data?: unknown }).data; } catch { return undefined; }
  if (!Array.isArray(data) || !data.some((d) => typeof (d as { line_number?: unknown })?.line_number === 'number')) return undefined;
  // A string field may hold a newline, so a line of the batch can span several lines of the body.
  const entryOfBodyLine: number[] = [];
  lines.forEach((l, i) => { for (let k = l.split('\n').length; k > 0; k--) entryOfBodyLine.push(i); });
  const rejected = new Map<number, string>();
  for (const d of data as { line_number?: unknown; error_message?: unknown }[]) {
    if (typeof d?.line_number !== 'number') continue;
    const i = entryOfBodyLine[d.line_number - 1];
    if (i === undefined) continue;
    const why = typeof d.error_message === 'string' ? d.error_message : 'rejected';
    rejected.set(i, `line ${d.line_number}: ${why}`);
  }
  return rejected.size > 0 ? rejected : undefined;
}
