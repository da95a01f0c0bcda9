/**
 * The full loop for the benchmark families added after gsm8k and truthfulqa: three runners of three users submit
 * (through the real tRPC procedures, on a real PostgreSQL), the server re-scores (running code for humaneval),
 * consensus accepts, and the board shows the score. Each family is switched on alone (new families start inactive).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getResultOrThrow } from "@/server/services/results/get-result";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, fakeOutputs, signedSubmission, TestClock, userCaller, type TestRunner } from "@/test/fixtures";

const COMMIT = (n: number) => n.toString(16).padStart(40, "b");
let database: TestDatabase;
let clock: TestClock;

beforeAll(async () => {
  database = await createTestDatabase();
  clock = new TestClock();
});
afterAll(async () => database.drop());

async function onlyActive(benchmarkKey: string) {
  await database.db.benchmark.updateMany({ data: { isActive: false } });
  await database.db.benchmark.update({ where: { id: benchmarkKey }, data: { isActive: true } });
}

async function loop(benchmarkKey: string, repo: string, correct: (i: number) => boolean) {
  await onlyActive(benchmarkKey);
  const submitter = await createUser(database.db, undefined, "ADMIN");
  const model = await (await userCaller(database.db, submitter, clock)).model.register({
    repo,
    revision: COMMIT(repo.length),
    weightType: "ORIGINAL",
    precision: "BFLOAT16",
  });
  const tasks = await database.db.task.findMany({ where: { modelId: model.id } });
  expect(tasks.map((task) => task.benchmarkId)).toEqual([benchmarkKey]);
  const runners: TestRunner[] = [];
  for (let i = 0; i < 3; i++) runners.push(await createRunner(database.db, await createUser(database.db), clock));
  const statuses: string[] = [];
  for (const runner of runners) {
    const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
    expect(claim?.task.benchmark.key).toBe(benchmarkKey);
    const outputs = fakeOutputs(benchmarkKey, claim!.task.itemIds, (_item, i) => correct(i));
    const outcome = await runner.caller.task.submit(signedSubmission(runner, claim!, outputs, { signedAt: clock.now() }));
    statuses.push(outcome.taskStatus);
  }
  expect(statuses).toEqual(["VALIDATING", "VALIDATING", "ACCEPTED"]);
  const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
  return { model, entry: board.entries.find((entry) => entry.modelId === model.id)! };
}

describe("new benchmark families, end to end", () => {
  it(
    "humaneval@1: the server runs each submission's programs; 4 of 5 pass, accepted, on the board with n and an interval",
    async () => {
      const { entry } = await loop("humaneval@1", "org/coder", (i) => i !== 2);
      const score = entry.scores["humaneval@1"]!["pass@1"]!;
      expect(score.mean).toBeCloseTo(0.8);
      expect(score.n).toBe(5);
      expect(score.lo).toBeLessThan(0.8);
      const task = await database.db.task.findFirstOrThrow({ where: { benchmarkId: "humaneval@1", status: "ACCEPTED" } });
      const result = await database.db.result.findUniqueOrThrow({ where: { id: task.acceptedResultId! } });
      const records = result.records as { item: string; extracted: Record<string, string>; detail?: { reason: string } }[];
      // Which problem sits at index 2 depends on the task's item draw; `return None` fails either on an assertion or
      // on the first use of the missing value (a TypeError), and the record says which.
      expect(records[2]).toMatchObject({ extracted: { "pass@1": "fail" } });
      expect(records[2]!.detail!.reason).toMatch(/^(a test assertion failed|[A-Za-z]+Error: .+)$/);
      expect(records[0]).toMatchObject({ extracted: { "pass@1": "pass" }, detail: { reason: "" } });
    },
    // Three sandbox starts (one per submission): seconds each, far more on a loaded 2-core machine.
    300_000,
  );

  it.each(["claim_verdict_ll@1", "claim_verdict_gen@1"])(
    "%s: groups of four, accuracy over records and group consistency reach the board",
    async (key) => {
      const { entry } = await loop(key, `org/judge-${key.length}`, (i) => i !== 0);
      expect(entry.scores[key]!.accuracy).toMatchObject({ mean: 0.8, n: 5 });
      expect(entry.scores[key]!.group_consistency).toMatchObject({ mean: 0.8, n: 5 });
      const task = await database.db.task.findFirstOrThrow({ where: { benchmarkId: key, status: "ACCEPTED" } });
      const result = await getResultOrThrow({ db: database.db, resultId: task.acceptedResultId! });
      expect(result.items[1]!.question).toMatch(/^r0\. Claim: .*\n {4}Evidence: /);
      if (key === "claim_verdict_gen@1") {
        // The model page shows each record's justification and whether it quotes the evidence.
        expect(result.items[1]!.detail).toMatchObject({ "r0.cites_evidence": "yes" });
        expect(result.items[1]!.detail!["r0.justification"]).toMatch(/^The evidence says: "/);
      } else {
        expect(result.items[1]!.loglikelihoods).toMatchObject({ r0: [expect.any(Number), expect.any(Number)] });
      }
    },
    60_000,
  );

  it(
    "heldout_ppl@1: lower is better on the board; per-window log-likelihoods agree; the overall score uses 2^-bits",
    async () => {
      const { entry } = await loop("heldout_ppl@1", "org/compressor", () => true);
      const bits = entry.scores["heldout_ppl@1"]!.bits_per_byte!;
      expect(bits.mean).toBeCloseTo(0.5 / Math.LN2, 6);
      expect(bits.n).toBe(5);
      expect(entry.overall!.mean).toBeCloseTo(2 ** -(0.5 / Math.LN2), 6);
      const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
      expect(board.benchmarks.find((benchmark) => benchmark.id === "heldout_ppl@1")?.lowerIsBetter).toEqual([
        "bits_per_byte",
        "byte_perplexity",
        "word_perplexity",
      ]);
    },
    60_000,
  );

  it(
    "long context: tiers only within the model's context length, claimed only by runners whose GPUs hold them; the board shows the highest tier passed",
    async () => {
      await database.db.benchmark.updateMany({ data: { isActive: false } });
      await database.db.benchmark.updateMany({ where: { id: { in: ["longctx_4k@1", "longctx_128k@1", "longctx_512k@1"] } }, data: { isActive: true } });
      const submitter = await createUser(database.db, undefined, "ADMIN");
      const model = await (await userCaller(database.db, submitter, clock)).model.register({
        repo: "org/long-reader",
        revision: COMMIT(99),
        weightType: "ORIGINAL",
        precision: "BFLOAT16",
      });
      // Registration scheduled with the default context length (32,768): only the 4k tier.
      expect((await database.db.task.findMany({ where: { modelId: model.id } })).map((task) => task.benchmarkId)).toEqual(["longctx_4k@1"]);
      await database.db.model.update({ where: { id: model.id }, data: { contextLength: 131_072 } });
      await database.db.task.updateMany({ where: { modelId: model.id }, data: { status: "RUNNING" } });
      const { scheduleTasks } = await import("@/server/services/tasks/schedule-tasks");
      await scheduleTasks({ db: database.db, now: clock.now(), epochMinutes: 60, modelIds: [model.id] });
      await database.db.task.updateMany({ where: { modelId: model.id, benchmarkId: "longctx_4k@1" }, data: { status: "QUEUED" } });
      const tasks = await database.db.task.findMany({ where: { modelId: model.id }, orderBy: { benchmarkId: "asc" } });
      expect(tasks.map((task) => [task.benchmarkId, task.contextTokens])).toEqual([
        ["longctx_128k@1", 131072],
        ["longctx_4k@1", 4096],
      ]);
      const runners: TestRunner[] = [];
      for (let i = 0; i < 3; i++) runners.push(await createRunner(database.db, await createUser(database.db), clock));
      // A runner reporting no capacity, or 32k, cannot take the 128k tier; 4k it can.
      const small = await runners[0]!.caller.task.claim({ runnerId: runners[0]!.runnerId, engine: "vllm", maxContextTokens: 32_768 });
      expect(small.claim?.task.benchmark.key).toBe("longctx_4k@1");
      const none = await runners[0]!.caller.task.claim({ runnerId: runners[0]!.runnerId, engine: "vllm", maxContextTokens: 32_768 });
      expect(none.claim).toBeNull();
      const submit = async (runner: TestRunner, claim: NonNullable<typeof small.claim>, correct: (i: number) => boolean) => {
        const outputs = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, (_item, i) => correct(i));
        return (await runner.caller.task.submit(signedSubmission(runner, claim, outputs, { signedAt: clock.now() }))).taskStatus;
      };
      expect(await submit(runners[0]!, small.claim!, () => true)).toBe("VALIDATING");
      const claimed: string[] = [];
      for (const runner of [...runners.slice(1), ...runners.slice(1)]) {
        const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm", maxContextTokens: 262_144 });
        claimed.push(claim!.task.benchmark.key);
        await submit(runner, claim!, claim!.task.benchmark.key === "longctx_4k@1" ? () => true : (i) => i < 3);
      }
      expect(claimed.sort()).toEqual(["longctx_128k@1", "longctx_128k@1", "longctx_4k@1", "longctx_4k@1"]);
      const big = await runners[0]!.caller.task.claim({ runnerId: runners[0]!.runnerId, engine: "vllm", maxContextTokens: 131_072 });
      expect(big.claim?.task.benchmark.key).toBe("longctx_128k@1");
      await submit(runners[0]!, big.claim!, (i) => i < 3);
      const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
      const entry = board.entries.find((candidate) => candidate.modelId === model.id)!;
      expect(entry.scores["longctx_4k@1"]!.string_match_all!.mean).toBe(1);
      expect(entry.scores["longctx_128k@1"]!.string_match_all!.mean).toBeCloseTo(0.6);
      // 4k passed (1.0 >= 0.85), 128k not (0.6); best reward max(1 × 1.0, 0.6 × 1.2) = 1.
      expect(entry.longContext).toEqual({ highestTierPassed: "4k", score: 1 });
    },
    120_000,
  );
});
