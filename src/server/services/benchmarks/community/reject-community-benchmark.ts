/**
 * An admin rejects a community benchmark (in probation, or active and found wanting): its status becomes REJECTED
 * with the admin's reason, its Benchmark row inactive (no new tasks, off the board), and its open tasks fail with
 * that reason. Nothing is deleted: decided tasks and their results stay as they were scored, and the definition
 * stays readable. A corrected definition is a new version.
 */
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { closeOpenAssignments } from "@/server/services/tasks/manage-claim";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";

export async function rejectCommunityBenchmark(options: {
  db: Db;
  actor: { id: string; role: "USER" | "ADMIN" };
  id: string;
  reason: string;
  now: Date;
}): Promise<{ id: string; status: "REJECTED"; closedTasks: number }> {
  const { db, now } = options;
  if (options.actor.role !== "ADMIN") throw new AppError("NOT_ALLOWED", "Only admins can reject a benchmark.");
  const stored = await db.communityBenchmark.findUnique({ where: { id: options.id }, select: { id: true, status: true } });
  if (!stored) throw new AppError("NOT_FOUND", `${options.id} is not a community benchmark.`, { field: "id" });
  if (stored.status === "REJECTED") throw new AppError("CONFLICT", `${options.id} is already rejected.`);
  const reason = `Rejected by an admin: ${options.reason}`;
  return db.$transaction(async (tx) => {
    await tx.communityBenchmark.update({ where: { id: stored.id }, data: { status: "REJECTED", reason, decidedAt: now } });
    await tx.benchmark.update({ where: { id: stored.id }, data: { isActive: false } });
    const open = await tx.task.findMany({ where: { benchmarkId: stored.id, finishedAt: null }, select: { id: true } });
    for (const task of open) {
      await tx.task.update({ where: { id: task.id }, data: { status: "FAILED", finishedAt: now, reason } });
      await closeOpenAssignments(tx, task.id, now);
    }
    return { id: stored.id, status: "REJECTED" as const, closedTasks: open.length };
  }, TRANSACTION_OPTIONS);
}
