/**
 * Retrying a community benchmark's canaries: a canary task that was disputed or failed (a flaky runner, a dataset
 * host that was down) would otherwise keep the benchmark in probation for good, and an identical definition cannot
 * be submitted again. The benchmark's creator or an admin may ask for fresh canary tasks on the same reference
 * models; accepted canaries stay as they are, and the review (review-probation.ts) decides again as the new ones
 * are decided.
 *
 * Limits, since every retry costs volunteers' compute: only in probation; only once every open canary is decided
 * and at least one failed or was disputed; the new tasks sample the current epoch's items, so a retry waits for an
 * epoch after the failed canaries' (items are never drawn from a future epoch's seed); at most MAX_CANARY_RETRIES
 * per version.
 */
import type { Prisma } from "@/generated/prisma/client";
import { buildCommunityBenchmark } from "@/lib/benchmarks/community/families";
import type { TCommunityBenchmark } from "@/lib/benchmarks/community/definition";
import { sampleItems } from "@/lib/benchmarks/sampling";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { publishEvents } from "@/server/services/events/publish-event";
import { ensureEpochSeeds } from "@/server/services/tasks/epoch-seeds";
import { closeOpenAssignments } from "@/server/services/tasks/manage-claim";
import { epochOf } from "@/server/services/tasks/epochs";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";

/** Retries one version's canaries may have; past that, a corrected definition is a new version. */
export const MAX_CANARY_RETRIES = 3;

const OPEN = new Set(["QUEUED", "RUNNING", "VALIDATING"]);

export async function retryCanaries(options: {
  db: Db;
  actor: { id: string; role: "USER" | "ADMIN" };
  id: string;
  now: Date;
  epochMinutes: number;
}): Promise<{ id: string; canaryTaskIds: string[]; retries: number }> {
  const { db, actor, now } = options;
  const stored = await db.communityBenchmark.findUnique({ where: { id: options.id } });
  if (!stored) throw new AppError("NOT_FOUND", `${options.id} is not a community benchmark.`, { field: "id" });
  if (actor.role !== "ADMIN" && actor.id !== stored.createdById) {
    throw new AppError("NOT_ALLOWED", "Only the benchmark's creator or an admin can retry its canary tasks.");
  }
  if (stored.status !== "PROBATION") {
    throw new AppError("CONFLICT", `${stored.id} is ${stored.status.toLowerCase()}: only a benchmark in probation has canary tasks to retry.`);
  }
  if (stored.canaryRetries >= MAX_CANARY_RETRIES) {
    throw new AppError(
      "QUOTA",
      `${stored.id}'s canary tasks were retried ${stored.canaryRetries} times, the most one version may; submit a corrected definition as a new version.`,
    );
  }
  const canaries = await db.task.findMany({
    where: { id: { in: stored.canaryTaskIds } },
    select: { id: true, modelId: true, status: true, epoch: true, finishedAt: true },
    orderBy: { id: "asc" },
  });
  if (canaries.some((canary) => OPEN.has(canary.status))) {
    throw new AppError("CONFLICT", `${stored.id} still has canary tasks being evaluated; retry once they are decided.`);
  }
  const retried = canaries.filter((canary) => canary.status === "DISPUTED" || canary.status === "FAILED");
  if (retried.length === 0) throw new AppError("CONFLICT", `No canary task of ${stored.id} failed or was disputed: there is nothing to retry.`);
  const epoch = epochOf(now, options.epochMinutes);
  const latest = Math.max(...retried.map((canary) => canary.epoch));
  if (latest >= epoch) {
    const next = new Date((latest + 1) * options.epochMinutes * 60_000);
    throw new AppError(
      "CONFLICT",
      `A retry samples a new epoch's items; the failed canary tasks belong to the current epoch. Retry from ${next.toISOString()}.`,
    );
  }

  const storedDefinition = stored.definition as unknown as TCommunityBenchmark;
  const definition = buildCommunityBenchmark({ key: stored.id, version: String(stored.version), definition: storedDefinition, itemCount: stored.itemCount });
  const benchmark = await db.benchmark.findUniqueOrThrow({ where: { id: stored.id }, select: { quorum: true, maxResults: true, minAgreement: true } });
  return db.$transaction(async (tx: Prisma.TransactionClient) => {
    // Claimed first, conditionally: of two retries at once, one goes ahead and the other is told so.
    const claimed = await tx.communityBenchmark.updateMany({
      where: { id: stored.id, status: "PROBATION", canaryRetries: stored.canaryRetries },
      data: { canaryRetries: { increment: 1 }, reason: null },
    });
    if (claimed.count === 0) throw new AppError("CONFLICT", `${stored.id} changed meanwhile (another retry, a decision); reload and try again.`);
    const seed = await ensureEpochSeeds(tx, epoch);
    const itemIds = sampleItems(definition, seed, storedDefinition.itemsPerTask);
    const replaced = new Set(retried.map((canary) => canary.id));
    // A disputed task may still be collecting results: as it no longer decides anything, it stops taking them.
    for (const canary of retried.filter((task) => task.finishedAt === null)) {
      await tx.task.update({ where: { id: canary.id }, data: { status: "FAILED", finishedAt: now, reason: "replaced by a retry of the canary tasks" } });
      await closeOpenAssignments(tx, canary.id, now);
    }
    const fresh: string[] = [];
    for (const canary of retried) {
      const task = await tx.task.create({
        data: {
          modelId: canary.modelId,
          benchmarkId: stored.id,
          epoch,
          itemIds,
          quorum: benchmark.quorum,
          targetResults: benchmark.quorum,
          maxResults: benchmark.maxResults,
          minAgreement: benchmark.minAgreement,
          createdAt: now,
        },
        select: { id: true },
      });
      fresh.push(task.id);
    }
    const canaryTaskIds = [...stored.canaryTaskIds.filter((id) => !replaced.has(id)), ...fresh];
    await tx.communityBenchmark.update({ where: { id: stored.id }, data: { canaryTaskIds } });
    const retries = stored.canaryRetries + 1;
    await publishEvents(tx, [{ kind: "task.created", taskId: null, modelId: null, payload: { epoch, benchmark: stored.id, count: fresh.length, canaryRetry: retries } }]);
    return { id: stored.id, canaryTaskIds, retries };
  }, TRANSACTION_OPTIONS);
}
