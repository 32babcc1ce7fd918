/** Durations as the editor stores them: a number and a unit. */
export type DurationUnit = 'ms' | 's' | 'min' | 'h' | 'd';

const MS: Record<DurationUnit, number> = { ms: 1, s: 1000, min: 60000, h: 3600000, d: 86400000 };

export function toMillis(value: number | string | undefined, unit: DurationUnit | string | undefined = 'ms'): number {
  const factor = MS[(unit || 'ms') as DurationUnit];
  const n = typeof value === 'string' ? (value.trim() === '' ? NaN : Number(value)) : value ?? 0;
  if (factor === undefined || !Number.isFinite(n)) return NaN;
  return Math.round(n * factor);
}

/** `5000` → `5s`, `90000` → `90s`, `300000` → `5min`: for labels and status. */
export function formatMillis(ms: number): string {
  for (const [unit, f] of [['d', 86400000], ['h', 3600000], ['min', 60000], ['s', 1000]] as const) {
    if (ms >= f && ms % f === 0) return `${ms / f}${unit}`;
  }
  return `${ms}ms`;
}
