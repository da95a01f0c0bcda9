/**
 * Weight reports through real submissions on PostgreSQL: consensus covers them, the model keeps the agreed report,
 * and a near-duplicate of another author's earlier model is flagged and left out of competitions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSubmissionPayload } from "@/lib/protocol/runner-api";
import { getCompetition } from "@/server/services/competitions/get-competition";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, fakeOutputs, signedSubmission, TestClock, userCaller, type TestRunner } from "@/test/fixtures";

let database: TestDatabase;
const clock = new TestClock();
let runners: TestRunner[];

beforeAll(async () => {
  database = await createTestDatabase();
  runners = await Promise.all([0, 1, 2, 3, 4].map(async () => createRunner(database.db, await createUser(database.db), clock)));
});
afterAll(async () => database.drop());

type Weights = NonNullable<TSubmissionPayload["weights"]>;
const base = Array.from({ length: 64 }, (_, i) => Math.sin(i + 1));
const report = (fingerprint: number[], parameterCount = 1_000_000): Weights => ({ fingerprint, parameterCount, config: { hidden_size: 64 } });

async function register(repo: string) {
  const submitter = await createUser(database.db);
  const caller = await userCaller(database.db, submitter, clock);
  return caller.model.register({ repo, revision: Math.random().toString(16).slice(2).padEnd(40, "0"), weightType: "ORIGINAL", precision: "BFLOAT16" });
}

/** Every open task of the model, evaluated by `reports.length` runners, each with its own report. */
async function evaluate(modelId: string, reports: Weights[]) {
  const statuses: string[] = [];
  for (let round = 0; round < 2; round++) {
    for (const [i, weights] of reports.entries()) {
      const claim = (await runners[i]!.caller.task.claim({ runnerId: runners[i]!.runnerId, engine: "vllm" })).claim;
      if (!claim || claim.task.model.id !== modelId) throw new Error("expected a task of this model");
      const outputs = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, () => true);
      statuses.push((await runners[i]!.caller.task.submit(signedSubmission(runners[i]!, claim, outputs, { signedAt: clock.now(), weights }))).taskStatus);
    }
  }
  return statuses;
}

describe("weights reports and near-duplicates", () => {
  it("results that read different weights do not agree", async () => {
    const model = await register("org/inconsistent");
    const statuses = await evaluate(model.id, [report(base), report(base), report(base.map((v) => -v))]);
    expect(statuses.slice(0, 3)).toEqual(["VALIDATING", "VALIDATING", "DISPUTED"]);
    await database.db.task.updateMany({ where: { modelId: model.id }, data: { finishedAt: clock.now() } });
  });

  it("keeps the agreed report and flags another author's noisy copy as a near-duplicate of the original", async () => {
    const original = await register("alice/original");
    await evaluate(original.id, [report(base), report(base), report(base)]);
    const stored = await database.db.model.findUniqueOrThrow({ where: { id: original.id } });
    expect(Math.max(...stored.fingerprint.map((v, i) => Math.abs(v - base[i]!)))).toBeLessThan(1e-12);
    expect(Number(stored.parameterCount)).toBe(1_000_000);
    expect(stored.weightsConfig).toEqual({ hidden_size: 64 });
    expect(stored.duplicateOfId).toBeNull();

    const noisy = base.map((v, i) => v + (i % 2 === 0 ? 0.01 : -0.01));
    const copy = await register("mallory/renamed-original");
    await evaluate(copy.id, [report(noisy), report(noisy), report(noisy)]);
    const flagged = await database.db.model.findUniqueOrThrow({ where: { id: copy.id } });
    expect(flagged.duplicateOfId).toBe(original.id);
    expect(flagged.duplicateSimilarity!).toBeGreaterThanOrEqual(0.95);

    const independent = await register("bob/independent");
    await evaluate(independent.id, [0, 1, 2].map(() => report(base.map((_, i) => Math.cos(3 * i)))));
    expect((await database.db.model.findUniqueOrThrow({ where: { id: independent.id } })).duplicateOfId).toBeNull();

    // A board competition of GSM8K ranks everyone, but the copy never takes a place in a king rule.
    const admin = await userCaller(database.db, await createUser(database.db, undefined, "ADMIN"), clock);
    await admin.competition.save({
      slug: "dupes",
      title: "Duplicates",
      rule: "king",
      settings: { benchmarks: [{ key: "gsm8k@3", weight: 1 }], minEvaluations: 1, minSharedItems: 5, winMargin: 0.02 },
    });
    const state = await getCompetition({ db: database.db, slug: "dupes" });
    const named = state.decisions.flatMap((d) => [d.challengerId, d.incumbentId]);
    expect(named).not.toContain(copy.id);
    expect(state.snapshot.pending.map((p) => p.challengerId)).not.toContain(copy.id);
    expect(state.models[copy.id]?.duplicateOfId).toBe(original.id);
  });
});
