/** account.get through the real procedure, on a real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, TestClock, userCaller } from "@/test/fixtures";

let database: TestDatabase;
const clock = new TestClock();

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe("account.get", () => {
  it("summarises the caller's earn-your-submit status, runners and models", async () => {
    const user = await createUser(database.db);
    const caller = await userCaller(database.db, user, clock);
    const empty = await caller.account.get();
    expect(empty).toMatchObject({ user: { id: user.id, role: "USER" }, runners: [], models: [] });
    expect(empty.quota).toMatchObject({ earned: 0, isColdStart: true, canSubmit: true });

    const runner = await createRunner(database.db, user, clock, { name: "home-4090" });
    const { id } = await caller.model.register({ repo: "org/mine", revision: "d".repeat(40), weightType: "ORIGINAL", precision: "INT4" });
    const account = await caller.account.get();
    expect(account.runners).toEqual([expect.objectContaining({ id: runner.runnerId, name: "home-4090", gpu: "Test GPU", validCount: 0 })]);
    expect(account.models).toEqual([
      expect.objectContaining({ id, repo: "org/mine", precision: "INT4", hasScore: false, tasks: expect.objectContaining({ QUEUED: 2, ACCEPTED: 0 }) }),
    ]);
  });

  it("only shows the caller's own runners and models, and needs a session", async () => {
    const other = await userCaller(database.db, await createUser(database.db), clock);
    const account = await other.account.get();
    expect(account.runners).toEqual([]);
    expect(account.models).toEqual([]);
    await expect((await userCaller(database.db, null, clock)).account.get()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
