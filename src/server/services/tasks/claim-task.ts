/**
 * Claiming: hand a runner the oldest task that still needs results and that this runner may take.
 *
 * Rules: never a model its owner submitted; never a task already held (active or submitted) by a runner of the
 * same owner; never more active + submitted assignments than the task's target; fixture runners only take
 * `fixture/` models and real engines never do. Every rule is a condition on the task row (`holderOwners` lists
 * the owners holding its slots), checked while that row is locked.
 *
 * Throughput: claims that arrive together share one transaction (claim-batch.ts, through a micro-batcher per
 * connection pool). A claim whose batch locked only tasks that went to others ("crowded") walks the open tasks on
 * its own with the `quorum_claim_task` SQL function: one statement that locks its candidate with FOR UPDATE SKIP
 * LOCKED, where PostgreSQL re-checks every rule against the row's newest version before locking it.
 *
 * Events are written with the claim, and their NOTIFY is sent right after the commit, on its own: PostgreSQL
 * serialises committing transactions that NOTIFY, and a claim waiting for its WAL flush while holding that lock
 * capped claims at one per fsync. (A notification lost to a crash in between only delays the live view; the event
 * itself is stored and replayed to reconnecting clients.)
 */
import { randomUUID } from "node:crypto";
import { setTimeout } from "node:timers/promises";
import type pg from "pg";
import { Prisma } from "@/generated/prisma/client";
import { FIXTURE_REPO_PREFIX, type TClaim, type TEngineName } from "@/lib/protocol/runner-api";
import { poolOf, type Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { notifyCommitted } from "@/server/services/events/publish-event";
import { batcherPerKey, createMicroBatcher } from "@/server/services/micro-batcher";
import { runClaimBatch, type ClaimedSlot, type ClaimOutcome, type ClaimRequest } from "@/server/services/tasks/claim-batch";
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

/**
 * A claim that found every task it may take locked by concurrent claims (SKIP LOCKED skips them) tries again once
 * those commit, for up to this long, backing off from 1 ms to 50 ms. Answering "nothing to do" instead would send
 * a runner idle while work is waiting: with a PostgreSQL that fsyncs each commit, a batch holds its rows for
 * several milliseconds.
 */
const LOCKED_WAIT_MS = 3_000;

/**
 * Up to 64 claims a transaction and 2 transactions at once per pool: one batch fills while another commits, and
 * the pool keeps connections for everything else. (Measured with `pnpm bench:claims`: 1 or 3 at once was slower.)
 */
const claimBatcherOf = batcherPerKey((pool: pg.Pool) =>
  createMicroBatcher<ClaimRequest, ClaimOutcome>({ maxBatch: 64, maxInFlight: 2, run: (requests) => runClaimBatch(pool, requests) }),
);

/** One claim walking the open tasks on its own (migration `claim_function`), for a claim crowded out of its batch. */
const SINGLE_CLAIM_STATEMENT = {
  name: "quorum_claim_task_v5",
  text: `SELECT * FROM quorum_claim_task($1, $2, $3::timestamptz, $4::timestamptz, $5, $6, $7, $8)`,
};

export async function claimTask(options: ClaimTaskOptions): Promise<TClaim | null> {
  const { db, now } = options;
  const owner = options.actorUserId;
  const leaseExpiresAt = new Date(now.getTime() + options.leaseMinutes * 60_000);
  const pool = poolOf(db);

  const giveUpAt = Date.now() + LOCKED_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    const { token, hash } = mintClaimToken();
    const request: ClaimRequest = {
      owner,
      runnerId: options.runnerId,
      gpu: options.gpu ?? null,
      fixture: options.engine === "fixture",
      now,
      leaseExpiresAt,
      claimTokenHash: hash,
      assignmentId: `a${randomUUID().replaceAll("-", "")}`,
    };
    let outcome = await claimBatcherOf(pool).submit(request);
    if (outcome.status === "crowded") outcome = await claimAlone(pool, request);
    if (outcome.status === "not-yours") {
      throw new AppError("NOT_ALLOWED", "This runner is not registered to your account. Run `pnpm runner login` again.");
    }
    if (outcome.status !== "claimed") {
      // Nothing free to lock: either nothing is claimable, or another claim held the rows for a moment.
      if (!(await hasClaimableTask(db, owner, options.engine))) return null;
      if (Date.now() > giveUpAt) {
        console.warn(`[claims] runner ${options.runnerId}: every task it may take stayed locked for ${LOCKED_WAIT_MS} ms; answering "no task"`);
        return null;
      }
      await setTimeout(Math.min(2 ** attempt, 50));
      continue;
    }
    const { slot } = outcome;
    await notifyCommitted(pool, { id: slot.eventId, kind: "task.claimed", taskId: slot.taskId, modelId: slot.modelId });
    return {
      assignmentId: slot.assignmentId,
      claimToken: token,
      leaseExpiresAt,
      leaseSeconds: options.leaseMinutes * 60,
      task: {
        id: slot.taskId,
        epoch: slot.epoch,
        model: {
          id: slot.modelId,
          repo: slot.repo,
          revision: slot.revision,
          weightType: slot.weightType,
          baseModel: slot.baseModel,
          precision: slot.precision,
        },
        benchmark: { key: slot.benchmarkId, name: slot.benchmarkName },
        itemIds: slot.itemIds,
      },
    };
  }
}

async function claimAlone(pool: pg.Pool, request: ClaimRequest): Promise<ClaimOutcome> {
  const { rows } = await pool.query<ClaimedSlot>({
    ...SINGLE_CLAIM_STATEMENT,
    values: [
      request.owner,
      request.runnerId,
      request.now.toISOString(),
      request.leaseExpiresAt.toISOString(),
      request.claimTokenHash,
      request.assignmentId,
      FIXTURE_REPO_PREFIX,
      request.fixture,
    ],
  });
  return rows[0] ? { status: "claimed", slot: rows[0] } : { status: "none" };
}

async function hasClaimableTask(db: Db, owner: string, engine: TEngineName): Promise<boolean> {
  const engineFilter =
    engine === "fixture"
      ? Prisma.sql`m.repo LIKE ${`${FIXTURE_REPO_PREFIX}%`}`
      : Prisma.sql`m.repo NOT LIKE ${`${FIXTURE_REPO_PREFIX}%`}`;
  const rows = await db.$queryRaw<{ found: number }[]>`
    SELECT 1 AS found FROM "Task" t JOIN "Model" m ON m.id = t."modelId"
    WHERE t."finishedAt" IS NULL AND t."isFull" = false AND cardinality(t."holderOwners") < t."targetResults"
      AND NOT (${owner} = ANY (t."holderOwners"))
      AND m.status = 'ACTIVE' AND m."submitterId" <> ${owner} AND ${engineFilter}
    LIMIT 1`;
  return rows.length > 0;
}
