/**
 * Writing runners' reliability records after verdicts, inside the deciding transaction: counters, the owners each
 * runner agreed with, suspension and the established flag (the rules are in reliability.ts).
 */
import type { Prisma } from "@/generated/prisma/client";
import {
  AGREED_OWNERS_KEPT,
  RECENT_WINDOW,
  isEstablished,
  suspensionOf,
  type TrustSettings,
} from "@/server/services/trust/reliability";

type Tx = Prisma.TransactionClient;

/** Whether any established runner, neither paused nor suspended, is in the pool. */
export async function poolHasEstablished(tx: Tx, now: Date): Promise<boolean> {
  const found = await tx.runner.findFirst({
    where: { isEstablished: true, pausedAt: null, OR: [{ suspendedUntil: null }, { suspendedUntil: { lt: now } }] },
    select: { id: true },
  });
  return found !== null;
}

export interface JudgedResult {
  runnerId: string;
  ownerId: string;
}

/**
 * Verdicts of an accepted task: VALID runners gain a valid result and remember the other owners they agreed with;
 * INVALID ones lose their streak. Runners are locked in id order first (no deadlock with claims or other acceptances).
 */
export async function recordTaskVerdicts(
  tx: Tx,
  options: { valid: JudgedResult[]; invalid: JudgedResult[]; now: Date; trust: TrustSettings },
): Promise<void> {
  const { valid, invalid } = options;
  const runnerIds = [...new Set([...valid, ...invalid].map((r) => r.runnerId))];
  if (runnerIds.length === 0) return;
  await tx.$queryRaw`SELECT id FROM "Runner" WHERE id = ANY(${runnerIds}::text[]) ORDER BY id FOR NO KEY UPDATE`;
  for (const result of valid) {
    const others = [...new Set(valid.filter((r) => r.ownerId !== result.ownerId).map((r) => r.ownerId))];
    await tx.$executeRaw`
      UPDATE "Runner" SET "validCount" = "validCount" + 1, "consecutiveValid" = "consecutiveValid" + 1,
        "agreedOwnerIds" = (SELECT coalesce(array_agg(o), '{}') FROM (
          SELECT DISTINCT o FROM unnest(coalesce("agreedOwnerIds", '{}') || ${others}::text[]) AS o LIMIT ${AGREED_OWNERS_KEPT}) s)
      WHERE id = ${result.runnerId}`;
  }
  const invalidIds = invalid.map((r) => r.runnerId);
  if (invalidIds.length > 0) {
    await tx.runner.updateMany({
      where: { id: { in: invalidIds } },
      data: { invalidCount: { increment: 1 }, consecutiveValid: 0 },
    });
  }
  for (const runnerId of runnerIds) await refreshStanding(tx, runnerId, options.now, options.trust);
}

/** A spot check's verdict: passing earns nothing (the canonical outputs are public); failing counts as invalid. */
export async function recordSpotCheck(
  tx: Tx,
  options: { runnerId: string; passed: boolean; now: Date; trust: TrustSettings },
): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Runner" WHERE id = ${options.runnerId} FOR NO KEY UPDATE`;
  await tx.runner.update({
    where: { id: options.runnerId },
    data: options.passed
      ? { spotChecksPassed: { increment: 1 } }
      : { spotChecksFailed: { increment: 1 }, invalidCount: { increment: 1 }, consecutiveValid: 0 },
  });
  await refreshStanding(tx, options.runnerId, options.now, options.trust);
}

/** Recomputes suspension and the established flag from the runner's counters and its recent decided results. */
export async function refreshStanding(tx: Tx, runnerId: string, now: Date, trust: TrustSettings): Promise<void> {
  const runner = await tx.runner.findUniqueOrThrow({ where: { id: runnerId } });
  const recent = await tx.result.findMany({
    where: { runnerId, verdict: { not: "PENDING" } },
    select: { verdict: true },
    orderBy: { createdAt: "desc" },
    take: RECENT_WINDOW,
  });
  const verdicts = recent.map((r) => r.verdict as "VALID" | "INVALID");
  const isAlreadySuspended = runner.suspendedUntil !== null && runner.suspendedUntil > now;
  const suspension = isAlreadySuspended ? null : suspensionOf(verdicts, now);
  const isSuspended = isAlreadySuspended || suspension !== null;
  const established = isEstablished(
    {
      validCount: runner.validCount,
      recentVerdicts: verdicts,
      agreedOwners: runner.agreedOwnerIds.length,
      isPaused: runner.pausedAt !== null,
    },
    trust,
    isSuspended,
  );
  await tx.runner.update({
    where: { id: runnerId },
    data: {
      isEstablished: established,
      ...(suspension ? { suspendedUntil: suspension.until, suspensionReason: suspension.reason } : {}),
    },
  });
}
