import type { Db } from "@/server/db";

/** Volunteers' runners ranked by valid evaluations, with trust (consecutive valid results) and last contact. */
export async function listRunners(options: { db: Db; now: Date; epochMinutes: number; ownerId?: string }) {
  const runners = await options.db.runner.findMany({
    where: options.ownerId ? { ownerId: options.ownerId } : undefined,
    select: {
      id: true,
      name: true,
      gpu: true,
      lastSeenAt: true,
      validCount: true,
      invalidCount: true,
      consecutiveValid: true,
      createdAt: true,
      owner: { select: { name: true } },
      _count: { select: { assignments: { where: { status: "ACTIVE" } } } },
    },
    orderBy: [{ validCount: "desc" }, { consecutiveValid: "desc" }, { createdAt: "asc" }],
    take: 500,
  });
  return runners.map((runner) => ({
    id: runner.id,
    name: runner.name,
    owner: runner.owner.name,
    gpu: runner.gpu,
    lastSeenAt: runner.lastSeenAt,
    validCount: runner.validCount,
    invalidCount: runner.invalidCount,
    consecutiveValid: runner.consecutiveValid,
    activeTasks: runner._count.assignments,
    isOnline: !!runner.lastSeenAt && options.now.getTime() - runner.lastSeenAt.getTime() < 10 * 60_000,
  }));
}
