/**
 * Submitting a result. The server trusts nothing a runner claims:
 * - the payload must be signed (ed25519, canonical JSON) by the runner that holds the claim, recently;
 * - the claim must be active and its lease unexpired; a claim is used once (a replay is refused);
 * - the outputs must cover exactly the task's items; every score is recomputed with the shared benchmark module
 *   (the claimed score is stored for audit only) and the outputs hash must match what was signed.
 * - the task must still be open: a result for a decided task is refused with CONFLICT and changes nothing (except a
 *   spot check: a re-issued accepted task, whose result is compared with the canonical one and never changes the board).
 * The result, the consensus decision, the runners' reliability records and the leaderboard row change in one
 * transaction.
 */
import type { Prisma } from "@/generated/prisma/client";
import { BenchmarkInputError } from "@/lib/benchmarks/errors";
import type { BenchmarkDefinition } from "@/lib/benchmarks/benchmark-definition";
import { DatasetFormatError } from "@/lib/benchmarks/community/families";
import { DatasetFetchError } from "@/lib/benchmarks/community/fetch-dataset";
import { scoreOutputsAsync, type ScoredOutputs } from "@/lib/benchmarks/score-outputs";
import type { TSubmitResultRequest } from "@/lib/protocol/runner-api";
import { verifyPayload } from "@/lib/protocol/signing";
import { poolOf, type Db } from "@/server/db";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";
import { AppError } from "@/server/errors";
import { insertEvents, notifyCommitted, type EventInput } from "@/server/services/events/publish-event";
import { updateLeaderboardRow } from "@/server/services/leaderboard/update-leaderboard-row";
import { prepareBenchmark } from "@/server/services/benchmarks/community/load-community-benchmarks";
import { reviewProbation } from "@/server/services/benchmarks/community/review-probation";
import { hashClaimToken } from "@/server/services/tasks/claim-token";
import { compareResults, type ItemEvidence } from "@/server/services/tasks/agreement";
import { decideConsensus, type ConsensusInput } from "@/server/services/tasks/consensus";
import { recordWeightsReport, weightsKeyOf } from "@/server/services/models/record-weights";
import { closeOpenAssignments } from "@/server/services/tasks/manage-claim";
import type { TrustSettings } from "@/server/services/trust/reliability";
import { poolHasEstablished, recordSpotCheck, recordTaskVerdicts } from "@/server/services/trust/update-reliability";

export interface SubmitResultOptions {
  db: Db;
  actorUserId: string;
  request: TSubmitResultRequest;
  now: Date;
  maxSkewSeconds: number;
  trust: TrustSettings;
}

export interface SubmitResultOutcome {
  resultId: string;
  taskStatus: "QUEUED" | "RUNNING" | "VALIDATING" | "ACCEPTED" | "DISPUTED" | "FAILED";
  score: Record<string, number>;
  verdict: "PENDING" | "VALID" | "INVALID";
}

export async function submitResult(options: SubmitResultOptions): Promise<SubmitResultOutcome> {
  const { db, now } = options;
  const { payload, signature } = options.request;

  const assignment = await db.assignment.findUnique({
    where: { claimTokenHash: hashClaimToken(payload.claimToken) },
    include: { runner: true, task: true, result: { select: { id: true } } },
  });
  if (!assignment) {
    throw new AppError("CLAIM_NOT_FOUND", "This claim token is unknown: claim a task first (`pnpm runner pull`).");
  }
  if (
    assignment.ownerId !== options.actorUserId ||
    assignment.runnerId !== payload.runnerId ||
    assignment.id !== payload.assignmentId ||
    assignment.taskId !== payload.taskId
  ) {
    throw new AppError("NOT_ALLOWED", "This claim belongs to another runner or task; nothing was stored.");
  }
  if (!verifyPayload(payload, signature, assignment.runner.publicKey)) {
    throw new AppError(
      "BAD_SIGNATURE",
      "The signature does not match this runner's registered key; nothing was stored. " +
        "If you re-created the runner's key, run `pnpm runner login` again.",
    );
  }
  const skew = Math.abs(now.getTime() - Date.parse(payload.signedAt)) / 1000;
  if (!(skew <= options.maxSkewSeconds)) {
    throw new AppError(
      "STALE_SIGNATURE",
      `The submission was signed ${Math.round(skew)} s away from the server's clock (at most ${options.maxSkewSeconds} s ` +
        `allowed). Check this machine's clock and submit again.`,
    );
  }
  if (assignment.status === "SUBMITTED" || assignment.result) {
    throw new AppError("ALREADY_SUBMITTED", "A result for this claim was already stored; a claim is used once.", {
      details: { resultId: assignment.result?.id },
    });
  }
  const task = assignment.task;
  if (!assignment.isSpotCheck && task.finishedAt !== null) throw decidedConflict(task.status);
  if (assignment.status === "EXPIRED" || (assignment.status === "ACTIVE" && assignment.leaseExpiresAt <= now)) {
    throw new AppError("LEASE_EXPIRED", "This claim's lease expired before the result arrived; nothing was stored.");
  }
  if (assignment.status !== "ACTIVE") {
    throw new AppError("CLAIM_NOT_FOUND", `This claim was ${assignment.status.toLowerCase()}; nothing was stored.`);
  }
  if (payload.benchmark !== task.benchmarkId) {
    throw new AppError("WRONG_ITEMS", `This task is for ${task.benchmarkId}, not ${payload.benchmark}.`, {
      field: "benchmark",
    });
  }
  const expected = new Set(task.itemIds);
  const seen = new Set<string>();
  for (const output of payload.outputs) {
    if (!expected.has(output.item) || seen.has(output.item)) {
      throw new AppError(
        "WRONG_ITEMS",
        `${seen.has(output.item) ? "Duplicate" : "Unexpected"} item ${output.item}: this task's items are ${task.itemIds.join(", ")}.`,
        { field: "outputs" },
      );
    }
    seen.add(output.item);
  }
  if (seen.size !== expected.size) {
    const missing = task.itemIds.filter((item) => !seen.has(item));
    throw new AppError("WRONG_ITEMS", `Outputs are missing for ${missing.join(", ")}.`, { field: "outputs" });
  }

  let definition: BenchmarkDefinition;
  try {
    // A community benchmark: registered from its stored definition, its dataset downloaded and verified by the server.
    definition = await prepareBenchmark(db, task.benchmarkId);
  } catch (error) {
    if (error instanceof DatasetFetchError || error instanceof DatasetFormatError) {
      throw new AppError("UNAVAILABLE", `The server cannot re-score ${task.benchmarkId} now: ${error.message}. Nothing was stored; submit again later.`);
    }
    throw error;
  }
  // Claimed scores are kept for audit only, but must still be the benchmark's metrics with plausible values:
  // bounded metrics lie in [0, 1]; ratio metrics (perplexities, bits per byte) are only at least 0.
  for (const [name, value] of Object.entries(payload.claimedScore)) {
    const metric = definition.metrics.find((m) => m.name === name);
    if (!metric) {
      throw new AppError("VALIDATION", `claimedScore: ${definition.key} has no metric ${name} (its metrics: ${definition.metrics.map((m) => m.name).join(", ")}).`, { field: "claimedScore" });
    }
    if (!metric.ratio && value > 1) {
      throw new AppError("VALIDATION", `claimedScore.${name}: expected a score in [0, 1], got ${value}.`, { field: "claimedScore" });
    }
  }
  let scored: ScoredOutputs;
  try {
    // Async for benchmarks whose outputs are programs: the server runs them itself (code-executor/executor.ts).
    scored = await scoreOutputsAsync(definition, task.itemIds, payload.outputs);
  } catch (error) {
    if (error instanceof BenchmarkInputError) {
      throw new AppError("INVALID_OUTPUTS", `Invalid outputs: ${error.message}`, { field: "outputs" });
    }
    throw error;
  }
  if (scored.outputsSha256 !== payload.outputsSha256) {
    throw new AppError(
      "INVALID_OUTPUTS",
      "outputsSha256 does not match the outputs as the server scores them: the runner's benchmark module differs " +
        "from the server's. Update the runner (git pull && pnpm install) and evaluate the task again.",
      { field: "outputsSha256" },
    );
  }
  const primaryScore = scored.metrics[definition.primaryMetric];
  if (primaryScore === undefined) throw new Error(`benchmark ${definition.key} produced no ${definition.primaryMetric}`);

  const outcome = await db.$transaction(
    async (tx) => {
      const [locked] = await tx.$queryRaw<{ finishedAt: Date | null; status: string }[]>`
        SELECT "finishedAt", status::text AS status FROM "Task" WHERE id = ${task.id} FOR UPDATE`;
      if (!assignment.isSpotCheck && locked?.finishedAt) throw decidedConflict(locked.status);
      const claimed = await tx.assignment.updateMany({
        where: { id: assignment.id, status: "ACTIVE", leaseExpiresAt: { gt: now } },
        data: { status: "SUBMITTED", finishedAt: now },
      });
      if (claimed.count === 0) {
        throw new AppError("LEASE_EXPIRED", "This claim's lease expired before the result arrived; nothing was stored.");
      }
      const result = await tx.result.create({
        data: {
          assignmentId: assignment.id,
          taskId: task.id,
          runnerId: assignment.runnerId,
          records: scored.records as unknown as Prisma.InputJsonValue,
          outputsSha256: scored.outputsSha256,
          claimedScore: payload.claimedScore,
          score: scored.metrics,
          primaryScore,
          engineName: payload.engine.name,
          engineVersion: payload.engine.version,
          imageDigest: payload.engine.imageDigest,
          gpu: payload.gpu,
          runtimeSeconds: payload.runtimeSeconds,
          energyKwh: payload.energyKwh,
          weightsReport: payload.weights as Prisma.InputJsonValue | undefined,
          energyDeclared: payload.energyKwh !== null && payload.energySource === "declared",
          signature,
          signedAt: new Date(payload.signedAt),
          isEstablished: assignment.runner.isEstablished,
          isSpotCheck: assignment.isSpotCheck,
        },
      });
      if (assignment.isSpotCheck) {
        const verdict = await judgeSpotCheck(tx, {
          taskId: task.id,
          resultId: result.id,
          runnerId: assignment.runnerId,
          itemIds: task.itemIds,
          minAgreement: task.minAgreement,
          primary: primaryScore,
          items: evidenceOf(scored.records),
          now,
          trust: options.trust,
        });
        return { response: { resultId: result.id, taskStatus: task.status, score: scored.metrics, verdict }, stored: [] };
      }
      const events: EventInput[] = [
        { kind: "result.submitted", taskId: task.id, modelId: task.modelId, payload: { resultId: result.id } },
      ];
      const taskStatus = await settleConsensus(tx, task.id, now, events, options.trust);
      if (taskStatus === "ACCEPTED" || taskStatus === "DISPUTED") await reviewProbation(tx, task.id, now);
      const stored = await insertEvents(tx, events);
      const verdict = (await tx.result.findUniqueOrThrow({ where: { id: result.id }, select: { verdict: true } }))
        .verdict;
      return { response: { resultId: result.id, taskStatus, score: scored.metrics, verdict }, stored };
    },
    TRANSACTION_OPTIONS,
  );
  // Notified once committed, outside the transaction (see notifyCommitted): submissions don't queue behind the
  // notification lock while their WAL flushes.
  const pool = poolOf(db);
  await Promise.all(outcome.stored.map((event) => notifyCommitted(pool, event)));
  return outcome.response;
}

function decidedConflict(status: string): AppError {
  return new AppError(
    "CONFLICT",
    `This task is already decided (${status.toLowerCase()}); your result was not stored and changes nothing. ` +
      "Claim a new task.",
  );
}

interface StoredRecord {
  item: string;
  extracted: Record<string, string>;
  loglikelihoods?: Record<string, number[]>;
}

function evidenceOf(records: readonly StoredRecord[]): Record<string, ItemEvidence> {
  return Object.fromEntries(
    records.map((record) => [
      record.item,
      { extracted: record.extracted, ...(record.loglikelihoods ? { loglikelihoods: record.loglikelihoods } : {}) },
    ]),
  );
}

/** Compares a spot check's result with the task's canonical result and records the verdict. */
async function judgeSpotCheck(
  tx: Prisma.TransactionClient,
  options: {
    taskId: string;
    resultId: string;
    runnerId: string;
    itemIds: string[];
    minAgreement: number;
    primary: number;
    items: Record<string, ItemEvidence>;
    now: Date;
    trust: TrustSettings;
  },
): Promise<"VALID" | "INVALID"> {
  const task = await tx.task.findUniqueOrThrow({ where: { id: options.taskId }, select: { acceptedResultId: true } });
  const canonical = await tx.result.findUniqueOrThrow({
    where: { id: task.acceptedResultId! },
    select: { primaryScore: true, records: true },
  });
  const { agree } = compareResults(
    { primary: options.primary, items: options.items },
    { primary: canonical.primaryScore, items: evidenceOf(canonical.records as unknown as StoredRecord[]) },
    options.itemIds,
    options.minAgreement,
  );
  const verdict = agree ? "VALID" : "INVALID";
  await tx.result.update({ where: { id: options.resultId }, data: { verdict } });
  await recordSpotCheck(tx, { runnerId: options.runnerId, passed: agree, now: options.now, trust: options.trust });
  return verdict;
}

/** Applies the consensus rule to the task's results, inside the submitting transaction. */
async function settleConsensus(
  tx: Prisma.TransactionClient,
  taskId: string,
  now: Date,
  events: EventInput[],
  trust: TrustSettings,
): Promise<SubmitResultOutcome["taskStatus"]> {
  const task = await tx.task.findUniqueOrThrow({ where: { id: taskId } });
  const results = await tx.result.findMany({
    where: { taskId, isSpotCheck: false },
    select: {
      id: true,
      runnerId: true,
      primaryScore: true,
      records: true,
      isEstablished: true,
      weightsReport: true,
      runner: { select: { ownerId: true } },
    },
    orderBy: { createdAt: "asc" },
  });
  const inputs: ConsensusInput[] = results.map((result) => ({
    id: result.id,
    primary: result.primaryScore,
    isEstablished: result.isEstablished,
    items: evidenceOf(result.records as unknown as StoredRecord[]),
    weightsKey: weightsKeyOf(result.weightsReport),
  }));
  const decision = decideConsensus(inputs, {
    quorum: task.quorum,
    targetResults: task.targetResults,
    maxResults: task.maxResults,
    minAgreement: task.minAgreement,
    itemIds: task.itemIds,
    requireEstablished: results.length >= task.targetResults ? await poolHasEstablished(tx, now) : false,
  });

  if (decision.kind === "waiting") {
    await tx.task.update({ where: { id: taskId }, data: task.status === "DISPUTED" ? {} : { status: "VALIDATING" } });
    return task.status === "DISPUTED" ? "DISPUTED" : "VALIDATING";
  }
  if (decision.kind === "disputed") {
    await tx.task.update({
      where: { id: taskId },
      data: {
        status: "DISPUTED",
        targetResults: decision.targetResults,
        isFull: task.holderOwners.length >= decision.targetResults,
        reason: decision.reason,
        itemAgreement: decision.itemAgreement,
        finishedAt: decision.isFinal ? now : null,
      },
    });
    if (decision.isFinal) await closeOpenAssignments(tx, taskId, now);
    events.push({
      kind: "task.disputed",
      taskId,
      modelId: task.modelId,
      payload: { reason: decision.reason, isFinal: decision.isFinal },
    });
    return "DISPUTED";
  }

  await tx.task.update({
    where: { id: taskId },
    data: {
      status: "ACCEPTED",
      acceptedScore: decision.acceptedScore,
      acceptedResultId: decision.acceptedId,
      itemAgreement: decision.itemAgreement,
      reason: null,
      finishedAt: now,
    },
  });
  await closeOpenAssignments(tx, taskId, now);
  const judged = new Map(results.map((result) => [result.id, { runnerId: result.runnerId, ownerId: result.runner.ownerId }]));
  if (decision.valid.length > 0) {
    await tx.result.updateMany({ where: { id: { in: decision.valid } }, data: { verdict: "VALID" } });
  }
  if (decision.invalid.length > 0) {
    await tx.result.updateMany({ where: { id: { in: decision.invalid } }, data: { verdict: "INVALID" } });
  }
  await recordTaskVerdicts(tx, {
    valid: decision.valid.map((id) => judged.get(id)!),
    invalid: decision.invalid.map((id) => judged.get(id)!),
    now,
    trust,
  });
  await updateLeaderboardRow(tx, { modelId: task.modelId, benchmarkId: task.benchmarkId, acceptedResultId: decision.acceptedId });
  const validIds = new Set(decision.valid);
  await recordWeightsReport(tx, {
    modelId: task.modelId,
    quorum: task.quorum,
    validReports: results.filter((result) => validIds.has(result.id)).map((result) => result.weightsReport),
  });
  events.push({
    kind: "task.accepted",
    taskId,
    modelId: task.modelId,
    payload: { score: decision.acceptedScore, benchmark: task.benchmarkId },
  });
  return "ACCEPTED";
}
