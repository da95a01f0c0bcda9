/**
 * Probation of a community benchmark: after each decision on one of its canary tasks (accepted, disputed, failed,
 * or a runner's failure report), the benchmark is reviewed inside the same transaction:
 * - every canary task ACCEPTED by consensus: the benchmark becomes ACTIVE and its Benchmark row active, so the
 *   scheduler gives it to every model from the next run on and the board shows it;
 * - a canary task DISPUTED or FAILED, or a runner that could not evaluate one (an unreachable dataset, bytes that
 *   no longer hash to the pinned sha256): it stays in PROBATION with that reason, shown on the benchmarks page.
 * A no-op for tasks of benchmarks that are not community benchmarks in probation.
 */
import type { Prisma } from "@/generated/prisma/client";
import { publishEvents } from "@/server/services/events/publish-event";

export async function reviewProbation(tx: Prisma.TransactionClient, taskId: string, now: Date): Promise<void> {
  const task = await tx.task.findUnique({ where: { id: taskId }, select: { benchmarkId: true } });
  if (!task) return;
  const community = await tx.communityBenchmark.findUnique({
    where: { id: task.benchmarkId },
    select: { id: true, status: true, canaryTaskIds: true },
  });
  if (!community || community.status !== "PROBATION" || !community.canaryTaskIds.includes(taskId)) return;
  const canaries = await tx.task.findMany({
    where: { id: { in: community.canaryTaskIds } },
    select: { id: true, status: true, reason: true, model: { select: { repo: true } } },
    orderBy: { id: "asc" },
  });
  if (canaries.length > 0 && canaries.every((canary) => canary.status === "ACCEPTED")) {
    await tx.communityBenchmark.update({ where: { id: community.id }, data: { status: "ACTIVE", reason: null, decidedAt: now } });
    await tx.benchmark.update({ where: { id: community.id }, data: { isActive: true } });
    await publishEvents(tx, [{ kind: "task.accepted", taskId, modelId: null, payload: { benchmark: community.id, probation: "passed" } }]);
    return;
  }
  const bad = canaries.find((canary) => canary.status === "DISPUTED" || canary.status === "FAILED");
  let reason: string | null = null;
  if (bad) {
    reason = `The canary task on ${bad.model.repo} was ${bad.status.toLowerCase()}${bad.reason ? `: ${bad.reason}` : ""}`;
  } else {
    const failure = await tx.assignment.findFirst({
      where: { taskId: { in: community.canaryTaskIds }, status: "FAILED", failureReason: { not: null } },
      orderBy: { finishedAt: "desc" },
      select: { failureReason: true, task: { select: { model: { select: { repo: true } } } } },
    });
    if (failure) reason = `A runner could not evaluate the canary task on ${failure.task.model.repo}: ${failure.failureReason}`;
  }
  if (reason !== null) {
    await tx.communityBenchmark.update({ where: { id: community.id }, data: { reason: reason.slice(0, 1000) } });
  }
}
