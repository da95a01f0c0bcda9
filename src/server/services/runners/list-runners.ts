import type { Db } from "@/server/db";

/**
 * Volunteers' runners ranked by valid evaluations, with their reliability record (valid and invalid results, spot
 * checks, how many other volunteers they agreed with, whether they are established), any pause or suspension with
 * its reason, and last contact.
 */
export async function listRunners(options: { db: Db; now: Date; epochMinutes: number; ownerId?: string; runnerId?: string }) {
  const runners = await options.db.runner.findMany({
    where: { ...(options.ownerId ? { ownerId: options.ownerId } : {}), ...(options.runnerId ? { id: options.runnerId } : {}) },
    select: {
      id: true,
      name: true,
      gpu: true,
      lastSeenAt: true,
      validCount: true,
      invalidCount: true,
      consecutiveValid: true,
      spotChecksPassed: true,
      spotChecksFailed: true,
      agreedOwnerIds: true,
      isEstablished: true,
      pausedAt: true,
      pauseReason: true,
      suspendedUntil: true,
      suspensionReason: true,
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
    spotChecksPassed: runner.spotChecksPassed,
    spotChecksFailed: runner.spotChecksFailed,
    agreedOwners: runner.agreedOwnerIds.length,
    isEstablished: runner.isEstablished,
    pauseReason: runner.pausedAt ? (runner.pauseReason ?? "paused by an admin") : null,
    suspension:
      runner.suspendedUntil && runner.suspendedUntil > options.now
        ? { until: runner.suspendedUntil, reason: runner.suspensionReason ?? "" }
        : null,
    isOnline: !!runner.lastSeenAt && options.now.getTime() - runner.lastSeenAt.getTime() < 10 * 60_000,
  }));
}
