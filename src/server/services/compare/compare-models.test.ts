/** Head to head on a real PostgreSQL: shared items only, the paired interval, the differing items, the sentence. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAcceptedTask, createModelRow } from "@/test/accepted-tasks";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, TestClock } from "@/test/fixtures";
import { compareModels } from "@/server/services/compare/compare-models";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe("compareModels", () => {
  it("pairs items of the same epochs, says who is better with 95% confidence, and shows both outputs where they differ", async () => {
    const runner = await createRunner(database.db, await createUser(database.db), new TestClock());
    const owner = await createUser(database.db);
    const strong = await createModelRow(database.db, owner.id, "org/strong");
    const weak = await createModelRow(database.db, owner.id, "org/weak");
    const accept = (modelId: string, epoch: number, correct: (i: number) => boolean) =>
      createAcceptedTask(database.db, { modelId, benchmarkKey: "gsm8k@3", epoch, runnerId: runner.runnerId, correct });
    for (const epoch of [1, 2, 3, 4]) {
      await accept(strong, epoch, () => true);
      await accept(weak, epoch, (i) => i === 0);
    }
    await accept(strong, 5, () => true); // not shared: ignored

    const result = await compareModels({ db: database.db, a: strong, b: weak });
    const gsm = result.benchmarks.find((b) => b.benchmark === "gsm8k@3")!;
    expect(gsm.sharedItems).toBe(20);
    expect(gsm.sharedEpochs).toEqual([1, 2, 3, 4]);
    expect(gsm.difference).toBeCloseTo(0.8);
    expect(gsm.interval!.lo).toBeGreaterThan(0);
    expect(gsm.verdict).toBe("a");
    expect(gsm.sentence).toMatch(/^org\/strong is better than org\/weak on GSM8K with 95% confidence \(20 shared items/);
    expect(gsm.differingTotal).toBe(16);
    expect(gsm.differing[0]!.a.score).toBe(1);
    expect(gsm.differing[0]!.b.score).toBe(0);
    expect(gsm.differing[0]!.a.output).toContain("####");

    const reverse = await compareModels({ db: database.db, a: weak, b: strong });
    expect(reverse.benchmarks.find((b) => b.benchmark === "gsm8k@3")!.verdict).toBe("b");

    const twin = await createModelRow(database.db, owner.id, "org/twin");
    await accept(twin, 1, () => true);
    const close = (await compareModels({ db: database.db, a: twin, b: strong })).benchmarks[0]!;
    expect(close.sentence).toBe("Not distinguishable yet on GSM8K: 5 shared items (difference 0, interval 0 to 0).");
  });

  it("refuses the same model twice and unknown ids with a clear error", async () => {
    await expect(compareModels({ db: database.db, a: "x", b: "x" })).rejects.toThrow(/two different models/);
    await expect(compareModels({ db: database.db, a: "nope", b: "nope2" })).rejects.toThrow(/No model has the id nope/);
  });
});
