/**
 * Recomputes one model x benchmark leaderboard row from every accepted task: the per-item scores of each task's
 * accepted result are pooled, and each metric gets its mean, n, standard error and 95% interval from the shared
 * benchmark module. Runs inside the transaction that accepts a task, so the board never lags the decision.
 */
import type { Prisma } from "@/generated/prisma/client";
import { poolItemScores, type Aggregate } from "@/lib/benchmarks/aggregate";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { areTestDoublesAllowed, isFixtureRepo } from "@/server/services/test-doubles/test-doubles";

interface StoredRecord {
  item: string;
  scores: Record<string, number>;
}

export async function updateLeaderboardRow(
  tx: Prisma.TransactionClient,
  modelId: string,
  benchmarkId: string,
): Promise<void> {
  const definition = getBenchmark(benchmarkId);
  const model = await tx.model.findUniqueOrThrow({ where: { id: modelId }, select: { repo: true } });
  if (isFixtureRepo(model.repo) && !areTestDoublesAllowed()) {
    // A test double never reaches a public board, whatever got it this far.
    await tx.leaderboardRow.deleteMany({ where: { modelId, benchmarkId } });
    return;
  }
  const tasks = await tx.task.findMany({
    where: { modelId, benchmarkId, status: "ACCEPTED", acceptedResultId: { not: null } },
    select: { acceptedResultId: true },
  });
  const results = await tx.result.findMany({
    where: { id: { in: tasks.map((task) => task.acceptedResultId!) } },
    select: { records: true },
  });
  const perTask = results.map((result) => result.records as unknown as StoredRecord[]);
  const metrics: Record<string, Aggregate> = {};
  for (const metric of definition.metrics) metrics[metric.name] = poolItemScores(perTask, metric.name, metric.kind);
  const primary = metrics[definition.primaryMetric]!;
  const data = {
    metrics: metrics as unknown as Prisma.InputJsonValue,
    mean: primary.mean,
    n: primary.n,
    lo: primary.lo,
    hi: primary.hi,
    acceptedTasks: tasks.length,
  };
  await tx.leaderboardRow.upsert({
    where: { modelId_benchmarkId: { modelId, benchmarkId } },
    create: { modelId, benchmarkId, ...data },
    update: data,
  });
}
