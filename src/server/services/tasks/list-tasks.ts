import type { Db } from "@/server/db";

type Status = "QUEUED" | "RUNNING" | "VALIDATING" | "ACCEPTED" | "DISPUTED" | "FAILED";

/** The queue as users see it: what is waiting, who is working on what and for how long, and why anything stopped. */
export async function listTasks(options: { db: Db; now: Date; status?: Status; limit?: number }) {
  const tasks = await options.db.task.findMany({
    where: options.status ? { status: options.status } : { status: { not: "ACCEPTED" } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: options.limit ?? 200,
    select: {
      id: true,
      epoch: true,
      status: true,
      reason: true,
      targetResults: true,
      quorum: true,
      maxResults: true,
      createdAt: true,
      updatedAt: true,
      acceptedScore: true,
      benchmark: { select: { id: true, name: true } },
      model: { select: { id: true, repo: true, revision: true } },
      assignments: {
        where: { status: "ACTIVE" },
        select: { createdAt: true, leaseExpiresAt: true, lastHeartbeatAt: true, runner: { select: { name: true } } },
      },
      _count: { select: { results: true } },
    },
  });
  return tasks.map((task) => ({
    id: task.id,
    epoch: task.epoch,
    status: task.status,
    reason: task.reason,
    model: task.model,
    benchmark: task.benchmark,
    results: task._count.results,
    targetResults: task.targetResults,
    maxResults: task.maxResults,
    acceptedScore: task.acceptedScore,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    activeRunners: task.assignments.map((assignment) => ({
      runner: assignment.runner.name,
      claimedAt: assignment.createdAt,
      leaseExpiresAt: assignment.leaseExpiresAt,
      lastHeartbeatAt: assignment.lastHeartbeatAt,
      leaseAgeSeconds: Math.round((options.now.getTime() - assignment.createdAt.getTime()) / 1000),
    })),
  }));
}
