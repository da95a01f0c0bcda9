/**
 * Submitting a result. The server trusts nothing a runner claims:
 * - the payload must be signed (ed25519, canonical JSON) by the runner that holds the claim, recently;
 * - the claim must be active and its lease unexpired; a claim is used once (a replay is refused);
 * - the outputs must cover exactly the task's items; every score is recomputed with the shared benchmark module
 *   (the claimed score is stored for audit only) and the outputs hash must match what was signed.
 * The result, the consensus decision, the runners' trust counters and the leaderboard row change in one transaction.
 */
import type { Prisma } from "@/generated/prisma/client";
import { BenchmarkInputError } from "@/lib/benchmarks/errors";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { scoreOutputs } from "@/lib/benchmarks/score-outputs";
import type { TSubmitResultRequest } from "@/lib/protocol/runner-api";
import { verifyPayload } from "@/lib/protocol/signing";
import { poolOf, type Db } from "@/server/db";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";
import { AppError } from "@/server/errors";
import { insertEvents, notifyCommitted, type EventInput } from "@/server/services/events/publish-event";
import { updateLeaderboardRow } from "@/server/services/leaderboard/update-leaderboard-row";
import { hashClaimToken } from "@/server/services/tasks/claim-token";
import { decideConsensus, type ConsensusInput } from "@/server/services/tasks/consensus";

export interface SubmitResultOptions {
  db: Db;
  actorUserId: string;
  request: TSubmitResultRequest;
  now: Date;
  maxSkewSeconds: number;
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
  if (assignment.status === "EXPIRED" || (assignment.status === "ACTIVE" && assignment.leaseExpiresAt <= now)) {
    throw new AppError("LEASE_EXPIRED", "This claim's lease expired before the result arrived; nothing was stored.");
  }
  if (assignment.status !== "ACTIVE") {
    throw new AppError("CLAIM_NOT_FOUND", `This claim was ${assignment.status.toLowerCase()}; nothing was stored.`);
  }
  const task = assignment.task;
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

  const definition = getBenchmark(task.benchmarkId);
  let scored: ReturnType<typeof scoreOutputs>;
  try {
    scored = scoreOutputs(definition, task.itemIds, payload.outputs);
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
      await tx.$queryRaw`SELECT id FROM "Task" WHERE id = ${task.id} FOR UPDATE`;
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
          signature,
          signedAt: new Date(payload.signedAt),
        },
      });
      const events: EventInput[] = [
        { kind: "result.submitted", taskId: task.id, modelId: task.modelId, payload: { resultId: result.id } },
      ];
      const taskStatus = await settleConsensus(tx, task.id, now, events);
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

/** Applies the consensus rule to the task's results, inside the submitting transaction. */
async function settleConsensus(
  tx: Prisma.TransactionClient,
  taskId: string,
  now: Date,
  events: EventInput[],
): Promise<SubmitResultOutcome["taskStatus"]> {
  const task = await tx.task.findUniqueOrThrow({ where: { id: taskId } });
  const results = await tx.result.findMany({
    where: { taskId },
    select: { id: true, runnerId: true, primaryScore: true, records: true, verdict: true },
    orderBy: { createdAt: "asc" },
  });
  const inputs: ConsensusInput[] = results.map((result) => ({
    id: result.id,
    primary: result.primaryScore,
    extracted: Object.fromEntries(
      (result.records as unknown as { item: string; extracted: Record<string, string> }[]).map((record) => [
        record.item,
        JSON.stringify(record.extracted),
      ]),
    ),
  }));
  const decision = decideConsensus(inputs, {
    quorum: task.quorum,
    targetResults: task.targetResults,
    maxResults: task.maxResults,
    tolerance: task.tolerance,
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
  const runnerOf = new Map(results.map((result) => [result.id, result.runnerId]));
  // Lock the runners whose counts change in one go, in id order: two acceptances sharing runners (or a claim batch
  // touching them) then queue behind each other instead of deadlocking.
  const countedRunners = [...new Set([...decision.valid, ...decision.invalid].map((id) => runnerOf.get(id)!))];
  if (countedRunners.length > 0) {
    await tx.$queryRaw`SELECT id FROM "Runner" WHERE id = ANY(${countedRunners}::text[]) ORDER BY id FOR NO KEY UPDATE`;
  }
  if (decision.valid.length > 0) {
    await tx.result.updateMany({ where: { id: { in: decision.valid } }, data: { verdict: "VALID" } });
    await tx.runner.updateMany({
      where: { id: { in: decision.valid.map((id) => runnerOf.get(id)!) } },
      data: { validCount: { increment: 1 }, consecutiveValid: { increment: 1 } },
    });
  }
  if (decision.invalid.length > 0) {
    await tx.result.updateMany({ where: { id: { in: decision.invalid } }, data: { verdict: "INVALID" } });
    await tx.runner.updateMany({
      where: { id: { in: decision.invalid.map((id) => runnerOf.get(id)!) } },
      data: { invalidCount: { increment: 1 }, consecutiveValid: 0 },
    });
  }
  await updateLeaderboardRow(tx, task.modelId, task.benchmarkId);
  events.push({
    kind: "task.accepted",
    taskId,
    modelId: task.modelId,
    payload: { score: decision.acceptedScore, benchmark: task.benchmarkId },
  });
  return "ACCEPTED";
}
