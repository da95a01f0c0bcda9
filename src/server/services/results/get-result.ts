/**
 * One result's per-item records, for anyone to read: what the model answered, what was extracted and how each item
 * was scored. Outputs are published only once their task is decided (accepted, finally disputed, or failed), so a
 * runner cannot copy another runner's answers while the task is still open.
 */
import { getBenchmark } from "@/lib/benchmarks/registry";
import type { ItemRecord } from "@/lib/benchmarks/score-outputs";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { describeItem } from "@/server/services/results/describe-item";
import { registerCommunityBenchmarks } from "@/server/services/benchmarks/community/load-community-benchmarks";

export function isTaskPublished(task: { status: string; finishedAt: Date | null }): boolean {
  return task.status === "ACCEPTED" || task.status === "FAILED" || (task.status === "DISPUTED" && task.finishedAt !== null);
}

export async function getResultOrThrow(options: { db: Db; resultId: string }) {
  const result = await options.db.result.findUnique({
    where: { id: options.resultId },
    select: {
      id: true,
      records: true,
      score: true,
      primaryScore: true,
      verdict: true,
      outputsSha256: true,
      engineName: true,
      engineVersion: true,
      imageDigest: true,
      gpu: true,
      runtimeSeconds: true,
      signedAt: true,
      createdAt: true,
      runner: { select: { name: true, owner: { select: { name: true } } } },
      task: {
        select: {
          id: true,
          epoch: true,
          status: true,
          finishedAt: true,
          acceptedResultId: true,
          benchmarkId: true,
          model: { select: { id: true, repo: true, revision: true } },
        },
      },
    },
  });
  if (!result) throw new AppError("NOT_FOUND", "This result was not found.");
  if (!isTaskPublished(result.task)) {
    throw new AppError(
      "NOT_ALLOWED",
      "Per-item outputs are published once the task is decided, so that runners cannot copy each other's answers.",
    );
  }
  await registerCommunityBenchmarks(options.db);
  const definition = getBenchmark(result.task.benchmarkId);
  const records = result.records as unknown as ItemRecord[];
  return {
    id: result.id,
    verdict: result.verdict,
    isAccepted: result.task.acceptedResultId === result.id,
    score: result.score as Record<string, number>,
    primaryScore: result.primaryScore,
    outputsSha256: result.outputsSha256,
    engine: { name: result.engineName, version: result.engineVersion, imageDigest: result.imageDigest },
    gpu: result.gpu,
    runtimeSeconds: result.runtimeSeconds,
    signedAt: result.signedAt,
    runner: { name: result.runner.name, owner: result.runner.owner.name },
    task: { id: result.task.id, epoch: result.task.epoch, status: result.task.status, model: result.task.model },
    benchmark: {
      id: definition.key,
      name: definition.name,
      primaryMetric: definition.primaryMetric,
      metrics: definition.metrics.map((metric) => metric.name),
    },
    items: records.map((record) => ({
      item: record.item,
      promptSha256: record.promptSha256,
      output: record.output ?? null,
      loglikelihoods: record.loglikelihoods ?? null,
      extracted: record.extracted,
      scores: record.scores,
      /** Shown, never compared: why a program failed (humaneval), the justifications (claim_verdict_gen). */
      detail: record.detail ?? null,
      /** The item's token count as the runner's engine reported it: information, never used to score. */
      tokens: typeof record.tokens === "number" ? record.tokens : null,
      ...describeItem(definition, record.item),
    })),
  };
}
