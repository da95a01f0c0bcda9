/**
 * Claims in batches: the claims that reach the server together are decided in one transaction (group commit).
 *
 * One batch: the runners are read (with whether the pool has established runners); then, in one transaction, the
 * owners of the batch are locked (their rows, in id order: concurrent batches of one owner queue, so the per-runner
 * and per-owner caps on active claims hold exactly), their active claims are counted, the open tasks the batch may
 * need are locked (oldest first, `FOR UPDATE SKIP LOCKED`: concurrent batches move on to the next tasks instead of
 * queueing), the slots are assigned in memory by `assignSlots` (claim-matching.ts, the one home of the rules) on
 * those locked rows — which nobody else can change until the commit — and one statement writes every task update,
 * assignment and event. A lone claim is a batch of one and waits for nothing.
 */
import type pg from "pg";
import { FIXTURE_REPO_PREFIX } from "@/lib/protocol/runner-api";
import type { TrustSettings } from "@/server/services/trust/reliability";
import { assignSlots, eligibleTaskSql } from "@/server/services/tasks/claim-matching";

export interface ClaimRequest {
  owner: string;
  runnerId: string;
  gpu: string | null;
  fixture: boolean;
  /** The runner's reported context capacity in tokens (long-context tiers); null when it reported none. */
  maxContextTokens?: number | null;
  now: Date;
  leaseExpiresAt: Date;
  claimTokenHash: string;
  assignmentId: string;
}

export interface ClaimedSlot {
  assignmentId: string;
  eventId: string;
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

export type ClaimOutcome =
  | { status: "claimed"; slot: ClaimedSlot }
  /** The runner does not exist or belongs to someone else. */
  | { status: "not-yours" }
  /** The runner may not claim now (paused, suspended, or at its cap of active claims): `notice` says why. */
  | { status: "refused"; notice: string }
  /** No open task this runner may take was free to lock. */
  | { status: "none" }
  /** The tasks the batch locked went to others; tasks further on may still suit this runner. */
  | { status: "crowded" };

/** A runner's last contact is written when older than this (or when its GPU changed). */
const LAST_SEEN_RESOLUTION_MS = 30_000;

interface RunnerRow {
  id: string;
  ownerId: string;
  lastSeenAt: Date | null;
  gpu: string | null;
  isEstablished: boolean;
  pauseReason: string | null;
  pausedAt: Date | null;
  suspendedUntil: Date | null;
  suspensionReason: string | null;
  poolHasEstablished: boolean;
}

interface CandidateRow extends Omit<ClaimedSlot, "assignmentId" | "eventId" | "taskId"> {
  id: string;
  holderOwners: string[];
  triedOwners: string[];
  establishedHolders: number;
  targetResults: number;
  submitterId: string;
  fixture: boolean;
  contextTokens: number | null;
}

/**
 * How many open tasks a batch of `claims` locks: enough that each claim has a choice (the server picks among the
 * tasks a runner may take at random), few enough to leave most of the queue's head to concurrent batches. A claim
 * left over walks on with a window of its own (status "crowded").
 */
export function lockWindow(claims: number): number {
  return claims + 8;
}

const RUNNERS_STATEMENT = {
  name: "quorum_claim_runners_v2",
  text: `
    SELECT id, "ownerId", "lastSeenAt" AT TIME ZONE 'UTC' AS "lastSeenAt", gpu, "isEstablished",
           "pausedAt" AT TIME ZONE 'UTC' AS "pausedAt", "pauseReason",
           "suspendedUntil" AT TIME ZONE 'UTC' AS "suspendedUntil", "suspensionReason",
           EXISTS (SELECT 1 FROM "Runner" e WHERE e."isEstablished" AND e."pausedAt" IS NULL
                     AND (e."suspendedUntil" IS NULL OR e."suspendedUntil" < ($2::timestamptz AT TIME ZONE 'UTC'))) AS "poolHasEstablished"
    FROM "Runner" WHERE id = ANY ($1::text[])`,
};

/** The batch's owners, locked in id order: claims of one owner are decided one batch at a time. */
const LOCK_OWNERS_STATEMENT = {
  name: "quorum_claim_lock_owners_v1",
  text: `SELECT id FROM "User" WHERE id = ANY ($1::text[]) ORDER BY id FOR NO KEY UPDATE`,
};

/** Active (unexpired) claims of the batch's owners, per runner. */
const ACTIVE_CLAIMS_STATEMENT = {
  name: "quorum_claim_active_v1",
  text: `
    SELECT "ownerId", "runnerId", count(*)::int AS count FROM "Assignment"
    WHERE "ownerId" = ANY ($1::text[]) AND status = 'ACTIVE' AND "leaseExpiresAt" > ($2::timestamptz AT TIME ZONE 'UTC')
    GROUP BY "ownerId", "runnerId"`,
};

/**
 * The open tasks, oldest first, that at least one of the batch's runners may take ($1 owners, $2 fixture flags,
 * $3 established flags, $4 the fixture repo prefix, $5 whether the pool has established runners, $6 how many,
 * $7 context capacities in tokens, 0 for none, $8 one model's id or null: a bundle's further tasks and a warm
 * model's next task come from one model).
 * Each row is locked and re-checked against its newest version before it is returned, so the rows describe the
 * tasks exactly as they stand until this transaction commits.
 */
const CANDIDATES_STATEMENT = {
  name: "quorum_claim_candidates_v3",
  text: `
    SELECT t.id, t."holderOwners", t."triedOwners", t."establishedHolders", t."targetResults", t.epoch, t."itemIds", t."contextTokens",
           t."benchmarkId", b.name AS "benchmarkName", t."modelId", m."submitterId", starts_with(m.repo, $4) AS fixture,
           m.repo, m.revision, m."weightType", m."baseModel", m.precision
    FROM "Task" t
    JOIN "Model" m ON m.id = t."modelId"
    JOIN "Benchmark" b ON b.id = t."benchmarkId"
    WHERE t."finishedAt" IS NULL AND t."isFull" = false
      AND EXISTS (
        SELECT 1 FROM unnest($1::text[], $2::boolean[], $3::boolean[], $7::int[]) AS r(owner, fixture, established, capacity)
        WHERE ${eligibleTaskSql({ owner: "r.owner", fixture: "r.fixture", established: "r.established", pool: "$5::boolean", prefix: "$4", capacity: "r.capacity" })})
      AND ($8::text IS NULL OR t."modelId" = $8::text)
    ORDER BY t."finishedAt", t."isFull", t."createdAt", t."benchmarkId", t.id
    LIMIT $6
    FOR UPDATE OF t SKIP LOCKED`,
};

/** Every slot the batch took: task rows, assignments and their events, in one statement. */
const WRITE_STATEMENT = {
  name: "quorum_claim_write_v2",
  text: `
    WITH claim AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::timestamptz[], $8::timestamptz[], $9::boolean[])
        WITH ORDINALITY AS c(assignment_id, task_id, model_id, runner_id, owner_id, token_hash, lease_expires_at, now,
                             established, ord)
    ), task AS (
      UPDATE "Task" t
      SET "holderOwners" = t."holderOwners" || g.owners,
          "triedOwners" = t."triedOwners" || g.owners,
          "establishedHolders" = t."establishedHolders" + g.established,
          "isFull" = cardinality(t."holderOwners") + cardinality(g.owners) >= t."targetResults",
          status = CASE WHEN t.status = 'QUEUED' THEN 'RUNNING'::"TaskStatus" ELSE t.status END,
          "updatedAt" = (g.now AT TIME ZONE 'UTC')
      FROM (SELECT task_id, array_agg(owner_id ORDER BY ord) AS owners, count(*) FILTER (WHERE established)::int AS established,
                   max(now) AS now
            FROM claim GROUP BY task_id) g
      WHERE t.id = g.task_id
      RETURNING t.id
    ), assignment AS (
      INSERT INTO "Assignment" (id, "taskId", "runnerId", "ownerId", "claimTokenHash", status, "leaseExpiresAt",
                                "isEstablished", "createdAt")
      SELECT assignment_id, task_id, runner_id, owner_id, token_hash, 'ACTIVE',
             (lease_expires_at AT TIME ZONE 'UTC'), established, (now AT TIME ZONE 'UTC')
      FROM claim ORDER BY ord
      RETURNING id
    )
    INSERT INTO "Event" (kind, "taskId", "modelId", payload)
    SELECT 'task.claimed', task_id, model_id, jsonb_build_object('runnerId', runner_id) FROM claim ORDER BY ord
    RETURNING id::text AS id, "taskId", payload->>'runnerId' AS "runnerId"`,
};

const TOUCH_STATEMENT = {
  name: "quorum_claim_touch_v2",
  text: `
    WITH free AS (
      SELECT r.id FROM "Runner" r WHERE r.id = ANY($1::text[]) ORDER BY r.id FOR NO KEY UPDATE SKIP LOCKED
    )
    UPDATE "Runner" r SET "lastSeenAt" = (u.now AT TIME ZONE 'UTC'), gpu = COALESCE(u.gpu, r.gpu)
    FROM free JOIN unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(id, now, gpu) ON u.id = free.id
    WHERE r.id = free.id`,
};

/**
 * Right after an epoch's tasks are created, table statistics still say "a handful of open tasks", and the planner
 * would sort every open task on every claim (a bitmap scan plus a sort: measured at 9 ms a claim with 3,000 open
 * slots) instead of walking the open-task index in order and stopping early. These settings pin the ordered walk.
 * Before PostgreSQL 18 a disabled plan node counts as costing 1e10, enough to JIT-compile every claim (measured on
 * PostgreSQL 15: 225 claims/s instead of thousands), so JIT is off for these transactions.
 */
const BEGIN_CLAIM =
  "BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_material = off; SET LOCAL jit = off";

export interface ClaimBatchOptions {
  trust: Pick<TrustSettings, "maxClaimsPerRunner" | "maxClaimsPerOwner">;
  /** Rows to lock (default lockWindow(claims)); a crowded claim walking on alone asks for more. */
  window?: number;
  random?: () => number;
  /** Only tasks of this model (a bundle's further tasks, a warm model's next one); the rules are unchanged. */
  onlyModelId?: string;
}

export async function runClaimBatch(
  pool: pg.Pool,
  requests: readonly ClaimRequest[],
  options: ClaimBatchOptions,
): Promise<ClaimOutcome[]> {
  const outcomes: ClaimOutcome[] = requests.map(() => ({ status: "not-yours" }));
  const { rows: runners } = await pool.query<RunnerRow>({
    ...RUNNERS_STATEMENT,
    values: [[...new Set(requests.map((request) => request.runnerId))], requests[0]!.now.toISOString()],
  });
  const runnerById = new Map(runners.map((runner) => [runner.id, runner]));
  const owned = requests.flatMap((request, index) => (runnerById.get(request.runnerId)?.ownerId === request.owner ? [index] : []));
  const valid: number[] = [];
  for (const index of owned) {
    const request = requests[index]!;
    const runner = runnerById.get(request.runnerId)!;
    if (runner.pausedAt) {
      outcomes[index] = { status: "refused", notice: `An admin paused this runner: ${runner.pauseReason ?? "no reason given"}.` };
    } else if (runner.suspendedUntil && runner.suspendedUntil > request.now) {
      outcomes[index] = { status: "refused", notice: runner.suspensionReason ?? `Suspended until ${runner.suspendedUntil.toISOString()}.` };
    } else valid.push(index);
  }
  if (valid.length === 0) {
    await touchRunners(pool, requests, owned, runnerById);
    return outcomes;
  }
  const poolHasEstablished = runners[0]!.poolHasEstablished;

  const claimed: { index: number; task: CandidateRow }[] = [];
  const events = new Map<string, string>(); // `${taskId} ${runnerId}` -> event id
  const client = await pool.connect();
  try {
    await client.query(BEGIN_CLAIM);
    const owners = [...new Set(valid.map((i) => requests[i]!.owner))];
    await client.query({ ...LOCK_OWNERS_STATEMENT, values: [owners] });
    const { rows: active } = await client.query<{ ownerId: string; runnerId: string; count: number }>({
      ...ACTIVE_CLAIMS_STATEMENT,
      values: [owners, requests[0]!.now.toISOString()],
    });
    const perOwner = new Map<string, number>();
    const perRunner = new Map<string, number>();
    for (const row of active) {
      perOwner.set(row.ownerId, (perOwner.get(row.ownerId) ?? 0) + row.count);
      perRunner.set(row.runnerId, (perRunner.get(row.runnerId) ?? 0) + row.count);
    }
    // Caps, in request order: a batch holding two claims of one runner grants at most what the cap leaves.
    const allowed = valid.filter((index) => {
      const request = requests[index]!;
      const byRunner = perRunner.get(request.runnerId) ?? 0;
      const byOwner = perOwner.get(request.owner) ?? 0;
      if (byRunner >= options.trust.maxClaimsPerRunner || byOwner >= options.trust.maxClaimsPerOwner) {
        outcomes[index] = {
          status: "refused",
          notice:
            byRunner >= options.trust.maxClaimsPerRunner
              ? `This runner already holds ${byRunner} active claim(s), the most a runner may hold (${options.trust.maxClaimsPerRunner}). ` +
                `Submit or release it first (a crashed runner's claim frees itself when its lease expires).`
              : `Your runners already hold ${byOwner} active claims, the most one account may hold (${options.trust.maxClaimsPerOwner}).`,
        };
        return false;
      }
      perRunner.set(request.runnerId, byRunner + 1);
      perOwner.set(request.owner, byOwner + 1);
      return true;
    });
    const slotRequests = allowed.map((i) => ({
      owner: requests[i]!.owner,
      fixture: requests[i]!.fixture,
      isEstablished: runnerById.get(requests[i]!.runnerId)!.isEstablished,
      maxContextTokens: requests[i]!.maxContextTokens ?? null,
    }));
    const window = options.window ?? lockWindow(allowed.length);
    const { rows: candidates } =
      allowed.length === 0
        ? { rows: [] as CandidateRow[] }
        : await client.query<CandidateRow>({
            ...CANDIDATES_STATEMENT,
            values: [
              slotRequests.map((r) => r.owner),
              slotRequests.map((r) => r.fixture),
              slotRequests.map((r) => r.isEstablished),
              FIXTURE_REPO_PREFIX,
              poolHasEstablished,
              window,
              slotRequests.map((r) => r.maxContextTokens ?? 0),
              options.onlyModelId ?? null,
            ],
          });
    const windowFull = candidates.length === window;
    const taken = assignSlots(slotRequests, candidates, { poolHasEstablished }, options.random);
    taken.forEach((taskIndex, k) => {
      const index = allowed[k]!;
      if (taskIndex === null) outcomes[index] = { status: windowFull ? "crowded" : "none" };
      else claimed.push({ index, task: candidates[taskIndex]! });
    });
    if (claimed.length > 0) {
      const column = <T>(pick: (request: ClaimRequest, task: CandidateRow) => T) =>
        claimed.map(({ index, task }) => pick(requests[index]!, task));
      const { rows } = await client.query<{ id: string; taskId: string; runnerId: string }>({
        ...WRITE_STATEMENT,
        values: [
          column((request) => request.assignmentId),
          column((_, task) => task.id),
          column((_, task) => task.modelId),
          column((request) => request.runnerId),
          column((request) => request.owner),
          column((request) => request.claimTokenHash),
          column((request) => request.leaseExpiresAt.toISOString()),
          column((request) => request.now.toISOString()),
          column((request) => runnerById.get(request.runnerId)!.isEstablished),
        ],
      });
      for (const row of rows) events.set(`${row.taskId} ${row.runnerId}`, row.id);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }

  for (const { index, task } of claimed) {
    const request = requests[index]!;
    outcomes[index] = {
      status: "claimed",
      slot: {
        assignmentId: request.assignmentId,
        eventId: events.get(`${task.id} ${request.runnerId}`)!,
        taskId: task.id,
        epoch: task.epoch,
        itemIds: task.itemIds,
        benchmarkId: task.benchmarkId,
        benchmarkName: task.benchmarkName,
        modelId: task.modelId,
        repo: task.repo,
        revision: task.revision,
        weightType: task.weightType,
        baseModel: task.baseModel,
        precision: task.precision,
      },
    };
  }
  await touchRunners(pool, requests, owned, runnerById);
  return outcomes;
}

/** Last contact and GPU of the batch's runners, written only when stale or changed: most batches write nothing. */
async function touchRunners(pool: pg.Pool, requests: readonly ClaimRequest[], valid: number[], runnerById: Map<string, RunnerRow>): Promise<void> {
  const stale = new Map<string, ClaimRequest>();
  for (const index of valid) {
    const request = requests[index]!;
    const runner = runnerById.get(request.runnerId)!;
    const seenLongAgo = !runner.lastSeenAt || request.now.getTime() - runner.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS;
    if (seenLongAgo || (request.gpu !== null && request.gpu !== runner.gpu)) stale.set(request.runnerId, request);
  }
  if (stale.size === 0) return;
  const touched = [...stale.values()];
  await pool.query({
    ...TOUCH_STATEMENT,
    values: [touched.map((r) => r.runnerId), touched.map((r) => r.now.toISOString()), touched.map((r) => r.gpu)],
  });
}

