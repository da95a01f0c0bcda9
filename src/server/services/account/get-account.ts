/**
 * The account page in one read: the caller's earn-your-submit status, their runners and their models with the
 * state of each model's tasks. API tokens are listed by the token service.
 */
import type { Db } from "@/server/db";
import { listRunners } from "@/server/services/runners/list-runners";
import { getSubmitQuota } from "@/server/services/models/submit-quota";

type TaskStatus = "QUEUED" | "RUNNING" | "VALIDATING" | "ACCEPTED" | "DISPUTED" | "FAILED";

export async function getAccount(options: {
  db: Db;
  actor: { id: string; name: string; role: "USER" | "ADMIN" };
  now: Date;
  normRequired: number;
  normWindowHours: number;
  epochMinutes: number;
}) {
  const { db, actor, now } = options;
  const [quota, runners, models] = await Promise.all([
    getSubmitQuota({
      db,
      userId: actor.id,
      role: actor.role,
      now,
      required: options.normRequired,
      windowHours: options.normWindowHours,
    }),
    listRunners({ db, now, epochMinutes: options.epochMinutes, ownerId: actor.id }),
    db.model.findMany({
      where: { submitterId: actor.id },
      select: {
        id: true,
        repo: true,
        revision: true,
        weightType: true,
        precision: true,
        status: true,
        statusReason: true,
        createdAt: true,
        _count: { select: { leaderboard: true } },
      },
      orderBy: { createdAt: "desc" },
      take: 500,
    }),
  ]);
  const counts = await db.task.groupBy({
    by: ["modelId", "status"],
    where: { modelId: { in: models.map((model) => model.id) } },
    _count: { _all: true },
  });
  const tasksOf = new Map<string, Record<TaskStatus, number>>();
  for (const count of counts) {
    const entry = tasksOf.get(count.modelId) ?? { QUEUED: 0, RUNNING: 0, VALIDATING: 0, ACCEPTED: 0, DISPUTED: 0, FAILED: 0 };
    entry[count.status] += count._count._all;
    tasksOf.set(count.modelId, entry);
  }
  return {
    user: { id: actor.id, name: actor.name, role: actor.role },
    quota,
    runners,
    models: models.map(({ _count, ...model }) => ({
      ...model,
      hasScore: _count.leaderboard > 0,
      tasks: tasksOf.get(model.id) ?? { QUEUED: 0, RUNNING: 0, VALIDATING: 0, ACCEPTED: 0, DISPUTED: 0, FAILED: 0 },
    })),
  };
}
