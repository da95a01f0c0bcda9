/**
 * Claiming: hand a runner a task slot that the server chooses among those the runner may take (the rules are in
 * claim-matching.ts, their one home), within the caps on active claims per runner and per owner.
 *
 * Throughput: claims that arrive together share one transaction (claim-batch.ts, through a micro-batcher per
 * connection pool). A claim whose batch locked only tasks that went to others ("crowded") runs a batch of its own
 * with a wider window.
 *
 * Spot checks: with probability `spotCheckShare` a claim is handed an already accepted task instead, looking like
 * any other claim; its result is compared with the canonical one (submit-result.ts) and never changes the board.
 *
 * Events are written with the claim, and their NOTIFY is sent right after the commit, on its own: PostgreSQL
 * serialises committing transactions that NOTIFY, and a claim waiting for its WAL flush while holding that lock
 * capped claims at one per fsync. (A notification lost to a crash in between only delays the live view; the event
 * itself is stored and replayed to reconnecting clients.)
 */
import { randomUUID } from "node:crypto";
import { setTimeout } from "node:timers/promises";
import type pg from "pg";
import { ZCommunityBenchmarkSchema } from "@/lib/benchmarks/community/definition";
import { FIXTURE_REPO_PREFIX, type TClaim, type TEngineName } from "@/lib/protocol/runner-api";
import { poolOf, type Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { notifyCommitted } from "@/server/services/events/publish-event";
import { createMicroBatcher, type MicroBatcher } from "@/server/services/micro-batcher";
import { runClaimBatch, type ClaimedSlot, type ClaimOutcome, type ClaimRequest } from "@/server/services/tasks/claim-batch";
import { eligibleTaskSql } from "@/server/services/tasks/claim-matching";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";
import type { TrustSettings } from "@/server/services/trust/reliability";
import { mintClaimToken } from "@/server/services/tasks/claim-token";

export interface ClaimTaskOptions {
  db: Db;
  actorUserId: string;
  runnerId: string;
  engine: TEngineName;
  gpu?: string | null;
  /** Context capacity in tokens the runner's GPUs hold: long-context tiers up to it may be claimed. */
  maxContextTokens?: number | null;
  now: Date;
  leaseMinutes: number;
  trust: TrustSettings;
  random?: () => number;
  /** Tasks wanted in one claim: the first as always, then more of the same model (up to MAX_BUNDLE_TASKS). */
  bundle?: number;
  /** The model whose engine this runner has warm: preferred for its next task when the server gave it to this runner. */
  warmModelId?: string | null;
}

/** The most tasks one claim may take (one engine start evaluates them all). */
export const MAX_BUNDLE_TASKS = 16;
/** A runner's warm model counts only when the server gave this runner a task of it this recently. */
const WARM_MODEL_WINDOW_MS = 2 * 60 * 60_000;

export interface ClaimTaskOutcome {
  claim: TClaim | null;
  /** Further tasks of the claim's model taken with it (a bundle), each a claim of its own. */
  bundle?: TClaim[];
  /** Why this runner gets no task now (paused, suspended, at its cap), when that is the reason. */
  notice: string | null;
}

/**
 * A claim that found every task it may take locked by concurrent claims (SKIP LOCKED skips them) tries again once
 * those commit, for up to this long, backing off from 1 ms to 50 ms. Answering "nothing to do" instead would send
 * a runner idle while work is waiting: with a PostgreSQL that fsyncs each commit, a batch holds its rows for
 * several milliseconds.
 */
const LOCKED_WAIT_MS = 3_000;

/** Rows a crowded claim locks when it walks on alone. */
const CROWDED_WINDOW = 32;

/**
 * Up to 64 claims a transaction and 2 transactions at once per pool: one batch fills while another commits, and
 * the pool keeps connections for everything else. (Measured with `pnpm bench:claims`: 1 or 3 at once was slower.)
 */
type Batcher = MicroBatcher<ClaimRequest, ClaimOutcome>;
const batchers = new WeakMap<pg.Pool, WeakMap<TrustSettings, WeakMap<() => number, Batcher>>>();
/** One batcher per (pool, settings, randomness): in production one per pool. */
function claimBatcherOf(pool: pg.Pool, trust: TrustSettings, random: () => number): Batcher {
  const perTrust = batchers.get(pool) ?? new WeakMap<TrustSettings, WeakMap<() => number, Batcher>>();
  batchers.set(pool, perTrust);
  const perRandom = perTrust.get(trust) ?? new WeakMap<() => number, Batcher>();
  perTrust.set(trust, perRandom);
  let batcher = perRandom.get(random);
  if (!batcher) {
    batcher = createMicroBatcher<ClaimRequest, ClaimOutcome>({
      maxBatch: 64,
      maxInFlight: 2,
      run: (requests) => runClaimBatch(pool, requests, { trust, random }),
    });
    perRandom.set(random, batcher);
  }
  return batcher;
}

/**
 * A claim, then (bundle > 1) more tasks of the same model. Every task of a bundle is claimed through runClaimBatch,
 * so each one passes every rule of claim-matching.ts (engine kind, not the owner's own model, never a task the owner
 * tried, a free slot, the established runner's reserved slot) and the runner's pause/suspension checks; the caps on
 * active claims count a bundle as one claim (its further tasks are granted above the caps by the number already in
 * it, never more than MAX_BUNDLE_TASKS). The model is the server's choice: the first task is chosen as any claim's
 * is, or is a task of the runner's warm model when the server handed this runner a task of it recently.
 */
export async function claimTask(options: ClaimTaskOptions): Promise<ClaimTaskOutcome> {
  const outcome = await claimTaskSlots(options);
  // A community benchmark travels with its claim: the runner builds it from the stored definition and downloads
  // and verifies the dataset itself (src/lib/benchmarks/community/claim-benchmark.ts).
  const claims = [outcome.claim, ...(outcome.bundle ?? [])].filter((claim): claim is TClaim => claim !== null);
  const keys = [...new Set(claims.map((claim) => claim.task.benchmark.key))];
  if (keys.length > 0) {
    const stored = await options.db.communityBenchmark.findMany({
      where: { id: { in: keys } },
      select: { id: true, version: true, definition: true, itemCount: true },
    });
    for (const row of stored) {
      const community = { version: String(row.version), itemCount: row.itemCount, definition: ZCommunityBenchmarkSchema.parse(row.definition) };
      for (const claim of claims) if (claim.task.benchmark.key === row.id) claim.task.benchmark.community = community;
    }
  }
  return outcome;
}

async function claimTaskSlots(options: ClaimTaskOptions): Promise<ClaimTaskOutcome> {
  const first = await claimFirst(options);
  const wanted = Math.min(MAX_BUNDLE_TASKS, Math.max(1, Math.floor(options.bundle ?? 1)));
  if (!first.claim || wanted === 1 || first.spotCheck) return { claim: first.claim, notice: first.notice };
  const pool = poolOf(options.db);
  const random = options.random ?? Math.random;
  const leaseExpiresAt = new Date(options.now.getTime() + options.leaseMinutes * 60_000);
  const bundle: TClaim[] = [];
  while (bundle.length + 1 < wanted) {
    const taken = bundle.length + 1;
    const slot = await claimOfModel(pool, options, first.claim.task.model.id, leaseExpiresAt, random, {
      maxClaimsPerRunner: options.trust.maxClaimsPerRunner + taken,
      maxClaimsPerOwner: options.trust.maxClaimsPerOwner + taken,
    });
    if (!slot) break;
    bundle.push(slot);
  }
  return { claim: first.claim, notice: null, bundle };
}

/** One task of one model through the ordinary batch (every rule applies), or null. */
async function claimOfModel(
  pool: pg.Pool,
  options: ClaimTaskOptions,
  modelId: string,
  leaseExpiresAt: Date,
  random: () => number,
  caps: Pick<TrustSettings, "maxClaimsPerRunner" | "maxClaimsPerOwner">,
): Promise<TClaim | null> {
  const { token, hash } = mintClaimToken();
  const request: ClaimRequest = {
    owner: options.actorUserId,
    runnerId: options.runnerId,
    gpu: options.gpu ?? null,
    fixture: options.engine === "fixture",
    now: options.now,
    leaseExpiresAt,
    claimTokenHash: hash,
    assignmentId: `a${randomUUID().replaceAll("-", "")}`,
  };
  const [outcome] = await runClaimBatch(pool, [request], { trust: caps, window: CROWDED_WINDOW, random, onlyModelId: modelId });
  if (outcome?.status !== "claimed") return null;
  await notifyCommitted(pool, { id: outcome.slot.eventId, kind: "task.claimed", taskId: outcome.slot.taskId, modelId: outcome.slot.modelId });
  return toClaim(outcome.slot, token, leaseExpiresAt, options.leaseMinutes);
}

/** Whether the server handed this runner a task of this model recently (a runner cannot name a model it wants). */
async function wasGivenRecently(db: Db, runnerId: string, modelId: string, now: Date): Promise<boolean> {
  const found = await db.assignment.findFirst({
    where: { runnerId, task: { modelId }, createdAt: { gte: new Date(now.getTime() - WARM_MODEL_WINDOW_MS) } },
    select: { id: true },
  });
  return found !== null;
}

async function claimFirst(options: ClaimTaskOptions): Promise<ClaimTaskOutcome & { spotCheck?: boolean }> {
  const { db, now } = options;
  const owner = options.actorUserId;
  const leaseExpiresAt = new Date(now.getTime() + options.leaseMinutes * 60_000);
  const pool = poolOf(db);
  const random = options.random ?? Math.random;

  if (options.trust.spotCheckShare > 0 && random() < options.trust.spotCheckShare) {
    const spot = await claimSpotCheck({ ...options, leaseExpiresAt });
    if (spot) return { claim: spot, notice: null, spotCheck: true };
  }

  if (options.warmModelId && (await wasGivenRecently(db, options.runnerId, options.warmModelId, now))) {
    const warm = await claimOfModel(pool, options, options.warmModelId, leaseExpiresAt, random, options.trust);
    if (warm) return { claim: warm, notice: null };
  }

  const giveUpAt = Date.now() + LOCKED_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    const { token, hash } = mintClaimToken();
    const request: ClaimRequest = {
      owner,
      runnerId: options.runnerId,
      gpu: options.gpu ?? null,
      fixture: options.engine === "fixture",
      maxContextTokens: options.maxContextTokens ?? null,
      now,
      leaseExpiresAt,
      claimTokenHash: hash,
      assignmentId: `a${randomUUID().replaceAll("-", "")}`,
    };
    let outcome = await claimBatcherOf(pool, options.trust, random).submit(request);
    if (outcome.status === "crowded") {
      outcome = (await runClaimBatch(pool, [request], { trust: options.trust, window: CROWDED_WINDOW, random }))[0]!;
    }
    if (outcome.status === "not-yours") {
      throw new AppError("NOT_ALLOWED", "This runner is not registered to your account. Run `pnpm runner login` again.");
    }
    if (outcome.status === "refused") return { claim: null, notice: outcome.notice };
    if (outcome.status !== "claimed") {
      // Nothing free to lock: either nothing is claimable, or another claim held the rows for a moment.
      if (!(await hasClaimableTask(db, owner, options.runnerId, options.engine, now, options.maxContextTokens ?? 0))) return { claim: null, notice: null };
      if (Date.now() > giveUpAt) {
        console.warn(`[claims] runner ${options.runnerId}: every task it may take stayed locked for ${LOCKED_WAIT_MS} ms; answering "no task"`);
        return { claim: null, notice: null };
      }
      await setTimeout(Math.min(2 ** attempt, 50));
      continue;
    }
    const { slot } = outcome;
    await notifyCommitted(pool, { id: slot.eventId, kind: "task.claimed", taskId: slot.taskId, modelId: slot.modelId });
    return { claim: toClaim(slot, token, leaseExpiresAt, options.leaseMinutes), notice: null };
  }
}

function toClaim(slot: Omit<ClaimedSlot, "eventId">, token: string, leaseExpiresAt: Date, leaseMinutes: number): TClaim {
  return {
    assignmentId: slot.assignmentId,
    claimToken: token,
    leaseExpiresAt,
    leaseSeconds: leaseMinutes * 60,
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

/** Whether an open task exists that this runner may take (the same rules as the batch, as SQL). */
async function hasClaimableTask(
  db: Db,
  owner: string,
  runnerId: string,
  engine: TEngineName,
  now: Date,
  capacity: number,
): Promise<boolean> {
  const fixture = engine === "fixture";
  const rows = await db.$queryRawUnsafe<{ found: number }[]>(
    `WITH me AS (
       SELECT r."isEstablished" AS established,
              EXISTS (SELECT 1 FROM "Runner" e WHERE e."isEstablished" AND e."pausedAt" IS NULL
                        AND (e."suspendedUntil" IS NULL OR e."suspendedUntil" < $3)) AS pool
       FROM "Runner" r WHERE r.id = $2
     )
     SELECT 1 AS found FROM me, "Task" t JOIN "Model" m ON m.id = t."modelId"
     WHERE ${eligibleTaskSql({ owner: "$1", fixture: "$4", established: "me.established", pool: "me.pool", prefix: "$5", capacity: "$6::int" })}
     LIMIT 1`,
    owner,
    runnerId,
    now,
    fixture,
    FIXTURE_REPO_PREFIX,
    capacity,
  );
  return rows.length > 0;
}

/**
 * A spot check: an accepted task of a model this owner did not submit and never worked on, handed out like any other
 * claim (no public event), within the same caps. Null when there is none or the runner may not claim.
 */
async function claimSpotCheck(options: ClaimTaskOptions & { leaseExpiresAt: Date }): Promise<TClaim | null> {
  const { db, now } = options;
  const owner = options.actorUserId;
  const fixture = options.engine === "fixture";
  const random = options.random ?? Math.random;
  const { token, hash } = mintClaimToken();
  const slot = await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${owner} FOR NO KEY UPDATE`;
    const runner = await tx.runner.findUnique({ where: { id: options.runnerId } });
    if (!runner || runner.ownerId !== owner || runner.pausedAt || (runner.suspendedUntil && runner.suspendedUntil > now)) return null;
    const active = await tx.assignment.groupBy({
      by: ["runnerId"],
      where: { ownerId: owner, status: "ACTIVE", leaseExpiresAt: { gt: now } },
      _count: { _all: true },
    });
    const byOwner = active.reduce((sum, row) => sum + row._count._all, 0);
    const byRunner = active.find((row) => row.runnerId === options.runnerId)?._count._all ?? 0;
    if (byRunner >= options.trust.maxClaimsPerRunner || byOwner >= options.trust.maxClaimsPerOwner) return null;
    const candidates = await tx.$queryRaw<{ id: string }[]>`
      SELECT t.id FROM "Task" t JOIN "Model" m ON m.id = t."modelId"
      WHERE t.status = 'ACCEPTED' AND t."acceptedResultId" IS NOT NULL AND m.status = 'ACTIVE'
        AND m."submitterId" <> ${owner} AND NOT (${owner} = ANY (t."triedOwners"))
        AND starts_with(m.repo, ${FIXTURE_REPO_PREFIX}) = ${fixture}
        AND (t."contextTokens" IS NULL OR t."contextTokens" <= ${options.maxContextTokens ?? 0})
      ORDER BY t."finishedAt" DESC LIMIT 50`;
    if (candidates.length === 0) return null;
    const picked = candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))]!;
    const [task] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Task" WHERE id = ${picked.id} FOR UPDATE`;
    if (!task) return null;
    const updated = await tx.task.update({
      where: { id: picked.id },
      data: { triedOwners: { push: owner } },
      include: { benchmark: { select: { name: true } }, model: true },
    });
    const assignment = await tx.assignment.create({
      data: {
        taskId: updated.id,
        runnerId: options.runnerId,
        ownerId: owner,
        claimTokenHash: hash,
        status: "ACTIVE",
        leaseExpiresAt: options.leaseExpiresAt,
        isEstablished: runner.isEstablished,
        isSpotCheck: true,
        createdAt: now,
      },
    });
    return {
      assignmentId: assignment.id,
      taskId: updated.id,
      epoch: updated.epoch,
      itemIds: updated.itemIds,
      benchmarkId: updated.benchmarkId,
      benchmarkName: updated.benchmark.name,
      modelId: updated.modelId,
      repo: updated.model.repo,
      revision: updated.model.revision,
      weightType: updated.model.weightType,
      baseModel: updated.model.baseModel,
      precision: updated.model.precision,
    };
  }, TRANSACTION_OPTIONS);
  return slot ? toClaim(slot, token, options.leaseExpiresAt, options.leaseMinutes) : null;
}
