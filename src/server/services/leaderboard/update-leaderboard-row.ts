/**
 * Updates one model x benchmark leaderboard row when a task is accepted, incrementally: the accepted result's
 * per-item scores are added to LeaderboardItem (a sum and a count per item and metric), and the row is recomputed
 * from those sums alone. An item scored in several tasks counts once, with the mean of its scores (see
 * poolItemScores in the shared benchmark module, which this matches exactly). The cost is bounded by the
 * benchmark's item count; no earlier result is read again. Runs inside the transaction that accepts the task, so
 * the board never lags the decision. The row's shape (metrics, mean, n, lo, hi, acceptedTasks) is what the
 * leaderboard's read path serves.
 */
import type { Prisma } from "@/generated/prisma/client";
import { aggregate, aggregateRatio, type Aggregate } from "@/lib/benchmarks/aggregate";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { areTestDoublesAllowed, isFixtureRepo } from "@/server/services/test-doubles/test-doubles";

interface StoredRecord {
  item: string;
  scores: Record<string, number>;
}

export async function updateLeaderboardRow(
  tx: Prisma.TransactionClient,
  options: { modelId: string; benchmarkId: string; acceptedResultId: string },
): Promise<void> {
  const { modelId, benchmarkId } = options;
  const definition = getBenchmark(benchmarkId);
  const model = await tx.model.findUniqueOrThrow({ where: { id: modelId }, select: { repo: true } });
  if (isFixtureRepo(model.repo) && !areTestDoublesAllowed()) {
    // A test double never reaches a public board, whatever got it this far.
    await tx.leaderboardRow.deleteMany({ where: { modelId, benchmarkId } });
    return;
  }
  const accepted = await tx.result.findUniqueOrThrow({ where: { id: options.acceptedResultId }, select: { records: true } });
  const records = accepted.records as unknown as StoredRecord[];
  const items: string[] = [];
  const metrics: string[] = [];
  const values: number[] = [];
  for (const record of records) {
    for (const metric of definition.metrics) {
      if (!metric.ratio && record.scores[metric.name] === undefined) throw new RangeError(`item ${record.item} has no score for ${metric.name}`);
    }
    // Every per-item score is kept, not only the metrics: ratio metrics (perplexities) pool their numerator and
    // denominator, which are item scores of their own names.
    for (const [name, value] of Object.entries(record.scores)) {
      items.push(record.item);
      metrics.push(name);
      values.push(value);
    }
  }
  await tx.$executeRaw`
    INSERT INTO "LeaderboardItem" ("modelId", "benchmarkId", "item", "metric", "total", "count")
    SELECT ${modelId}, ${benchmarkId}, i.item, i.metric, SUM(i.value), COUNT(*)::int
      FROM unnest(${items}::text[], ${metrics}::text[], ${values}::float8[]) AS i(item, metric, value)
     GROUP BY i.item, i.metric
    ON CONFLICT ("modelId", "benchmarkId", "item", "metric")
    DO UPDATE SET "total" = "LeaderboardItem"."total" + EXCLUDED."total", "count" = "LeaderboardItem"."count" + EXCLUDED."count"`;

  const rows = await tx.$queryRaw<{ metric: string; items: string[]; means: number[] }[]>`
    SELECT metric, array_agg(item ORDER BY item) AS items, array_agg(total / count ORDER BY item) AS means
      FROM "LeaderboardItem" WHERE "modelId" = ${modelId} AND "benchmarkId" = ${benchmarkId}
     GROUP BY metric`;
  const meansOf = new Map(rows.map((row) => [row.metric, row]));
  const aggregates: Record<string, Aggregate> = {};
  for (const metric of definition.metrics) {
    if (metric.ratio) {
      // As poolMetric: the corpus-level ratio of the items' (mean) numerators and denominators.
      const numerators = meansOf.get(metric.ratio.numerator);
      const denominators = new Map((meansOf.get(metric.ratio.denominator)?.items ?? []).map((item, i) => [item, meansOf.get(metric.ratio!.denominator)!.means[i]!]));
      const pairs = (numerators?.items ?? []).flatMap((item, i) =>
        denominators.has(item) ? [{ num: numerators!.means[i]!, den: denominators.get(item)! }] : [],
      );
      aggregates[metric.name] = aggregateRatio(pairs, metric.ratio.transform);
    } else {
      aggregates[metric.name] = aggregate(meansOf.get(metric.name)?.means ?? [], metric.kind);
    }
  }
  const primary = aggregates[definition.primaryMetric]!;
  const previous = await tx.leaderboardRow.findUnique({
    where: { modelId_benchmarkId: { modelId, benchmarkId } },
    select: { acceptedTasks: true },
  });
  const data = {
    metrics: aggregates as unknown as Prisma.InputJsonValue,
    mean: primary.mean,
    n: primary.n,
    lo: primary.lo,
    hi: primary.hi,
    acceptedTasks: (previous?.acceptedTasks ?? 0) + 1,
  };
  await tx.leaderboardRow.upsert({
    where: { modelId_benchmarkId: { modelId, benchmarkId } },
    create: { modelId, benchmarkId, ...data },
    update: data,
  });
}
