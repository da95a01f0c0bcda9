/**
 * The leaderboard: per model x benchmark aggregates (kept current in the transaction that accepts a task), an
 * overall score across benchmarks with its interval, and ranks with ties where intervals overlap:
 * rank = 1 + the number of models whose lower bound is above this model's upper bound.
 */
import { PASS_THRESHOLD, tierOf, tierReward } from "@/lib/benchmarks/long-context";
import type { Db } from "@/server/db";

export interface MetricSummary {
  mean: number;
  n: number;
  /** null when n < 2 */
  stderr: number | null;
  lo: number;
  hi: number;
}

export interface LeaderboardBenchmark {
  id: string;
  name: string;
  primaryMetric: string;
  metrics: string[];
  /** metric -> whether a higher value is better (perplexity-like metrics are not); missing reads as true. */
  higherIsBetter?: Record<string, boolean>;
  /** Metrics where a lower value is better (perplexity, bits per byte): ranks, arrows and the overall score flip. */
  lowerIsBetter?: string[];
}

/**
 * Energy the runners measured while evaluating the model: watt-hours per item, averaged over every valid result of
 * its accepted tasks that reported energy. `declared` when any of them came from a runner's declared GPU watts
 * rather than power readings. null when no runner could measure it (never shown as zero).
 */
export interface EnergySummary {
  whPerItem: number;
  results: number;
  declared: boolean;
}

export interface LeaderboardEntry {
  modelId: string;
  repo: string;
  revision: string;
  weightType: "ORIGINAL" | "ADAPTER" | "DELTA";
  precision: string;
  baseModel: string | null;
  submitter: string;
  createdAt: Date;
  /** benchmark id -> metric name -> summary */
  scores: Record<string, Record<string, MetricSummary>>;
  acceptedTasks: Record<string, number>;
  overall: MetricSummary | null;
  /** Long-context tiers (longctx_*): the largest tier passed and the best QUASAR reward (long-context.ts). */
  longContext: LongContextSummary | null;
  rank: number | null;
  updatedAt: Date | null;
  pendingTasks: number;
  disputedTasks: number;
  energy: EnergySummary | null;
}

export interface LongContextSummary {
  /** The largest tier whose accuracy is at least PASS_THRESHOLD (`128k`), or null when none is. */
  highestTierPassed: string | null;
  /** max over the evaluated tiers of min(accuracy × multiplier, 1). */
  score: number;
}

/** From a model's scores: the long-context summary, or null when no long-context tier has been scored. */
export function longContextSummary(scores: Record<string, Record<string, MetricSummary>>): LongContextSummary | null {
  let best: number | null = null;
  let highest: { label: string; tokens: number } | null = null;
  for (const [benchmarkId, metrics] of Object.entries(scores)) {
    const tier = tierOf(benchmarkId);
    const accuracy = metrics.string_match_all?.mean;
    if (!tier || accuracy === undefined) continue;
    best = Math.max(best ?? 0, tierReward(accuracy, tier));
    if (accuracy >= PASS_THRESHOLD && (!highest || tier.tokens > highest.tokens)) highest = tier;
  }
  return best === null ? null : { highestTierPassed: highest?.label ?? null, score: best };
}

export interface Leaderboard {
  benchmarks: LeaderboardBenchmark[];
  entries: LeaderboardEntry[];
  generatedAt: Date;
}

export type BenchmarkMeta = LeaderboardBenchmark;

/**
 * A primary score as it enters the overall score, where higher is better and values lie in [0, 1]. A lower-is-better
 * primary (bits per byte) enters as 2^(−value), the geometric-mean probability the model gives each byte; its
 * bounds swap (the upper bound of bits per byte gives the lower bound of the probability).
 */
export function overallContribution(summary: MetricSummary, lowerIsBetter: boolean): MetricSummary {
  if (!lowerIsBetter) return summary;
  const mean = 2 ** -summary.mean;
  return {
    mean,
    n: summary.n,
    stderr: summary.stderr === null ? null : mean * Math.LN2 * summary.stderr,
    lo: 2 ** -summary.hi,
    hi: 2 ** -summary.lo,
  };
}

/**
 * Overall = the mean of each benchmark's primary metric (lower-is-better ones through overallContribution). Its interval averages the benchmarks' bounds: that is the
 * interval of the mean if the benchmarks' errors were perfectly correlated, so it is conservative (never narrower
 * than the truth), and it keeps Wilson's asymmetric bounds meaningful near 0 and 1.
 * Models without a score on every benchmark get no overall score (and no rank).
 */
export function overallScore(primaries: MetricSummary[], benchmarkCount: number): MetricSummary | null {
  if (benchmarkCount === 0 || primaries.length !== benchmarkCount) return null;
  const average = (pick: (p: MetricSummary) => number) =>
    primaries.reduce((sum, p) => sum + pick(p), 0) / benchmarkCount;
  return {
    mean: average((p) => p.mean),
    n: primaries.reduce((sum, p) => sum + p.n, 0),
    stderr: primaries.some((p) => p.stderr === null)
      ? null
      : Math.sqrt(primaries.reduce((sum, p) => sum + (p.stderr ?? 0) ** 2, 0)) / benchmarkCount,
    lo: average((p) => p.lo),
    hi: average((p) => p.hi),
  };
}

/** rank = 1 + number of others whose lower bound lies above this upper bound (ties where intervals overlap). */
export function rankWithTies<T>(items: T[], interval: (item: T) => { lo: number; hi: number } | null): (number | null)[] {
  const los = items
    .map(interval)
    .filter((value): value is { lo: number; hi: number } => value !== null)
    .map((value) => value.lo)
    .sort((a, b) => a - b);
  return items.map((item) => {
    const own = interval(item);
    if (!own) return null;
    // count of lower bounds strictly above own.hi
    let low = 0;
    let high = los.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (los[mid]! <= own.hi) low = mid + 1;
      else high = mid;
    }
    return 1 + (los.length - low);
  });
}

export async function getLeaderboard(options: { db: Db; benchmarks: BenchmarkMeta[] }): Promise<Leaderboard> {
  const { db, benchmarks } = options;
  const [models, rows, taskCounts, energies] = await Promise.all([
    db.model.findMany({
      where: { status: "ACTIVE" },
      select: {
        id: true,
        repo: true,
        revision: true,
        weightType: true,
        precision: true,
        baseModel: true,
        createdAt: true,
        submitter: { select: { name: true } },
      },
    }),
    db.leaderboardRow.findMany(),
    db.task.groupBy({
      by: ["modelId", "status"],
      where: { status: { in: ["QUEUED", "RUNNING", "VALIDATING", "DISPUTED"] } },
      _count: { _all: true },
    }),
    energyByModel(db),
  ]);
  const rowsByModel = new Map<string, typeof rows>();
  for (const row of rows) {
    const list = rowsByModel.get(row.modelId) ?? [];
    list.push(row);
    rowsByModel.set(row.modelId, list);
  }
  const counts = new Map<string, { pending: number; disputed: number }>();
  for (const count of taskCounts) {
    const entry = counts.get(count.modelId) ?? { pending: 0, disputed: 0 };
    if (count.status === "DISPUTED") entry.disputed += count._count._all;
    else entry.pending += count._count._all;
    counts.set(count.modelId, entry);
  }
  const byId = new Map(benchmarks.map((benchmark) => [benchmark.id, benchmark]));

  const entries: LeaderboardEntry[] = models.map((model) => {
    const scores: LeaderboardEntry["scores"] = {};
    const acceptedTasks: Record<string, number> = {};
    const primaries: MetricSummary[] = [];
    let updatedAt: Date | null = null;
    for (const row of rowsByModel.get(model.id) ?? []) {
      const benchmark = byId.get(row.benchmarkId);
      if (!benchmark) continue;
      const metrics = row.metrics as unknown as Record<string, MetricSummary>;
      scores[row.benchmarkId] = metrics;
      acceptedTasks[row.benchmarkId] = row.acceptedTasks;
      const primary = metrics[benchmark.primaryMetric];
      if (primary) primaries.push(overallContribution(primary, benchmark.lowerIsBetter?.includes(benchmark.primaryMetric) ?? false));
      if (!updatedAt || row.updatedAt > updatedAt) updatedAt = row.updatedAt;
    }
    const count = counts.get(model.id) ?? { pending: 0, disputed: 0 };
    return {
      modelId: model.id,
      repo: model.repo,
      revision: model.revision,
      weightType: model.weightType,
      precision: model.precision,
      baseModel: model.baseModel,
      submitter: model.submitter.name,
      createdAt: model.createdAt,
      scores,
      acceptedTasks,
      overall: overallScore(primaries, benchmarks.length),
      longContext: longContextSummary(scores),
      rank: null,
      updatedAt,
      pendingTasks: count.pending,
      disputedTasks: count.disputed,
      energy: energies.get(model.id) ?? null,
    };
  });
  const ranks = rankWithTies(entries, (entry) => entry.overall);
  entries.forEach((entry, index) => (entry.rank = ranks[index] ?? null));
  entries.sort(
    (a, b) =>
      (b.overall?.mean ?? -1) - (a.overall?.mean ?? -1) ||
      (a.updatedAt ? 0 : 1) - (b.updatedAt ? 0 : 1) ||
      a.repo.localeCompare(b.repo),
  );
  return { benchmarks, entries, generatedAt: new Date() };
}

/** Watt-hours per item per model over the valid results of accepted tasks that measured (or declared) energy. */
export async function energyByModel(db: Db, modelId?: string): Promise<Map<string, EnergySummary>> {
  const rows = await db.$queryRaw<{ modelId: string; whPerItem: number; results: bigint; declared: boolean }[]>`
    SELECT t."modelId", avg(r."energyKwh" * 1000 / greatest(cardinality(t."itemIds"), 1))::float8 AS "whPerItem",
           count(*) AS results, bool_or(r."energyDeclared") AS declared
    FROM "Task" t JOIN "Result" r ON r."taskId" = t.id
    WHERE t.status = 'ACCEPTED' AND r.verdict = 'VALID' AND r."energyKwh" IS NOT NULL
      AND (${modelId ?? null}::text IS NULL OR t."modelId" = ${modelId ?? null})
    GROUP BY t."modelId"`;
  return new Map(
    rows.map((row) => [row.modelId, { whPerItem: row.whPerItem, results: Number(row.results), declared: row.declared }]),
  );
}
