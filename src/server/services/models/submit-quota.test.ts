/**
 * Earn your submit, on a real PostgreSQL: refused with how many more evaluations are needed once there is work to
 * do; waived at cold start; unlocked by valid results; admins exempt; duplicates and bad input refused.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, fakeOutputs, signedSubmission, TestClock, userCaller } from "@/test/fixtures";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

const model = (n: number) => ({
  repo: `org/quota-${n}`,
  revision: n.toString(16).padStart(40, "d"),
  weightType: "ORIGINAL" as const,
  precision: "BFLOAT16" as const,
});

it("waives the rule at cold start, then asks for valid evaluations, which unlock submitting", async () => {
  const clock = new TestClock(new Date());
  const newcomer = await createUser(database.db, "newcomer");
  const caller = await userCaller(database.db, newcomer, clock);

  // Nothing to evaluate yet: the newcomer may register (cold start).
  const quota = await caller.model.quota();
  expect(quota).toMatchObject({ isColdStart: true, canSubmit: true, claimable: 0, required: 3 });
  const first = await caller.model.register(model(1));
  expect(first.tasksCreated).toBe(2);

  // Other users' models create work the newcomer could do: now the rule applies.
  const admin = await userCaller(database.db, await createUser(database.db, "operator", "ADMIN"), clock);
  for (let n = 2; n <= 6; n++) await admin.model.register(model(n));
  const after = await caller.model.quota();
  expect(after.claimable).toBeGreaterThanOrEqual(3);
  expect(after).toMatchObject({ isColdStart: false, canSubmit: false, earned: 0, remaining: 3 });
  const before = await database.db.model.count();
  await expect(caller.model.register(model(7))).rejects.toMatchObject({
    code: "FORBIDDEN",
    message: expect.stringMatching(/^Evaluate 3 more tasks to unlock submitting.*pnpm runner login/),
  });
  expect(await database.db.model.count()).toBe(before);

  // Valid results by the newcomer's runner (cross-checked by two other users' runners) unlock it.
  const mine = await createRunner(database.db, newcomer, clock);
  const peers = await Promise.all([0, 1].map(async () => createRunner(database.db, await createUser(database.db), clock)));
  for (let round = 0; round < 12 && (await caller.model.quota()).earned < 3; round++) {
    for (const runner of [mine, ...peers]) {
      const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
      if (!claim) continue;
      const outputs = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, () => true);
      await runner.caller.task.submit(signedSubmission(runner, claim, outputs, { signedAt: clock.now() }));
    }
  }
  const earned = await caller.model.quota();
  expect(earned).toMatchObject({ earned: 3, isColdStart: false, canSubmit: true, remaining: 0 });
  await expect(caller.model.register(model(7))).resolves.toMatchObject({ tasksCreated: 2 });

  // Outside the window, the results no longer count.
  clock.advanceMinutes(25 * 60);
  expect(await caller.model.quota()).toMatchObject({ earned: 0 });
});

it("exempts admins, refuses duplicates with a link target, and explains bad input field by field", async () => {
  const clock = new TestClock(new Date());
  const admin = await userCaller(database.db, await createUser(database.db, "the-admin", "ADMIN"), clock);
  const created = await admin.model.register(model(10));
  await expect(admin.model.register(model(10))).rejects.toMatchObject({
    code: "CONFLICT",
    message: expect.stringMatching(/org\/quota-10@d{7} is already registered/),
    cause: { options: { details: { modelId: created.id } } },
  });
  const bad = await admin.model
    .register({ repo: "not a repo", revision: "main", weightType: "ADAPTER", precision: "BFLOAT16" })
    .catch((error: unknown) => error as { code: string; cause: { issues: { path: string[]; message: string }[] } });
  expect((bad as { code: string }).code).toBe("BAD_REQUEST");
  const fields = Object.fromEntries((bad as { cause: { issues: { path: string[]; message: string }[] } }).cause.issues.map((i) => [i.path.join("."), i.message]));
  expect(fields).toMatchObject({
    repo: expect.stringMatching(/org\/model-name/),
    revision: expect.stringMatching(/40-character commit/),
  });
  const adapter = await admin.model
    .register({ repo: "org/lora", revision: "e".repeat(40), weightType: "ADAPTER", precision: "BFLOAT16" })
    .catch((error: unknown) => error);
  expect((adapter as { cause: { issues: { path: string[]; message: string }[] } }).cause.issues[0]).toMatchObject({ path: ["baseModel"], message: expect.stringMatching(/org\/repo@<40-hex commit>/) });
  expect(await database.db.model.count({ where: { repo: { in: ["org/lora", "not a repo"] } } })).toBe(0);
});
