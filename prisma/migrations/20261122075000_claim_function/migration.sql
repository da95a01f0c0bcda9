-- Claiming a task slot as one call: one round trip and one implicit transaction per claim.
-- The rules and the locking are explained in src/server/services/tasks/claim-task.ts, which calls this function
-- for a claim crowded out of its batch; the batch has already checked the runner and recorded its last contact.
--
-- Why a function: the planner must walk the open-task index in order and stop at the first claimable row. Right
-- after an epoch's tasks are created, table statistics still say "a handful of open tasks" and the planner would
-- sort every open task on every claim instead. The function's own settings (below) pin the ordered walk without
-- a BEGIN / SET LOCAL / COMMIT around the statement, and PL/pgSQL caches the statement's plan per connection.
-- Before PostgreSQL 18 a disabled plan node counts as costing 1e10, which would make every claim worth JIT-compiling
-- (tens of milliseconds each), hence jit = off.
CREATE FUNCTION quorum_claim_task(
  p_owner text,
  p_runner text,
  p_now timestamptz,
  p_lease_expires_at timestamptz,
  p_claim_token_hash text,
  p_assignment_id text,
  p_fixture_prefix text,
  p_fixture boolean
)
RETURNS TABLE (
  "assignmentId" text,
  "taskId" text,
  epoch integer,
  "itemIds" text[],
  "benchmarkId" text,
  "benchmarkName" text,
  "modelId" text,
  repo text,
  revision text,
  "weightType" text,
  "baseModel" text,
  "precision" text,
  "eventId" text
)
LANGUAGE plpgsql
SET enable_bitmapscan = off
SET enable_sort = off
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH runner AS (
    SELECT r.id FROM "Runner" r WHERE r.id = p_runner AND r."ownerId" = p_owner
  ), candidate AS (
    SELECT t.id FROM "Task" t
    JOIN "Model" m ON m.id = t."modelId"
    WHERE t."finishedAt" IS NULL AND t."isFull" = false
      AND cardinality(t."holderOwners") < t."targetResults"
      AND NOT (p_owner = ANY (t."holderOwners"))
      AND m.status = 'ACTIVE' AND m."submitterId" <> p_owner
      AND starts_with(m.repo, p_fixture_prefix) = p_fixture
      AND EXISTS (SELECT 1 FROM runner)
    ORDER BY t."finishedAt", t."isFull", t."createdAt", t."benchmarkId", t.id
    LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
  ), task AS (
    UPDATE "Task" t
    SET "holderOwners" = array_append(t."holderOwners", p_owner),
        "isFull" = cardinality(t."holderOwners") + 1 >= t."targetResults",
        status = CASE WHEN t.status = 'QUEUED' THEN 'RUNNING'::"TaskStatus" ELSE t.status END,
        "updatedAt" = (p_now AT TIME ZONE 'UTC')
    FROM candidate c WHERE t.id = c.id
    RETURNING t.id, t."modelId", t."benchmarkId", t.epoch, t."itemIds"
  ), assignment AS (
    INSERT INTO "Assignment" (id, "taskId", "runnerId", "ownerId", "claimTokenHash", status, "leaseExpiresAt", "createdAt")
    SELECT p_assignment_id, task.id, p_runner, p_owner, p_claim_token_hash, 'ACTIVE',
           (p_lease_expires_at AT TIME ZONE 'UTC'), (p_now AT TIME ZONE 'UTC')
    FROM task
    RETURNING id, "taskId"
  ), event AS (
    INSERT INTO "Event" (kind, "taskId", "modelId", payload)
    SELECT 'task.claimed', task.id, task."modelId", jsonb_build_object('runnerId', p_runner) FROM task
    RETURNING id
  )
  SELECT a.id, task.id, task.epoch, task."itemIds", task."benchmarkId", b.name, m.id, m.repo, m.revision,
         m."weightType"::text, m."baseModel", m.precision::text, (SELECT event.id::text FROM event)
  FROM assignment a
  JOIN task ON task.id = a."taskId"
  JOIN "Model" m ON m.id = task."modelId"
  JOIN "Benchmark" b ON b.id = task."benchmarkId";
END
$$;
