/**
 * A server without QUORUM_ALLOW_TEST_DOUBLES (a public one) refuses the fixture engine and fixture models, through
 * the real procedures on a real PostgreSQL. (Every other test file runs with test doubles allowed: setup-env.ts.)
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.QUORUM_ALLOW_TEST_DOUBLES = "false";
  // Datasets from private hosts come only with test doubles (src/env.js); a public server has neither.
  process.env.QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS = "false";
  process.env.QUORUM_HUB_CHECKS = "true";
});

const { createTestDatabase } = await import("@/test/db");
const { createRunner, createUser, TestClock, userCaller } = await import("@/test/fixtures");
type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

let database: TestDatabase;
const clock = new TestClock();
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe("test doubles on a public server", () => {
  it("refuses to register a fixture/* repo, naming the field, and stores nothing", async () => {
    const admin = await userCaller(database.db, await createUser(database.db, undefined, "ADMIN"), clock);
    await expect(
      admin.model.register({ repo: "fixture/perfect", revision: "a".repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^repo: `fixture\/\*` repos are test doubles/) });
    await expect(
      admin.model.register({
        repo: "org/lora",
        revision: "b".repeat(40),
        weightType: "ADAPTER",
        baseModel: `fixture/base@${"c".repeat(40)}`,
        precision: "BFLOAT16",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^baseModel: /) });
    expect(await database.db.model.count()).toBe(0);
  });

  it("refuses a claim with the fixture engine with a clear error", async () => {
    const runner = await createRunner(database.db, await createUser(database.db), clock);
    await expect(runner.caller.task.claim({ runnerId: runner.runnerId, engine: "fixture" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/the `fixture` engine is a test double .*--engine vllm/),
    });
    expect(await database.db.assignment.count()).toBe(0);
  });
});
