/**
 * The scheduler: each epoch, one task per active model x active benchmark, with the items the shared sampler
 * picks with the epoch's committed seed (the same items for every model, so scores of one epoch are comparable;
 * nobody can know them before the epoch starts: epoch-seeds.ts).
 *
 * - Idempotent: the unique (model, benchmark, epoch) constraint makes a second run a no-op.
 * - One scheduler acts at a time across app instances: a transaction-scoped PostgreSQL advisory lock.
 * - No backlog: a model x benchmark whose previous task was never claimed gets no new task until it is, so an idle
 *   community does not pile up thousands of stale tasks; the sampler simply moves on to later epochs' items.
 */
import { Prisma } from "@/generated/prisma/client";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { sampleItems } from "@/lib/benchmarks/sampling";
import type { Db } from "@/server/db";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";
import { publishEvents } from "@/server/services/events/publish-event";
import { ensureEpochSeeds } from "@/server/services/tasks/epoch-seeds";
import { planBenchmarkDepth } from "@/server/services/tasks/plan-depth";
import type { DepthSettings } from "@/lib/scheduling/adaptive-depth";
import { epochOf } from "@/server/services/tasks/epochs";
import { registerCommunityBenchmarks } from "@/server/services/benchmarks/community/load-community-benchmarks";

const SCHEDULER_LOCK = 0x71756f72; // "quor"
/** The context length assumed for a model whose config.json length is not known: the multiplier-1.0 tiers only. */
export const DEFAULT_CONTEXT_LENGTH = 32_768;

export interface ScheduleOptions {
  db: Db;
  now: Date;
  epochMinutes: number;
  /** Only these models (a newly registered one); all active models when omitted. */
  modelIds?: string[];
  /** Adaptive depth (DEPTH_TIERS); null or absent: every task gets the benchmark's itemsPerTask. */
  depth?: DepthSettings | null;
}

export interface ScheduleResult {
  epoch: number;
  created: number;
  /** True when another instance holds the scheduler lock (nothing was done). */
  skipped: boolean;
}

export async function scheduleTasks(options: ScheduleOptions): Promise<ScheduleResult> {
  const { db, now, epochMinutes } = options;
  const epoch = epochOf(now, epochMinutes);
  const benchmarks = await db.benchmark.findMany({ where: { isActive: true } });
  // Community benchmarks that left probation: sampling needs only their stored item count, no download.
  await registerCommunityBenchmarks(db);
  return db.$transaction(
    async (tx) => {
      if (!options.modelIds) {
        const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${SCHEDULER_LOCK}) AS locked`;
        if (!lock?.locked) return { epoch, created: 0, skipped: true };
      }
      let created = 0;
      const seed = await ensureEpochSeeds(tx, epoch);
      for (const benchmark of benchmarks) {
        const definition = getBenchmark(benchmark.id);
        // Groups of models and their item count: one group at itemsPerTask, or one per depth tier. Every group's
        // items are a prefix of the same epoch sample, so deeper tasks extend the window all models share.
        const groups: { items: number; modelFilter: Prisma.Sql }[] = [];
        if (!options.depth) {
          groups.push({
            items: benchmark.itemsPerTask,
            modelFilter: options.modelIds ? Prisma.sql`AND m.id IN (${Prisma.join(options.modelIds)})` : Prisma.empty,
          });
        } else {
          const plan = await planBenchmarkDepth(tx, { benchmarkId: benchmark.id, epoch, settings: options.depth, modelIds: options.modelIds });
          const byItems = new Map<number, string[]>();
          for (const decision of plan.values()) {
            if (decision.isSkipped) continue;
            const items = Math.min(decision.items, definition.itemCount());
            byItems.set(items, [...(byItems.get(items) ?? []), decision.modelId]);
          }
          for (const [items, ids] of byItems) groups.push({ items, modelFilter: Prisma.sql`AND m.id = ANY(${ids}::text[])` });
        }
        // Long-context tiers: only models whose context length holds the tier (unknown: DEFAULT_CONTEXT_LENGTH).
        const contextTokens = definition.contextTokens ?? null;
        const contextFilter =
          contextTokens === null ? Prisma.empty : Prisma.sql`AND COALESCE(m."contextLength", ${DEFAULT_CONTEXT_LENGTH}) >= ${contextTokens}`;
        for (const { items, modelFilter } of groups) {
          const itemIds = sampleItems(definition, seed, items);
          const rows = await tx.$queryRaw<{ id: string; modelId: string }[]>`
            INSERT INTO "Task" (id, "modelId", "benchmarkId", epoch, "itemIds", status, quorum, "targetResults",
                                "maxResults", "minAgreement", "contextTokens", "createdAt", "updatedAt")
            SELECT 't' || replace(gen_random_uuid()::text, '-', ''), m.id, ${benchmark.id}, ${epoch}, ${itemIds}::text[],
                   'QUEUED', ${benchmark.quorum}, ${benchmark.quorum}, ${benchmark.maxResults}, ${benchmark.minAgreement},
                   ${contextTokens}::int, ${now}, ${now}
            FROM "Model" m
            WHERE m.status = 'ACTIVE' ${modelFilter} ${contextFilter}
              AND NOT EXISTS (
                SELECT 1 FROM "Task" q
                WHERE q."modelId" = m.id AND q."benchmarkId" = ${benchmark.id} AND q.status = 'QUEUED'
              )
            ON CONFLICT ("modelId", "benchmarkId", epoch) DO NOTHING
            RETURNING id, "modelId"`;
          created += rows.length;
          if (rows.length > 0) {
            // One summary event per run: a busy epoch creates thousands of tasks, and clients only need to refresh.
            await publishEvents(tx, [
              {
                kind: "task.created",
                taskId: rows.length === 1 ? rows[0]!.id : null,
                modelId: options.modelIds?.length === 1 ? options.modelIds[0] : null,
                payload: { epoch, benchmark: benchmark.id, count: rows.length },
              },
            ]);
          }
        }
      }
      return { epoch, created, skipped: false };
    },
    { ...TRANSACTION_OPTIONS, timeout: 60_000 },
  );
}
