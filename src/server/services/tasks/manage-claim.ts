/**
 * A claim's life after it is handed out: heartbeats extend the lease, never past the claim's maximum age; the runner
 * may release it (shutdown) or report a failure with its cause; the reaper expires leases whose runner went silent.
 * Every path frees the slot for another runner and records why, so no task ever sits "running" forever.
 *
 * Failures: a runner-side cause (its memory, disk, network, time) only frees the slot. A task is FAILED only when
 * runners of FAILURES_TO_FAIL_TASK distinct owners report a model-side cause — established runners whenever the
 * pool has any — and the reason shown is the server's summary of the causes, never a runner's own words.
 */
import type { Prisma } from "@/generated/prisma/client";
import { isModelSideCause, type TFailureCause } from "@/lib/protocol/runner-api";
import type { Db } from "@/server/db";
import { poolHasEstablished } from "@/server/services/trust/update-reliability";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";
import { AppError } from "@/server/errors";
import { publishEvents } from "@/server/services/events/publish-event";
import { hashClaimToken } from "@/server/services/tasks/claim-token";
import { reviewProbation } from "@/server/services/benchmarks/community/review-probation";

/** A task that collected this many failure reports from distinct owners is marked FAILED. */
export const FAILURES_TO_FAIL_TASK = 3;

async function findActiveAssignment(db: Db, claimToken: string, actorUserId: string, now: Date) {
  const assignment = await db.assignment.findUnique({ where: { claimTokenHash: hashClaimToken(claimToken) } });
  if (!assignment || assignment.ownerId !== actorUserId) {
    throw new AppError("CLAIM_NOT_FOUND", "This claim token is unknown or belongs to another account.");
  }
  if (assignment.status === "SUBMITTED") {
    throw new AppError("ALREADY_SUBMITTED", "The result for this claim was already submitted.");
  }
  if (assignment.status === "EXPIRED" || (assignment.status === "ACTIVE" && assignment.leaseExpiresAt <= now)) {
    throw new AppError(
      "LEASE_EXPIRED",
      "This claim's lease expired and the task was offered to other runners. Claim a new task.",
    );
  }
  if (assignment.status !== "ACTIVE") {
    throw new AppError("CLAIM_NOT_FOUND", `This claim was already ${assignment.status.toLowerCase()}.`);
  }
  return assignment;
}

export async function heartbeatClaim(options: {
  db: Db;
  actorUserId: string;
  claimToken: string;
  now: Date;
  leaseMinutes: number;
  /** A claim's lease never reaches past its creation plus this. */
  maxLeaseMinutes: number;
}): Promise<{ leaseExpiresAt: Date }> {
  const { db, now } = options;
  const assignment = await findActiveAssignment(db, options.claimToken, options.actorUserId, now);
  const maxExpiry = new Date(assignment.createdAt.getTime() + options.maxLeaseMinutes * 60_000);
  const leaseExpiresAt = new Date(Math.min(now.getTime() + options.leaseMinutes * 60_000, maxExpiry.getTime()));
  if (leaseExpiresAt <= now) {
    throw new AppError(
      "LEASE_EXPIRED",
      `This claim reached its maximum age of ${options.maxLeaseMinutes} minutes and cannot be extended; the task goes ` +
        `to other runners. If evaluations on this machine take that long, it is too slow for this model.`,
    );
  }
  const updated = await db.assignment.updateMany({
    where: { id: assignment.id, status: "ACTIVE" },
    data: { leaseExpiresAt, lastHeartbeatAt: now, heartbeats: { increment: 1 } },
  });
  if (updated.count === 0) throw new AppError("LEASE_EXPIRED", "This claim's lease expired. Claim a new task.");
  await db.runner.update({ where: { id: assignment.runnerId }, data: { lastSeenAt: now } });
  return { leaseExpiresAt };
}

export async function releaseClaim(options: {
  db: Db;
  actorUserId: string;
  claimToken: string;
  kind: "released" | "failed";
  cause: TFailureCause;
  reason: string;
  now: Date;
}): Promise<void> {
  const { db, now } = options;
  const assignment = await findActiveAssignment(db, options.claimToken, options.actorUserId, now);
  await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Task" WHERE id = ${assignment.taskId} FOR UPDATE`;
    const updated = await tx.assignment.updateMany({
      where: { id: assignment.id, status: "ACTIVE" },
      data: {
        status: options.kind === "failed" ? "FAILED" : "RELEASED",
        failureCause: options.kind === "failed" ? options.cause : null,
        failureReason: options.reason,
        finishedAt: now,
      },
    });
    if (updated.count === 0) return;
    if (!assignment.isSpotCheck) await freeSlot(tx, assignment.taskId, assignment.ownerId, assignment.isEstablished);
    // The public event carries the cause only: a runner's own words are shown to its owner and admins alone.
    await publishEvents(tx, [
      {
        kind: "task.released",
        taskId: assignment.taskId,
        payload: { runnerId: assignment.runnerId, cause: options.kind === "failed" ? options.cause : "released" },
      },
    ]);
    if (assignment.isSpotCheck) return;
    await settleTaskAfterLoss(tx, assignment.taskId, now);
  }, TRANSACTION_OPTIONS);
}

/** Expires every lease past its expiry. Returns how many were expired. */
export async function reapExpiredLeases(options: { db: Db; now: Date }): Promise<number> {
  const { db, now } = options;
  const expired = await db.assignment.findMany({
    where: { status: "ACTIVE", leaseExpiresAt: { lt: now } },
    select: {
      id: true,
      taskId: true,
      runnerId: true,
      ownerId: true,
      leaseExpiresAt: true,
      lastHeartbeatAt: true,
      createdAt: true,
      isEstablished: true,
      isSpotCheck: true,
    },
    take: 500,
  });
  let count = 0;
  for (const assignment of expired) {
    await db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "Task" WHERE id = ${assignment.taskId} FOR UPDATE`;
      const lastSign = assignment.lastHeartbeatAt ?? assignment.createdAt;
      const reason = `lease expired at ${assignment.leaseExpiresAt.toISOString()}: no heartbeat since ${lastSign.toISOString()}`;
      const updated = await tx.assignment.updateMany({
        where: { id: assignment.id, status: "ACTIVE", leaseExpiresAt: { lt: now } },
        data: { status: "EXPIRED", failureReason: reason, finishedAt: now },
      });
      if (updated.count === 0) return;
      count++;
      if (assignment.isSpotCheck) return;
      await freeSlot(tx, assignment.taskId, assignment.ownerId, assignment.isEstablished);
      await publishEvents(tx, [
        { kind: "task.expired", taskId: assignment.taskId, payload: { runnerId: assignment.runnerId, reason } },
      ]);
      await settleTaskAfterLoss(tx, assignment.taskId, now);
    }, TRANSACTION_OPTIONS);
  }
  return count;
}

/** Gives the owner's slot on the task back (an owner holds at most one slot per task). */
async function freeSlot(tx: Prisma.TransactionClient, taskId: string, ownerId: string, isEstablished: boolean): Promise<void> {
  await tx.$executeRaw`
    UPDATE "Task" SET "holderOwners" = array_remove("holderOwners", ${ownerId}), "isFull" = false,
      "establishedHolders" = greatest(0, "establishedHolders" - ${isEstablished ? 1 : 0})
    WHERE id = ${taskId}`;
}

const CAUSE_WORDS: Record<string, string> = {
  no_weights: "no loadable weights",
  unsupported_architecture: "unsupported architecture",
  model_crash: "the model crashed the engine",
};

/**
 * After a slot is freed: a task with nothing in flight goes back to QUEUED; one whose model-side failure reports
 * come from FAILURES_TO_FAIL_TASK distinct owners (of established runners, when the pool has any) becomes FAILED
 * with the server's summary of the causes.
 */
async function settleTaskAfterLoss(tx: Prisma.TransactionClient, taskId: string, now: Date): Promise<void> {
  await settleTaskAfterLossOf(tx, taskId, now);
  // A community benchmark's canary task: its failure (or a runner's report of one) is the probation's reason.
  await reviewProbation(tx, taskId, now);
}

async function settleTaskAfterLossOf(tx: Prisma.TransactionClient, taskId: string, now: Date): Promise<void> {
  const task = await tx.task.findUniqueOrThrow({ where: { id: taskId } });
  if (task.finishedAt !== null) return;
  const failures = await tx.assignment.findMany({
    where: { taskId, status: "FAILED", isSpotCheck: false },
    select: { ownerId: true, failureCause: true, isEstablished: true },
  });
  const requireEstablished = await poolHasEstablished(tx, now);
  const counted = failures.filter(
    (failure) =>
      failure.failureCause !== null &&
      isModelSideCause(failure.failureCause as TFailureCause) &&
      (!requireEstablished || failure.isEstablished),
  );
  const owners = new Set(counted.map((failure) => failure.ownerId));
  if (owners.size >= FAILURES_TO_FAIL_TASK) {
    const byCause = new Map<string, number>();
    for (const failure of counted) byCause.set(failure.failureCause!, (byCause.get(failure.failureCause!) ?? 0) + 1);
    const summary = [...byCause].map(([cause, n]) => `${CAUSE_WORDS[cause] ?? cause} (${n})`).join(", ");
    const reason =
      `${owners.size} ${requireEstablished ? "established " : ""}runners of different volunteers could not evaluate ` +
      `this model: ${summary}.`;
    await tx.task.update({ where: { id: taskId }, data: { status: "FAILED", finishedAt: now, reason } });
    await closeOpenAssignments(tx, taskId, now);
    await publishEvents(tx, [{ kind: "task.failed", taskId, modelId: task.modelId, payload: { reason, isFinal: true } }]);
    return;
  }
  if (task.holderOwners.length === 0 && task.status !== "DISPUTED") {
    await tx.task.update({ where: { id: taskId }, data: { status: "QUEUED" } });
  }
}

/**
 * Once a task is decided, claims still running on it are released: their results could no longer change anything,
 * and a heartbeat then tells the runner to stop.
 */
export async function closeOpenAssignments(tx: Prisma.TransactionClient, taskId: string, now: Date): Promise<void> {
  await tx.assignment.updateMany({
    where: { taskId, status: "ACTIVE", isSpotCheck: false },
    data: { status: "RELEASED", failureReason: "the task was decided before this result arrived", finishedAt: now },
  });
}
