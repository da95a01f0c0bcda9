/**
 * Bundles and warm models on a real PostgreSQL through the real procedure: a claim may take several tasks of one
 * model (one engine start), every task passing the ordinary rules; the caps count a bundle as one claim; a warm
 * model is preferred only when the server gave this runner a task of it recently.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, TestClock, userCaller, type TestRunner } from "@/test/fixtures";

let database: TestDatabase;
let clock: TestClock;
let counter = 0;

beforeAll(async () => {
  database = await createTestDatabase({ max: 8 });
  clock = new TestClock(new Date());
});
afterAll(async () => database.drop());
beforeEach(async () => {
  await database.db.task.updateMany({ where: { finishedAt: null }, data: { status: "FAILED", finishedAt: new Date() } });
  await database.db.assignment.updateMany({ where: { status: "ACTIVE" }, data: { status: "RELEASED" } });
});

async function model(owner?: Awaited<ReturnType<typeof createUser>>) {
  const admin = owner ?? (await createUser(database.db, undefined, "ADMIN"));
  return (await userCaller(database.db, admin, clock)).model.register({
    repo: `org/bundle-${++counter}`,
    revision: counter.toString(16).padStart(40, "d"),
    weightType: "ORIGINAL",
    precision: "BFLOAT16",
  });
}

async function volunteer(): Promise<TestRunner> {
  return createRunner(database.db, await createUser(database.db), clock);
}

describe("claim bundles", () => {
  it("takes every open task of one model in one claim, each a claim of its own, and counts the bundle as one claim", async () => {
    const models = [await model(), await model()];
    const runner = await volunteer();
    const answer = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm", bundle: 8 });
    const chosen = answer.claim!.task.model.id;
    expect(models.map((m) => m.id)).toContain(chosen);
    const all = [answer.claim!, ...(answer.bundle ?? [])];
    // Both benchmarks of the chosen model, nothing of the other.
    expect(all.map((c) => c.task.model.id)).toEqual([chosen, chosen]);
    expect(new Set(all.map((c) => c.task.benchmark.key))).toEqual(new Set(["gsm8k@3", "truthfulqa_mc@2"]));
    expect(new Set(all.map((c) => c.claimToken)).size).toBe(2);
    // The runner holds one bundle: at the cap of one claim, the next claim is refused as any claim would be.
    const next = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm", bundle: 8 });
    expect(next.claim).toBeNull();
    expect(next.notice).toMatch(/already holds 2 active claim\(s\)/);
    // Without a bundle, a claim is one task as before.
    const other = await volunteer();
    const single = await other.caller.task.claim({ runnerId: other.runnerId, engine: "vllm" });
    expect(single.claim).not.toBeNull();
    expect(single.bundle).toBeUndefined();
  });

  it("applies every rule to every task of a bundle: never the owner's own model, never a task the owner tried", async () => {
    const owner = await createUser(database.db);
    const own = await model(owner);
    const theirs = await model();
    const runner = await createRunner(database.db, owner, clock);
    const answer = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm", bundle: 16 });
    const all = [answer.claim!, ...(answer.bundle ?? [])];
    expect(all.every((c) => c.task.model.id === theirs.id)).toBe(true);
    expect(all.some((c) => c.task.model.id === own.id)).toBe(false);
    // Released, the same owner cannot get those tasks again, bundle or not.
    for (const claim of all) await runner.caller.task.release({ claimToken: claim.claimToken, kind: "released", reason: "test" });
    const again = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm", bundle: 16 });
    expect(again.claim).toBeNull();
    // A fixture runner never gets real models in a bundle.
    const fixture = await volunteer();
    expect((await fixture.caller.task.claim({ runnerId: fixture.runnerId, engine: "fixture", bundle: 16 })).claim).toBeNull();
  });
});

describe("warm models", () => {
  it("prefers the runner's warm model when the server gave it to this runner, and ignores a model it never gave", async () => {
    const warm = await model();
    const runner = await volunteer();
    const given = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
    expect(given.claim?.task.model.id).toBe(warm.id);
    await runner.caller.task.release({ claimToken: given.claim!.claimToken, kind: "released", reason: "test" });
    // An older model's tasks come first for everyone else.
    const older = await model();
    await database.db.task.updateMany({ where: { modelId: older.id }, data: { createdAt: new Date(Date.now() - 86_400_000) } });

    const preferred = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm", warmModelId: warm.id });
    expect(preferred.claim?.task.model.id).toBe(warm.id);

    // Another runner naming the same model was never given it: the server chooses as usual.
    const stranger = await volunteer();
    const chosen = await stranger.caller.task.claim({ runnerId: stranger.runnerId, engine: "vllm", warmModelId: warm.id });
    expect(chosen.claim?.task.model.id).toBe(older.id);
  });

  it("refuses a malformed bundle size with a message naming the field", async () => {
    const runner = await volunteer();
    await expect(runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm", bundle: 0 })).rejects.toThrow(/bundle/);
  });
});
