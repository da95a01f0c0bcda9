/**
 * Aggregates for the leaderboard: mean, n, standard error and a 95% interval per metric, for one task or pooled
 * over many.
 * - stderr is the harness's `mean_stderr`: sample standard deviation (n - 1) / sqrt(n); null when n < 2.
 * - binary metrics (0/1 per item): the Wilson score interval, which stays inside [0, 1] and is sensible at
 *   0/5 and 5/5, where the normal interval collapses to a point.
 * - continuous metrics in [0, 1] (mc2): mean ± t(0.975, n - 1) · stderr, clipped to [0, 1]. With n = 5 the t
 *   factor is 2.78 rather than 1.96, which is the honest width for so few items; n = 1 gives [0, 1].
 */
import type { MetricKind } from "./benchmark-definition";
import { studentTQuantile } from "./student-t";

export interface Aggregate {
  mean: number;
  n: number;
  stderr: number | null;
  lo: number;
  hi: number;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

export function wilsonInterval(successes: number, n: number): { lo: number; hi: number } {
  const p = successes / n;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { lo: p <= 0 ? 0 : Math.max(0, centre - half), hi: p >= 1 ? 1 : Math.min(1, centre + half) };
}

/**
 * Aggregate of per-item scores in [0, 1]. A binary metric's values are 0 or 1, except where pooling averaged an
 * item's repeated evaluations (poolItemScores); Wilson then uses the mean as the proportion.
 */
export function aggregate(values: readonly number[], kind: MetricKind): Aggregate {
  const n = values.length;
  if (n === 0) throw new RangeError("aggregate needs at least one value");
  let sum = 0;
  for (const value of values) {
    if (!(value >= 0 && value <= 1)) throw new RangeError(`scores must lie in [0, 1], got ${value}`);
    sum += value;
  }
  const mean = sum / n;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  const stderr = n >= 2 ? Math.sqrt(squares / (n - 1)) / Math.sqrt(n) : null;
  if (kind === "binary") return { mean, n, stderr, ...wilsonInterval(sum, n) };
  if (stderr === null) return { mean, n, stderr, lo: 0, hi: 1 };
  const half = studentTQuantile(0.975, n - 1) * stderr;
  return { mean, n, stderr, lo: Math.max(0, mean - half), hi: Math.min(1, mean + half) };
}

export interface ScoredItem {
  item: string;
  scores: Record<string, number>;
}

/**
 * Pools several tasks' per-item scores for one metric. An item scored in several tasks (a later sampling cycle,
 * or the same item in two tasks) counts once, with the mean of its scores: repeating a greedy evaluation adds no
 * information, and counting it twice would narrow the interval dishonestly.
 */
export function poolItemScores(tasks: readonly (readonly ScoredItem[])[], metric: string, kind: MetricKind): Aggregate {
  const byItem = new Map<string, { total: number; count: number }>();
  for (const task of tasks) {
    for (const { item, scores } of task) {
      const value = scores[metric];
      if (value === undefined) throw new RangeError(`item ${item} has no score for ${metric}`);
      const entry = byItem.get(item) ?? { total: 0, count: 0 };
      entry.total += value;
      entry.count += 1;
      byItem.set(item, entry);
    }
  }
  return aggregate(
    [...byItem.values()].map(({ total, count }) => total / count),
    kind,
  );
}
