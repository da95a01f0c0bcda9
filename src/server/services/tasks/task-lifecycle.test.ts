/**
 * The evaluation state machine on a real PostgreSQL, through the real tRPC procedures, with an injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TClaim } from "@/lib/protocol/runner-api";
import { poolItemScores, type ScoredItem } from "@/lib/benchmarks/aggregate";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { updateLeaderboardRow } from "@/server/services/leaderboard/update-leaderboard-row";
import { reapExpiredLeases } from "@/server/services/tasks/manage-claim";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import {
  createRunner,
  createUser,
  fakeOutputs,
  signedSubmission,
  TestClock,
  userCaller,
  type TestRunner,
} from "@/test/fixtures";

const COMMIT = (n: number) => n.toString(16).padStart(40, "a");
let database: TestDatabase;
let clock: TestClock;

beforeAll(async () => {
  database = await createTestDatabase();
  clock = new TestClock();
});
afterAll(async () => database.drop());

async function registerModel(repo: string, revision: string, asAdmin = true) {
  const submitter = await createUser(database.db, undefined, asAdmin ? "ADMIN" : "USER");
  const caller = await userCaller(database.db, submitter, clock);
  const model = await caller.model.register({ repo, revision, weightType: "ORIGINAL", precision: "BFLOAT16" });
  return { submitter, model };
}

async function claimFor(runner: TestRunner, engine: "vllm" | "fixture" = "vllm"): Promise<TClaim | null> {
  return (await runner.caller.task.claim({ runnerId: runner.runnerId, engine })).claim;
}

async function submit(runner: TestRunner, claim: TClaim, correct: boolean | ((i: number) => boolean)) {
  const decide = typeof correct === "function" ? (_: string, i: number) => correct(i) : () => correct;
  const outputs = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, decide);
  return runner.caller.task.submit(signedSubmission(runner, claim, outputs, { signedAt: clock.now() }));
}

async function threeRunners(): Promise<TestRunner[]> {
  return Promise.all(
    [0, 1, 2].map(async () => createRunner(database.db, await createUser(database.db), clock)),
  );
}

describe("a model's evaluation", () => {
  it("is accepted when three runners of three other users agree, and reaches the leaderboard with n and an interval", async () => {
    const { model } = await registerModel("org/accepted-model", COMMIT(1));
    const tasks = await database.db.task.findMany({ where: { modelId: model.id } });
    expect(tasks.map((t) => t.benchmarkId).sort()).toEqual(["gsm8k@3", "truthfulqa_mc@2"]);
    expect(tasks.every((t) => t.status === "QUEUED" && t.itemIds.length === 5)).toBe(true);

    const runners = await threeRunners();
    for (const benchmark of ["gsm8k@3", "truthfulqa_mc@2"]) {
      const outcomes = [];
      for (const runner of runners) {
        const claim = await claimFor(runner);
        expect(claim?.task.model.repo).toBe("org/accepted-model");
        expect(claim?.task.benchmark.key).toBe(benchmark);
        outcomes.push(await submit(runner, claim!, (i) => i !== 4));
      }
      expect(outcomes.map((o) => o.taskStatus)).toEqual(["VALIDATING", "VALIDATING", "ACCEPTED"]);
    }
    const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
    const entry = board.entries.find((e) => e.modelId === model.id)!;
    const gsm = entry.scores["gsm8k@3"]!["exact_match,strict-match"]!;
    expect(gsm.mean).toBeCloseTo(0.8);
    expect(gsm.n).toBe(5);
    expect(gsm.lo).toBeLessThan(0.8);
    expect(gsm.hi).toBeGreaterThan(0.8);
    expect(entry.overall).not.toBeNull();
    expect(entry.rank).toBe(1);
    const runnersAfter = await database.db.runner.findMany({ where: { id: { in: runners.map((r) => r.runnerId) } } });
    expect(runnersAfter.every((r) => r.validCount === 2 && r.consecutiveValid === 2)).toBe(true);
    const accepted = await database.db.task.findMany({ where: { modelId: model.id } });
    expect(accepted.every((t) => t.status === "ACCEPTED" && t.itemAgreement === 1)).toBe(true);

    // The row is kept incrementally from per-item sums; it equals pooling every accepted result's records.
    for (const task of accepted) {
      const row = await database.db.leaderboardRow.findUniqueOrThrow({ where: { modelId_benchmarkId: { modelId: model.id, benchmarkId: task.benchmarkId } } });
      const result = await database.db.result.findUniqueOrThrow({ where: { id: task.acceptedResultId! } });
      const records = result.records as unknown as ScoredItem[];
      const definition = getBenchmark(task.benchmarkId);
      const pooled = poolItemScores([records], definition.primaryMetric, definition.metrics.find((m) => m.name === definition.primaryMetric)!.kind);
      expect({ n: row.n, acceptedTasks: row.acceptedTasks }).toEqual({ n: pooled.n, acceptedTasks: 1 });
      for (const key of ["mean", "lo", "hi"] as const) expect(row[key]).toBeCloseTo(pooled[key], 12);
      // A second acceptance covering the same items (a later epoch) counts each item once, with its mean.
      await database.db.$transaction((tx) => updateLeaderboardRow(tx, { modelId: model.id, benchmarkId: task.benchmarkId, acceptedResultId: task.acceptedResultId! }));
      const again = await database.db.leaderboardRow.findUniqueOrThrow({ where: { modelId_benchmarkId: { modelId: model.id, benchmarkId: task.benchmarkId } } });
      const pooledTwice = poolItemScores([records, records], definition.primaryMetric, definition.metrics.find((m) => m.name === definition.primaryMetric)!.kind);
      expect(again.n).toBe(pooledTwice.n);
      expect(again.mean).toBeCloseTo(pooledTwice.mean, 12);
      expect(again.acceptedTasks).toBe(2);
    }

    // Deleting a runner (or its owner) never erases accepted results.
    await expect(database.db.runner.delete({ where: { id: runners[0]!.runnerId } })).rejects.toThrow();
    await expect(database.db.user.delete({ where: { id: runners[0]!.user.id } })).rejects.toThrow();
    expect(await database.db.result.count({ where: { runnerId: runners[0]!.runnerId } })).toBe(2);
  });

  it("never lets a runner evaluate its owner's model, nor two runners of one owner share a task", async () => {
    const { submitter } = await registerModel("org/own-model", COMMIT(2), true);
    const ownRunner = await createRunner(database.db, submitter, clock);
    expect(await claimFor(ownRunner)).toBeNull();

    const owner = await createUser(database.db);
    const first = await createRunner(database.db, owner, clock);
    const second = await createRunner(database.db, owner, clock);
    const a = await claimFor(first);
    const b = await claimFor(second);
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(b!.task.id).not.toBe(a!.task.id);
    expect(await claimFor(await createRunner(database.db, owner, clock))).toBeNull();
    for (const claim of [a!, b!]) {
      await (claim === a ? first : second).caller.task.release({ claimToken: claim.claimToken, reason: "test over", kind: "released" });
    }
  });

  it("frees an abandoned claim when its lease expires, and heartbeats keep a claim alive", async () => {
    await database.db.task.updateMany({ where: { status: { notIn: ["ACCEPTED"] } }, data: { status: "FAILED", finishedAt: new Date() } });
    const { model } = await registerModel("org/lease-model", COMMIT(3));
    const [alive, abandoned, late] = await threeRunners();
    const aliveClaim = (await claimFor(alive!))!;
    const abandonedClaim = (await claimFor(abandoned!))!;
    expect(abandonedClaim.task.model.id).toBe(model.id);

    clock.advanceMinutes(15);
    await alive!.caller.task.heartbeat({ claimToken: aliveClaim.claimToken });
    clock.advanceMinutes(10);
    expect(await reapExpiredLeases({ db: database.db, now: clock.now() })).toBe(1);
    const expired = await database.db.assignment.findFirstOrThrow({ where: { runnerId: abandoned!.runnerId } });
    expect(expired.status).toBe("EXPIRED");
    expect(expired.failureReason).toMatch(/lease expired at .* no heartbeat since/);

    await expect(submit(abandoned!, abandonedClaim, true)).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/lease expired/),
    });
    const retaken = (await claimFor(late!))!;
    expect(retaken.task.id).toBe(abandonedClaim.task.id);
    expect((await submit(alive!, aliveClaim, true)).verdict).toBe("PENDING");
  });

  it("disputes a noisy result, opens more slots, and accepts the majority, marking the outlier invalid", async () => {
    await database.db.task.updateMany({ where: { status: { notIn: ["ACCEPTED"] } }, data: { status: "FAILED", finishedAt: new Date() } });
    const { model } = await registerModel("org/disputed-model", COMMIT(4));
    const runners = await Promise.all(
      Array.from({ length: 5 }, async () => createRunner(database.db, await createUser(database.db), clock)),
    );
    const noisy = runners[2]!;
    const statuses = [];
    for (const runner of runners.slice(0, 3)) {
      const claim = (await claimFor(runner))!;
      expect(claim.task.model.id).toBe(model.id);
      statuses.push((await submit(runner, claim, runner !== noisy)).taskStatus);
    }
    expect(statuses).toEqual(["VALIDATING", "VALIDATING", "DISPUTED"]);
    const disputed = await database.db.task.findFirstOrThrow({ where: { modelId: model.id, benchmarkId: "gsm8k@3" } });
    expect(disputed.status).toBe("DISPUTED");
    expect(disputed.targetResults).toBe(5);
    expect(disputed.reason).toBe("Of the 3 results, no strict majority agrees item by item; collecting up to 5 results to find a majority.");

    for (const runner of runners.slice(3)) {
      const claim = (await claimFor(runner))!;
      expect(claim.task.id).toBe(disputed.id);
      statuses.push((await submit(runner, claim, true)).taskStatus);
    }
    expect(statuses.slice(3)).toEqual(["DISPUTED", "ACCEPTED"]);
    const results = await database.db.result.findMany({ where: { taskId: disputed.id }, include: { runner: true } });
    expect(results.find((r) => r.runnerId === noisy.runnerId)?.verdict).toBe("INVALID");
    expect(results.filter((r) => r.verdict === "VALID")).toHaveLength(4);
    expect(results.find((r) => r.runnerId === noisy.runnerId)?.runner.consecutiveValid).toBe(0);
    expect((await database.db.task.findUniqueOrThrow({ where: { id: disputed.id } })).acceptedScore).toBe(1);
  });

  it("stays visibly disputed when no majority forms within the maximum number of results", async () => {
    await database.db.task.updateMany({ where: { status: { notIn: ["ACCEPTED"] } }, data: { status: "FAILED", finishedAt: new Date() } });
    // Only a GSM8K task for this model, so that every claim below lands on it.
    await database.db.benchmark.update({ where: { id: "truthfulqa_mc@2" }, data: { isActive: false } });
    const { model } = await registerModel("org/split-model", COMMIT(5));
    await database.db.benchmark.update({ where: { id: "truthfulqa_mc@2" }, data: { isActive: true } });
    const pattern = [true, false, (i: number) => i < 3, (i: number) => i < 1, (i: number) => i < 4, (i: number) => i < 2, false];
    for (const correct of pattern) {
      const runner = await createRunner(database.db, await createUser(database.db), clock);
      const claim = (await claimFor(runner))!;
      expect(claim.task.model.id).toBe(model.id);
      await submit(runner, claim, correct);
    }
    const task = await database.db.task.findFirstOrThrow({ where: { modelId: model.id, benchmarkId: "gsm8k@3" } });
    expect(task.status).toBe("DISPUTED");
    expect(task.targetResults).toBe(7);
    expect(task.reason).toMatch(/Of the 7 results, no strict majority agrees item by item/);
    const extra = await createRunner(database.db, await createUser(database.db), clock);
    const next = await claimFor(extra);
    expect(next?.task.id).not.toBe(task.id);
    const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
    expect(board.entries.find((e) => e.modelId === model.id)?.disputedTasks).toBeGreaterThanOrEqual(1);
  });
});
