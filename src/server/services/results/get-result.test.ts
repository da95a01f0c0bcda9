/** result.get and result.listEpochScores through the real procedures, on a real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wilsonInterval } from "@/lib/benchmarks/aggregate";
import type { TClaim } from "@/lib/protocol/runner-api";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, fakeOutputs, signedSubmission, TestClock, userCaller, type TestRunner } from "@/test/fixtures";

let database: TestDatabase;
const clock = new TestClock();
let modelId: string;
let acceptedResultId: string;
let openResultId: string;

let countingRunnerId: string;

async function submit(runner: TestRunner, claim: TClaim, correct: (index: number) => boolean, tokens = false) {
  const outputs = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, (_, index) => correct(index));
  // An engine that reports each item's token count (information only: it must not change the agreement).
  const counted = tokens ? outputs.map((output, index) => ({ ...output, tokens: 1000 + index })) : outputs;
  return runner.caller.task.submit(signedSubmission(runner, claim, counted, { signedAt: clock.now() }));
}

beforeAll(async () => {
  database = await createTestDatabase();
  const admin = await userCaller(database.db, await createUser(database.db, undefined, "ADMIN"), clock);
  modelId = (await admin.model.register({ repo: "org/open-book", revision: "c".repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16" })).id;
  const runners = await Promise.all([0, 1, 2].map(async () => createRunner(database.db, await createUser(database.db), clock)));
  // GSM8K: three runners agree (4 of 5 right): accepted. TruthfulQA: one result in, still open.
  countingRunnerId = runners[1]!.runnerId;
  for (const runner of runners) {
    const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
    expect(claim?.task.benchmark.key).toBe("gsm8k@3");
    await submit(runner, claim!, (index) => index < 4, runner.runnerId === countingRunnerId);
  }
  const { claim } = await runners[0]!.caller.task.claim({ runnerId: runners[0]!.runnerId, engine: "vllm" });
  expect(claim?.task.benchmark.key).toBe("truthfulqa_mc@2");
  openResultId = (await submit(runners[0]!, claim!, () => true)).resultId;
  const task = await database.db.task.findFirstOrThrow({ where: { modelId, benchmarkId: "gsm8k@3" } });
  expect(task.status).toBe("ACCEPTED");
  acceptedResultId = task.acceptedResultId!;
});
afterAll(async () => database.drop());

describe("result.get", () => {
  it("shows each item's reported token count where the runner sent one, and the counts do not change the agreement", async () => {
    const anonymous = await userCaller(database.db, null, clock);
    const results = await database.db.result.findMany({ where: { task: { modelId, benchmarkId: "gsm8k@3" } }, select: { id: true, runnerId: true, verdict: true } });
    expect(results).toHaveLength(3);
    // All three agree (the task was accepted above), the one with token counts included.
    expect(results.every((r) => r.verdict === "VALID")).toBe(true);
    for (const { id, runnerId } of results) {
      const { items } = await anonymous.result.get({ id });
      if (runnerId === countingRunnerId) expect(items.map((item) => item.tokens)).toEqual([1000, 1001, 1002, 1003, 1004]);
      else expect(items.every((item) => item.tokens === null)).toBe(true);
    }
  });

  it("publishes a decided task's per-item outputs to anyone, with the question, reference and scores", async () => {
    const anonymous = await userCaller(database.db, null, clock);
    const result = await anonymous.result.get({ id: acceptedResultId });
    expect(result).toMatchObject({ isAccepted: true, verdict: "VALID", benchmark: { id: "gsm8k@3" }, task: { status: "ACCEPTED" } });
    expect(result.items).toHaveLength(5);
    const [first] = result.items;
    expect(first!.item).toMatch(/^test\/\d+$/);
    expect(first!.question).toEqual(expect.any(String));
    expect(first!.output).toMatch(/#### /);
    expect(first!.output).toContain(first!.reference!);
    expect(first!.extracted["strict-match"]).toBe(first!.reference);
    expect(first!.scores["exact_match,strict-match"]).toBe(1);
    expect(result.items[4]!.scores["exact_match,strict-match"]).toBe(0);
    expect(first!.promptSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps an open task's outputs private, so that runners cannot copy each other", async () => {
    const anonymous = await userCaller(database.db, null, clock);
    await expect(anonymous.result.get({ id: openResultId })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/published once the task is decided/),
    });
    await expect(anonymous.result.get({ id: "no-such-result" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("describes multiple-choice items with their choices and labels", async () => {
    await database.db.task.updateMany({ where: { modelId, benchmarkId: "truthfulqa_mc@2" }, data: { status: "FAILED" } });
    const result = await (await userCaller(database.db, null, clock)).result.get({ id: openResultId });
    const [item] = result.items;
    expect(item!.choices?.mc1?.[0]).toMatchObject({ isTrue: true });
    expect(item!.choices?.mc1?.length).toBe(item!.loglikelihoods?.mc1?.length);
    expect(item!.choices?.mc2?.length).toBe(item!.loglikelihoods?.mc2?.length);
    expect(item!.reference).toBe(item!.choices?.mc1?.[0]?.text);
  });
});

describe("result.listEpochScores", () => {
  it("gives one point per accepted task with the interval of its 5 items", async () => {
    const series = await (await userCaller(database.db, null, clock)).result.listEpochScores({ modelId });
    expect(series.map((entry) => entry.benchmarkId)).toEqual(["gsm8k@3"]);
    const [point] = series[0]!.points;
    const { lo, hi } = wilsonInterval(4, 5);
    expect(point).toMatchObject({ n: 5, mean: 0.8 });
    expect(point!.lo).toBeCloseTo(lo);
    expect(point!.hi).toBeCloseTo(hi);
    expect(point!.startsAt).toBeInstanceOf(Date);
  });
});
