/**
 * Claiming: hand a runner the oldest task that still needs results and that this runner may take.
 *
 * Rules: never a model its owner submitted; never a task already held (active or submitted) by a runner of the
 * same owner; never more active + submitted assignments than the task's target; fixture runners only take
 * `fixture/` models and real engines never do.
 *
 * Concurrency: the candidate task row is locked with FOR UPDATE SKIP LOCKED (concurrent claimers move on to the
 * next task instead of queueing), then the slot rules are re-checked in a fresh statement — under READ COMMITTED
 * that statement sees every claim committed before the lock was taken, so a task can never be over-claimed.
 */
import { randomUUID } from "node:crypto";
import { Prisma } from "@/generated/prisma/client";
import { FIXTURE_REPO_PREFIX, type TClaim, type TEngineName } from "@/lib/protocol/runner-api";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { EVENTS_CHANNEL } from "@/server/services/events/publish-event";
import { mintClaimToken } from "@/server/services/tasks/claim-token";

export interface ClaimTaskOptions {
  db: Db;
  actorUserId: string;
  runnerId: string;
  engine: TEngineName;
  gpu?: string | null;
  now: Date;
  leaseMinutes: number;
}

interface ClaimedRow {
  assignmentId: string;
  taskId: string;
  epoch: number;
  itemIds: string[];
  benchmarkId: string;
  benchmarkName: string;
  modelId: string;
  repo: string;
  revision: string;
  weightType: "ORIGINAL" | "ADAPTER" | "DELTA";
  baseModel: string | null;
  precision: "FLOAT16" | "BFLOAT16" | "FLOAT32" | "INT8" | "INT4";
}

const MAX_ATTEMPTS = 5;

export async function claimTask(options: ClaimTaskOptions): Promise<TClaim | null> {
  const { db, now } = options;
  const runner = await db.runner.findUnique({ where: { id: options.runnerId } });
  if (!runner || runner.ownerId !== options.actorUserId) {
    throw new AppError("NOT_ALLOWED", "This runner is not registered to your account. Run `pnpm runner login` again.");
  }
  if (!runner.lastSeenAt || now.getTime() - runner.lastSeenAt.getTime() > 30_000 || (options.gpu && options.gpu !== runner.gpu)) {
    await db.runner.update({ where: { id: runner.id }, data: { lastSeenAt: now, gpu: options.gpu ?? runner.gpu } });
  }
  const owner = runner.ownerId;
  const engineFilter =
    options.engine === "fixture"
      ? Prisma.sql`m.repo LIKE ${`${FIXTURE_REPO_PREFIX}%`}`
      : Prisma.sql`m.repo NOT LIKE ${`${FIXTURE_REPO_PREFIX}%`}`;
  const leaseExpiresAt = new Date(now.getTime() + options.leaseMinutes * 60_000);
  const skipped: string[] = [];

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { token, hash } = mintClaimToken();
    const result = await db.$transaction(async (tx) => {
      const exclude = skipped.length > 0 ? Prisma.sql`AND t.id NOT IN (${Prisma.join(skipped)})` : Prisma.empty;
      const candidates = await tx.$queryRaw<{ id: string }[]>`
        SELECT t.id FROM "Task" t
        JOIN "Model" m ON m.id = t."modelId"
        WHERE t.status IN ('QUEUED', 'RUNNING', 'VALIDATING', 'DISPUTED')
          AND m.status = 'ACTIVE' AND m."submitterId" <> ${owner} AND ${engineFilter} ${exclude}
          AND NOT EXISTS (SELECT 1 FROM "Assignment" a
                          WHERE a."taskId" = t.id AND a."ownerId" = ${owner} AND a.status IN ('ACTIVE', 'SUBMITTED'))
          AND (SELECT count(*) FROM "Assignment" a
               WHERE a."taskId" = t.id AND a.status IN ('ACTIVE', 'SUBMITTED')) < t."targetResults"
        ORDER BY t."createdAt", t."benchmarkId", t.id
        LIMIT 1
        FOR UPDATE OF t SKIP LOCKED`;
      const candidate = candidates[0];
      if (!candidate) return { kind: "none" as const };
      const rows = await tx.$queryRaw<ClaimedRow[]>`
        WITH assignment AS (
          INSERT INTO "Assignment" (id, "taskId", "runnerId", "ownerId", "claimTokenHash", status, "leaseExpiresAt", "createdAt")
          SELECT ${`a${randomUUID().replaceAll("-", "")}`}, t.id, ${runner.id}, ${owner}, ${hash}, 'ACTIVE', ${leaseExpiresAt}, ${now}
          FROM "Task" t
          WHERE t.id = ${candidate.id}
            AND NOT EXISTS (SELECT 1 FROM "Assignment" a
                            WHERE a."taskId" = t.id AND a."ownerId" = ${owner} AND a.status IN ('ACTIVE', 'SUBMITTED'))
            AND (SELECT count(*) FROM "Assignment" a
                 WHERE a."taskId" = t.id AND a.status IN ('ACTIVE', 'SUBMITTED')) < t."targetResults"
          RETURNING id, "taskId"
        ), task AS (
          UPDATE "Task" t
          SET status = CASE WHEN t.status = 'QUEUED' THEN 'RUNNING'::"TaskStatus" ELSE t.status END, "updatedAt" = ${now}
          FROM assignment a WHERE t.id = a."taskId"
          RETURNING t.id, t."modelId", t."benchmarkId", t.epoch, t."itemIds"
        ), event AS (
          INSERT INTO "Event" (kind, "taskId", "modelId", payload)
          SELECT 'task.claimed', task.id, task."modelId", jsonb_build_object('runnerId', ${runner.id}::text) FROM task
          RETURNING id, kind, "taskId", "modelId"
        )
        SELECT a.id AS "assignmentId", task.id AS "taskId", task.epoch, task."itemIds", task."benchmarkId",
               b.name AS "benchmarkName", m.id AS "modelId", m.repo, m.revision, m."weightType", m."baseModel",
               m.precision,
               (SELECT count(*)::int FROM (
                  SELECT pg_notify(${EVENTS_CHANNEL}, json_build_object('id', e.id::text, 'kind', e.kind,
                         'taskId', e."taskId", 'modelId', e."modelId")::text) FROM event e) AS n) AS notified
        FROM assignment a
        JOIN task ON task.id = a."taskId"
        JOIN "Model" m ON m.id = task."modelId"
        JOIN "Benchmark" b ON b.id = task."benchmarkId"`;
      const row = rows[0];
      return row ? { kind: "claimed" as const, row } : { kind: "retry" as const, taskId: candidate.id };
    });
    if (result.kind === "none") return null;
    if (result.kind === "retry") {
      skipped.push(result.taskId);
      continue;
    }
    const { row } = result;
    return {
      assignmentId: row.assignmentId,
      claimToken: token,
      leaseExpiresAt,
      leaseSeconds: options.leaseMinutes * 60,
      task: {
        id: row.taskId,
        epoch: row.epoch,
        model: {
          id: row.modelId,
          repo: row.repo,
          revision: row.revision,
          weightType: row.weightType,
          baseModel: row.baseModel,
          precision: row.precision,
        },
        benchmark: { key: row.benchmarkId, name: row.benchmarkName },
        itemIds: row.itemIds,
      },
    };
  }
  return null;
}
