/**
 * Which point a line writes, as a 32-bit FNV-1a hash of its series (measurement and tags: the text before the
 * first unescaped space) followed by its timestamp (the text after the last space); 0 for a line without a
 * timestamp (the server's time: it never writes the same point as another line). Two points with the same id
 * only make one of them wait for the other (writer.ts).
 *
 * The mapper knows a line's series text and timestamp apart, so it hashes a series once (`seriesHash`, kept with
 * the series) and adds only the timestamp per line (`pointId`); `pointOfLine` scans a whole line. Both give the
 * same id for the same point, which is what keeps mapped points and given lines of one point in order.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The hash state after the series of `text` (up to its first unescaped space, or its end). */
export function seriesHash(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) break;
    h = Math.imul(h ^ c, FNV_PRIME);
    if (c === 92 && i + 1 < text.length) { i++; h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME); }
  }
  return h;
}

/** The id of the point at `timestamp` (characters `from`… of it) in the series whose state is `series`; never 0. */
export function pointId(series: number, timestamp: string, from = 0): number {
  let h = series;
  for (let j = from; j < timestamp.length; j++) h = Math.imul(h ^ timestamp.charCodeAt(j), FNV_PRIME);
  return (h >>> 1) || 1;
}

/** The id of the point a whole line writes; 0 when it has no timestamp of its own (`stamped` false). */
export function pointOfLine(line: string, stamped: boolean): number {
  return stamped ? pointId(seriesHash(line), line, line.lastIndexOf(' ') + 1) : 0;
}
