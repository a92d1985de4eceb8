/** The numbers of a bench run: metrics measured against targets, percentiles and rates. */

/** A bar a metric must clear: at least or at most `value`. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

/** One measured number, with its target and whether it met it (null when it has no target). */
export interface Metric {
  name: string;
  value: number;
  unit: string;
  target: Target | null;
  pass: boolean | null;
}

/** A metric, judged against its target if it has one. */
export function metric(name: string, value: number, unit: string, target?: Target): Metric {
  const pass = target === undefined ? null : target.op === '>=' ? value >= target.value : value <= target.value;
  return { name, value, unit, target: target ?? null, pass };
}

/** Nearest-rank percentiles (each p in 0–100) of a non-empty set of samples. */
export function percentiles(samples: readonly number[], ps: readonly number[]): number[] {
  if (samples.length === 0) throw new RangeError('percentiles of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return ps.map((p) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] as number);
}

/** Events per second, given a count and the milliseconds they took. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Infinity;
}
