/**
 * Writes decided evaluations straight into the database, for tests and benches of what is computed from them
 * (competitions, comparisons, traces): a model, and per epoch an ACCEPTED task with one VALID canonical result whose
 * records the benchmark module scored (the same records a real submission stores). The submission path itself is
 * tested elsewhere (task-lifecycle.test.ts); this skips it so that tests can set up many epochs quickly.
 */
import type { Prisma } from "@/generated/prisma/client";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { scoreOutputs } from "@/lib/benchmarks/score-outputs";
import type { Db } from "@/server/db";
import { updateLeaderboardRow } from "@/server/services/leaderboard/update-leaderboard-row";
import { goldOutputs } from "@/test/gold-outputs";

let counter = 0;

export async function createModelRow(
  db: Db,
  submitterId: string,
  repo: string,
  options: { createdAt?: Date; parameterCount?: number; weightsConfig?: Record<string, unknown> } = {},
): Promise<string> {
  const model = await db.model.create({
    data: {
      repo,
      revision: (++counter).toString(16).padStart(40, "c"),
      submitterId,
      createdAt: options.createdAt,
      parameterCount: options.parameterCount === undefined ? undefined : BigInt(options.parameterCount),
      weightsConfig: options.weightsConfig as Prisma.InputJsonValue | undefined,
    },
  });
  return model.id;
}

/** Items epoch `epoch` uses in these tests: the same for every model (as the sampler guarantees). */
export function itemsOf(benchmarkKey: string, epoch: number, perTask = 5): string[] {
  const all = getBenchmark(benchmarkKey).allItemIds();
  return Array.from({ length: perTask }, (_, i) => all[(epoch * perTask + i) % all.length]!);
}

/** An accepted task for `modelId` on `benchmarkKey` in `epoch`, answering right where `correct(i)`. */
export async function createAcceptedTask(
  db: Db,
  options: { modelId: string; benchmarkKey: string; epoch: number; runnerId: string; correct: (i: number) => boolean; perTask?: number },
): Promise<string> {
  const itemIds = itemsOf(options.benchmarkKey, options.epoch, options.perTask);
  const definition = getBenchmark(options.benchmarkKey);
  const scored = scoreOutputs(definition, itemIds, goldOutputs(options.benchmarkKey, itemIds, (_, i) => options.correct(i)));
  const primary = scored.metrics[definition.primaryMetric]!;
  const runner = await db.runner.findUniqueOrThrow({ where: { id: options.runnerId } });
  const task = await db.task.create({
    data: {
      modelId: options.modelId,
      benchmarkId: options.benchmarkKey,
      epoch: options.epoch,
      itemIds,
      status: "ACCEPTED",
      quorum: 3,
      targetResults: 3,
      maxResults: 7,
      minAgreement: 0.8,
      acceptedScore: primary,
      itemAgreement: 1,
      finishedAt: new Date(),
    },
  });
  const assignment = await db.assignment.create({
    data: {
      taskId: task.id,
      runnerId: runner.id,
      ownerId: runner.ownerId,
      claimTokenHash: `seed-${task.id}`,
      status: "SUBMITTED",
      leaseExpiresAt: new Date(),
    },
  });
  const result = await db.result.create({
    data: {
      assignmentId: assignment.id,
      taskId: task.id,
      runnerId: runner.id,
      records: scored.records as unknown as Prisma.InputJsonValue,
      outputsSha256: scored.outputsSha256,
      claimedScore: scored.metrics,
      score: scored.metrics,
      primaryScore: primary,
      engineName: "test-double",
      engineVersion: "1",
      imageDigest: "sha256:test",
      runtimeSeconds: 1,
      signature: "seed",
      signedAt: new Date(),
      verdict: "VALID",
    },
  });
  await db.task.update({ where: { id: task.id }, data: { acceptedResultId: result.id } });
  await db.$transaction((tx) => updateLeaderboardRow(tx, { modelId: options.modelId, benchmarkId: options.benchmarkKey, acceptedResultId: result.id }));
  await db.event.create({ data: { kind: "task.accepted", taskId: task.id, modelId: options.modelId, payload: {} } });
  return task.id;
}
