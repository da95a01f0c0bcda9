/**
 * A claim's life after it is handed out: heartbeats extend the lease; the runner may release it (shutdown) or
 * report a failure; the reaper expires leases whose runner went silent. Every path frees the slot for another
 * runner and records why, so no task ever sits "running" forever.
 */
import type { Prisma } from "@/generated/prisma/client";
import type { Db } from "@/server/db";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";
import { AppError } from "@/server/errors";
import { publishEvents } from "@/server/services/events/publish-event";
import { hashClaimToken } from "@/server/services/tasks/claim-token";

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
}): Promise<{ leaseExpiresAt: Date }> {
  const { db, now } = options;
  const assignment = await findActiveAssignment(db, options.claimToken, options.actorUserId, now);
  const leaseExpiresAt = new Date(now.getTime() + options.leaseMinutes * 60_000);
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
        failureReason: options.reason,
        finishedAt: now,
      },
    });
    if (updated.count === 0) return;
    await freeSlot(tx, assignment.taskId, assignment.ownerId);
    await publishEvents(tx, [
      {
        kind: options.kind === "failed" ? "task.failed" : "task.released",
        taskId: assignment.taskId,
        payload: { runnerId: assignment.runnerId, reason: options.reason },
      },
    ]);
    await settleTaskAfterLoss(tx, assignment.taskId, now);
  }, TRANSACTION_OPTIONS);
}

/** Expires every lease past its expiry. Returns how many were expired. */
export async function reapExpiredLeases(options: { db: Db; now: Date }): Promise<number> {
  const { db, now } = options;
  const expired = await db.assignment.findMany({
    where: { status: "ACTIVE", leaseExpiresAt: { lt: now } },
    select: { id: true, taskId: true, runnerId: true, ownerId: true, leaseExpiresAt: true, lastHeartbeatAt: true, createdAt: true },
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
      await freeSlot(tx, assignment.taskId, assignment.ownerId);
      await publishEvents(tx, [
        { kind: "task.expired", taskId: assignment.taskId, payload: { runnerId: assignment.runnerId, reason } },
      ]);
      await settleTaskAfterLoss(tx, assignment.taskId, now);
    }, TRANSACTION_OPTIONS);
  }
  return count;
}

/** Gives the owner's slot on the task back (an owner holds at most one slot per task). */
async function freeSlot(tx: Prisma.TransactionClient, taskId: string, ownerId: string): Promise<void> {
  await tx.$executeRaw`UPDATE "Task" SET "holderOwners" = array_remove("holderOwners", ${ownerId}), "isFull" = false WHERE id = ${taskId}`;
}

/**
 * After a slot is freed: a task with nothing in flight goes back to QUEUED; one that collected failure reports
 * from FAILURES_TO_FAIL_TASK distinct owners (the model itself cannot be evaluated) becomes FAILED with their reasons.
 */
async function settleTaskAfterLoss(tx: Prisma.TransactionClient, taskId: string, now: Date): Promise<void> {
  const task = await tx.task.findUniqueOrThrow({ where: { id: taskId } });
  if (task.status === "ACCEPTED" || task.status === "FAILED") return;
  const failures = await tx.assignment.findMany({
    where: { taskId, status: "FAILED" },
    select: { ownerId: true, failureReason: true },
    orderBy: { finishedAt: "desc" },
  });
  const owners = new Set(failures.map((failure) => failure.ownerId));
  if (owners.size >= FAILURES_TO_FAIL_TASK) {
    const reasons = [...new Set(failures.map((failure) => failure.failureReason ?? "no reason given"))].slice(0, 3);
    await tx.task.update({
      where: { id: taskId },
      data: {
        status: "FAILED",
        finishedAt: now,
        reason: `${owners.size} runners of different volunteers could not evaluate this task: ${reasons.join("; ")}`,
      },
    });
    return;
  }
  if (task.holderOwners.length === 0 && task.status !== "DISPUTED") {
    await tx.task.update({ where: { id: taskId }, data: { status: "QUEUED" } });
  }
}
