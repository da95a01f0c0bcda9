/**
 * A model's accepted score per epoch, per benchmark, for the chart on its page: each point is one accepted task
 * (its accepted result's primary metric), with a 95% interval computed by the shared benchmark module over that
 * result's per-item scores (Wilson for binary metrics, t for continuous ones).
 */
import { poolMetric } from "@/lib/benchmarks/aggregate";
import { getBenchmark } from "@/lib/benchmarks/registry";
import type { Db } from "@/server/db";
import { epochStart } from "@/server/services/tasks/epochs";
import { registerCommunityBenchmarks } from "@/server/services/benchmarks/community/load-community-benchmarks";

/** The chart shows at most this many of the latest accepted tasks. */
const MAX_TASKS = 400;

export interface EpochPoint {
  epoch: number;
  startsAt: Date;
  taskId: string;
  mean: number;
  n: number;
  lo: number;
  hi: number;
}

export interface EpochSeries {
  benchmarkId: string;
  name: string;
  primaryMetric: string;
  points: EpochPoint[];
}

export async function listEpochScores(options: { db: Db; modelId: string; epochMinutes: number }): Promise<EpochSeries[]> {
  const tasks = await options.db.task.findMany({
    where: { modelId: options.modelId, status: "ACCEPTED", acceptedResultId: { not: null } },
    select: { id: true, epoch: true, benchmarkId: true, acceptedResultId: true },
    orderBy: [{ epoch: "desc" }, { benchmarkId: "asc" }],
    take: MAX_TASKS,
  });
  const results = await options.db.result.findMany({
    where: { id: { in: tasks.map((task) => task.acceptedResultId!) } },
    select: { id: true, records: true },
  });
  const recordsOf = new Map(
    results.map((result) => [result.id, result.records as unknown as { scores: Record<string, number> }[]]),
  );
  await registerCommunityBenchmarks(options.db);
  const series = new Map<string, EpochSeries>();
  for (const task of [...tasks].reverse()) {
    const definition = getBenchmark(task.benchmarkId);
    const metric = definition.metrics.find((candidate) => candidate.name === definition.primaryMetric)!;
    const records = (recordsOf.get(task.acceptedResultId!) ?? []).map((record, i) => ({ item: String(i), scores: record.scores }));
    if (records.length === 0 || records.some((record) => typeof record.scores[metric.name] !== "number" && !metric.ratio)) continue;
    const summary = poolMetric([records], metric);
    const entry = series.get(task.benchmarkId) ?? {
      benchmarkId: task.benchmarkId,
      name: definition.name,
      primaryMetric: definition.primaryMetric,
      points: [],
    };
    entry.points.push({
      epoch: task.epoch,
      startsAt: epochStart(task.epoch, options.epochMinutes),
      taskId: task.id,
      mean: summary.mean,
      n: summary.n,
      lo: summary.lo,
      hi: summary.hi,
    });
    series.set(task.benchmarkId, entry);
  }
  return [...series.values()].sort((a, b) => a.benchmarkId.localeCompare(b.benchmarkId));
}
