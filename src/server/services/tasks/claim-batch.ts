/**
 * Claims in batches: the claims that reach the server together are decided in one transaction (group commit).
 *
 * One batch, whatever its size, is five round trips: the runners are checked; then, in one transaction, the open
 * tasks the batch may need are locked (oldest first, `FOR UPDATE SKIP LOCKED`: concurrent batches move on to the
 * next tasks instead of queueing), the slots are assigned in memory by `assignSlots` on those locked rows — which
 * nobody else can change until the commit — and one statement writes every task update, assignment and event.
 * A lone claim is a batch of one and waits for nothing.
 */
import type pg from "pg";
import { FIXTURE_REPO_PREFIX } from "@/lib/protocol/runner-api";
import { assignSlots } from "@/server/services/tasks/claim-matching";

export interface ClaimRequest {
  owner: string;
  runnerId: string;
  gpu: string | null;
  fixture: boolean;
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
}

interface CandidateRow extends Omit<ClaimedSlot, "assignmentId" | "eventId" | "taskId"> {
  id: string;
  holderOwners: string[];
  targetResults: number;
  submitterId: string;
  fixture: boolean;
}

/**
 * How many open tasks a batch of `claims` locks. Most open tasks have room for more than one runner (three slots
 * by default), so half the batch plus a margin covers it; a claim left over walks on alone (status "crowded").
 * Locking fewer rows writes less and leaves more of the queue's head to concurrent batches.
 */
function lockWindow(claims: number): number {
  return Math.ceil(claims / 2) + 2;
}

const RUNNERS_STATEMENT = {
  name: "quorum_claim_runners_v1",
  text: `SELECT id, "ownerId", "lastSeenAt" AT TIME ZONE 'UTC' AS "lastSeenAt", gpu FROM "Runner" WHERE id = ANY ($1::text[])`,
};

/**
 * The open tasks, oldest first, that at least one of the batch's runners may take ($1 owners, $2 fixture flags,
 * $3 the fixture repo prefix, $4 how many). Each row is locked and re-checked against its newest version before
 * it is returned, so the rows describe the tasks exactly as they stand until this transaction commits.
 */
const CANDIDATES_STATEMENT = {
  name: "quorum_claim_candidates_v1",
  text: `
    SELECT t.id, t."holderOwners", t."targetResults", t.epoch, t."itemIds", t."benchmarkId", b.name AS "benchmarkName",
           t."modelId", m."submitterId", starts_with(m.repo, $3) AS fixture, m.repo, m.revision, m."weightType",
           m."baseModel", m.precision
    FROM "Task" t
    JOIN "Model" m ON m.id = t."modelId"
    JOIN "Benchmark" b ON b.id = t."benchmarkId"
    WHERE t."finishedAt" IS NULL AND t."isFull" = false
      AND cardinality(t."holderOwners") < t."targetResults"
      AND m.status = 'ACTIVE'
      AND EXISTS (
        SELECT 1 FROM unnest($1::text[], $2::boolean[]) AS r(owner, fixture)
        WHERE r.owner <> m."submitterId" AND NOT (r.owner = ANY (t."holderOwners"))
          AND r.fixture = starts_with(m.repo, $3))
    ORDER BY t."finishedAt", t."isFull", t."createdAt", t."benchmarkId", t.id
    LIMIT $4
    FOR UPDATE OF t SKIP LOCKED`,
};

/** Every slot the batch took: task rows, assignments and their events, in one statement. */
const WRITE_STATEMENT = {
  name: "quorum_claim_write_v1",
  text: `
    WITH claim AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::timestamptz[], $8::timestamptz[])
        WITH ORDINALITY AS c(assignment_id, task_id, model_id, runner_id, owner_id, token_hash, lease_expires_at, now, ord)
    ), task AS (
      UPDATE "Task" t
      SET "holderOwners" = t."holderOwners" || g.owners,
          "isFull" = cardinality(t."holderOwners") + cardinality(g.owners) >= t."targetResults",
          status = CASE WHEN t.status = 'QUEUED' THEN 'RUNNING'::"TaskStatus" ELSE t.status END,
          "updatedAt" = (g.now AT TIME ZONE 'UTC')
      FROM (SELECT task_id, array_agg(owner_id ORDER BY ord) AS owners, max(now) AS now FROM claim GROUP BY task_id) g
      WHERE t.id = g.task_id
      RETURNING t.id
    ), assignment AS (
      INSERT INTO "Assignment" (id, "taskId", "runnerId", "ownerId", "claimTokenHash", status, "leaseExpiresAt", "createdAt")
      SELECT assignment_id, task_id, runner_id, owner_id, token_hash, 'ACTIVE',
             (lease_expires_at AT TIME ZONE 'UTC'), (now AT TIME ZONE 'UTC')
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

export async function runClaimBatch(pool: pg.Pool, requests: readonly ClaimRequest[]): Promise<ClaimOutcome[]> {
  const outcomes: ClaimOutcome[] = requests.map(() => ({ status: "not-yours" }));
  const { rows: runners } = await pool.query<RunnerRow>({
    ...RUNNERS_STATEMENT,
    values: [[...new Set(requests.map((request) => request.runnerId))]],
  });
  const runnerById = new Map(runners.map((runner) => [runner.id, runner]));
  const valid = requests.flatMap((request, index) => (runnerById.get(request.runnerId)?.ownerId === request.owner ? [index] : []));
  if (valid.length === 0) return outcomes;

  const claimed: { index: number; task: CandidateRow }[] = [];
  const events = new Map<string, string>(); // `${taskId} ${runnerId}` -> event id
  const client = await pool.connect();
  try {
    await client.query(BEGIN_CLAIM);
    const { rows: candidates } = await client.query<CandidateRow>({
      ...CANDIDATES_STATEMENT,
      values: [valid.map((i) => requests[i]!.owner), valid.map((i) => requests[i]!.fixture), FIXTURE_REPO_PREFIX, lockWindow(valid.length)],
    });
    const windowFull = candidates.length === lockWindow(valid.length);
    const taken = assignSlots(
      valid.map((i) => requests[i]!),
      candidates,
    );
    taken.forEach((taskIndex, k) => {
      const index = valid[k]!;
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
  await touchRunners(pool, requests, valid, runnerById);
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

