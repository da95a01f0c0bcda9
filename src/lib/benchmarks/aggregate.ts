/**
 * Aggregates for the leaderboard: mean, n, standard error and a 95% interval per metric, for one task or pooled
 * over many.
 * - stderr is the harness's `mean_stderr`: sample standard deviation (n - 1) / sqrt(n); null when n < 2.
 * - binary metrics (0/1 per item): the Wilson score interval, which stays inside [0, 1] and is sensible at
 *   0/5 and 5/5, where the normal interval collapses to a point.
 * - continuous metrics in [0, 1] (mc2): mean ± t(0.975, n - 1) · stderr, clipped to [0, 1]. With n = 5 the t
 *   factor is 2.78 rather than 1.96, which is the honest width for so few items; n = 1 gives [0, 1].
 */
import type { MetricDefinition, MetricKind } from "./benchmark-definition";
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

/** The ratio metric's value from Σ numerator / Σ denominator: exp (perplexity) or / ln 2 (bits). */
export function ratioTransform(value: number, transform: "exp" | "bits"): number {
  return transform === "exp" ? Math.exp(value) : value / Math.LN2;
}

/**
 * Aggregate of a ratio metric R = Σ num / Σ den (lm-evaluation-harness's weighted_perplexity and bits_per_byte
 * aggregations, before the transform). Interval: R ± t(0.975, n − 1) · se, with the ratio estimator's linearised
 * standard error se = sqrt(n / (n − 1) · Σ (num_i − R · den_i)²) / Σ den, then transformed (both transforms increase).
 * With one item nothing is known of the spread: the interval is [transform(0), transform(2R)].
 */
export function aggregateRatio(pairs: readonly { num: number; den: number }[], transform: "exp" | "bits"): Aggregate {
  const n = pairs.length;
  if (n === 0) throw new RangeError("aggregate needs at least one value");
  let num = 0;
  let den = 0;
  for (const pair of pairs) {
    if (!(pair.den > 0) || !(pair.num >= 0) || !Number.isFinite(pair.num)) {
      throw new RangeError(`ratio parts must be finite, numerator >= 0 and denominator > 0, got ${pair.num}/${pair.den}`);
    }
    num += pair.num;
    den += pair.den;
  }
  const ratio = num / den;
  const mean = ratioTransform(ratio, transform);
  if (n < 2) return { mean, n, stderr: null, lo: ratioTransform(0, transform), hi: ratioTransform(2 * ratio, transform) };
  let squares = 0;
  for (const pair of pairs) squares += (pair.num - ratio * pair.den) ** 2;
  const se = Math.sqrt((n / (n - 1)) * squares) / den;
  const half = studentTQuantile(0.975, n - 1) * se;
  const stderr = transform === "exp" ? mean * se : se / Math.LN2;
  return { mean, n, stderr, lo: ratioTransform(Math.max(0, ratio - half), transform), hi: ratioTransform(ratio + half, transform) };
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

/** The ratio metric's (numerator, denominator) per item, an item repeated across tasks counting once (its mean). */
function ratioPairs(tasks: readonly (readonly ScoredItem[])[], ratio: NonNullable<MetricDefinition["ratio"]>) {
  const byItem = new Map<string, { num: number; den: number; count: number }>();
  for (const task of tasks) {
    for (const { item, scores } of task) {
      const num = scores[ratio.numerator];
      const den = scores[ratio.denominator];
      if (num === undefined || den === undefined) throw new RangeError(`item ${item} has no ${ratio.numerator}/${ratio.denominator}`);
      const entry = byItem.get(item) ?? { num: 0, den: 0, count: 0 };
      entry.num += num;
      entry.den += den;
      entry.count += 1;
      byItem.set(item, entry);
    }
  }
  return [...byItem.values()].map(({ num, den, count }) => ({ num: num / count, den: den / count }));
}

/** poolItemScores for any metric: ratio metrics by their corpus-level ratio, the others by the mean of items. */
export function poolMetric(tasks: readonly (readonly ScoredItem[])[], metric: MetricDefinition): Aggregate {
  if (metric.ratio) return aggregateRatio(ratioPairs(tasks, metric.ratio), metric.ratio.transform);
  return poolItemScores(tasks, metric.name, metric.kind);
}
