/** Durations as the editor stores them: a number and a unit. */
export type DurationUnit = 'ms' | 's' | 'min' | 'h' | 'd';

const MS: Record<DurationUnit, number> = { ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 };

export function toMillis(value: number | string | undefined, unit: DurationUnit | string | undefined = 'ms'): number {
  const factor = MS[(unit || 'ms') as DurationUnit];
  const n = typeof value === 'string' ? (value.trim() === '' ? NaN : Number(value)) : value ?? 0;
  if (factor === undefined || !Number.isFinite(n)) return NaN;
  return Math.round(n * factor);
}
