/**
 * Plans each model's depth for one benchmark and epoch (src/lib/scheduling/adaptive-depth.ts decides; this reads
 * the board's intervals and the previous plans, and stores the new ones with their reasons). A plan is made once per
 * epoch: the scheduler's later runs in the same epoch reuse it.
 */
import type { Prisma } from "@/generated/prisma/client";
import { planDepth, type DepthDecision, type DepthSettings } from "@/lib/scheduling/adaptive-depth";

export async function planBenchmarkDepth(
  tx: Prisma.TransactionClient,
  options: { benchmarkId: string; epoch: number; settings: DepthSettings; modelIds?: string[] },
): Promise<Map<string, DepthDecision>> {
  const { benchmarkId, epoch, settings } = options;
  const rows = await tx.$queryRaw<
    { modelId: string; mean: number | null; lo: number | null; hi: number | null; planEpoch: number | null; items: number | null;
      reason: string | null; settledEpochs: number | null; isSkipped: boolean | null }[]
  >`
    SELECT m.id AS "modelId", l.mean, l.lo, l.hi, p.epoch AS "planEpoch", p.items, p.reason, p."settledEpochs", p."isSkipped"
    FROM "Model" m
    LEFT JOIN "LeaderboardRow" l ON l."modelId" = m.id AND l."benchmarkId" = ${benchmarkId}
    LEFT JOIN "DepthPlan" p ON p."modelId" = m.id AND p."benchmarkId" = ${benchmarkId}
    WHERE m.status = 'ACTIVE'`;
  const decisions = planDepth(
    rows.map((row) => ({
      modelId: row.modelId,
      interval: row.mean === null ? null : { mean: row.mean, lo: row.lo!, hi: row.hi! },
      // A plan already made this epoch is reused below; this only matters for new plans.
      settledEpochs: row.planEpoch === epoch ? Math.max(0, (row.settledEpochs ?? 1) - 1) : (row.settledEpochs ?? 0),
    })),
    settings,
    epoch,
  );
  const wanted = options.modelIds ? new Set(options.modelIds) : null;
  const existing = new Map(rows.map((row) => [row.modelId, row]));
  const result = new Map<string, DepthDecision>();
  const fresh: DepthDecision[] = [];
  for (const decision of decisions) {
    if (wanted && !wanted.has(decision.modelId)) continue;
    const row = existing.get(decision.modelId)!;
    if (row.planEpoch === epoch && row.items !== null) {
      result.set(decision.modelId, {
        modelId: decision.modelId,
        items: row.items,
        reason: row.reason!,
        settledEpochs: row.settledEpochs!,
        isSkipped: row.isSkipped!,
      });
    } else {
      result.set(decision.modelId, decision);
      fresh.push(decision);
    }
  }
  if (fresh.length > 0) {
    await tx.$executeRaw`
      INSERT INTO "DepthPlan" ("modelId", "benchmarkId", items, reason, "settledEpochs", "isSkipped", epoch, "updatedAt")
      SELECT u."modelId", ${benchmarkId}, u.items, u.reason, u.settled, u.skipped, ${epoch}, now()
      FROM unnest(${fresh.map((d) => d.modelId)}::text[], ${fresh.map((d) => d.items)}::int[], ${fresh.map((d) => d.reason)}::text[],
                  ${fresh.map((d) => d.settledEpochs)}::int[], ${fresh.map((d) => d.isSkipped)}::boolean[])
        AS u("modelId", items, reason, settled, skipped)
      ON CONFLICT ("modelId", "benchmarkId") DO UPDATE
        SET items = EXCLUDED.items, reason = EXCLUDED.reason, "settledEpochs" = EXCLUDED."settledEpochs",
            "isSkipped" = EXCLUDED."isSkipped", epoch = EXCLUDED.epoch, "updatedAt" = now()`;
  }
  return result;
}
