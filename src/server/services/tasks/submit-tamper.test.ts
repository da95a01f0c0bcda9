/**
 * Every way of cheating a submission is refused with a clear error, and nothing is stored.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TClaim } from "@/lib/protocol/runner-api";
import { signPayload } from "@/lib/protocol/signing";
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

let database: TestDatabase;
let clock: TestClock;
let honest: TestRunner;
let other: TestRunner;
let claim: TClaim;
let modelCounter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  clock = new TestClock(new Date());
  honest = await createRunner(database.db, await createUser(database.db), clock);
  other = await createRunner(database.db, await createUser(database.db), clock);
});
afterAll(async () => database.drop());

beforeEach(async () => {
  await database.db.task.updateMany({ where: { status: { not: "ACCEPTED" } }, data: { status: "FAILED", finishedAt: new Date() } });
  // A runner holds one claim at a time: free the claims earlier cases left open.
  await database.db.assignment.updateMany({ where: { status: "ACTIVE" }, data: { status: "RELEASED" } });
  const admin = await createUser(database.db, undefined, "ADMIN");
  await (await userCaller(database.db, admin, clock)).model.register({
    repo: `org/tamper-${++modelCounter}`,
    revision: modelCounter.toString(16).padStart(40, "c"),
    weightType: "ORIGINAL",
    precision: "FLOAT16",
  });
  claim = (await honest.caller.task.claim({ runnerId: honest.runnerId, engine: "vllm" })).claim!;
  expect(claim.task.benchmark.key).toBe("gsm8k@3");
});

async function storedResults(): Promise<number> {
  return database.db.result.count({ where: { taskId: claim.task.id } });
}

function honestOutputs() {
  return fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, () => true);
}

describe("submit refuses tampering and stores nothing", () => {
  it("a signature with trailing junk (Node's base64url decoder would ignore it) or the wrong length", async () => {
    const request = signedSubmission(honest, claim, honestOutputs(), { signedAt: clock.now() });
    for (const signature of [`${request.signature}A`, `${request.signature}==`, request.signature.slice(0, 85), `${request.signature.slice(0, 85)}+`]) {
      await expect(honest.caller.task.submit({ ...request, signature })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining("86 base64url characters"),
      });
    }
    expect(await storedResults()).toBe(0);
  });

  it("claimed scores outside [0, 1]", async () => {
    for (const value of [1e308, -1, 2]) {
      const request = signedSubmission(honest, claim, honestOutputs(), { signedAt: clock.now(), claimedScore: { exact_match: value } });
      await expect(honest.caller.task.submit(request)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
    expect(await storedResults()).toBe(0);
  });

  it("a bad signature", async () => {
    const request = signedSubmission(honest, claim, honestOutputs(), { signedAt: clock.now() });
    const forged = { ...request, signature: signPayload(request.payload, other.keys.privateKeyPem) };
    await expect(honest.caller.task.submit(forged)).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/signature does not match/),
    });
    const altered = { ...request, payload: { ...request.payload, runtimeSeconds: 0.1 } };
    await expect(honest.caller.task.submit(altered)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await storedResults()).toBe(0);
  });

  it("a replay of an accepted submission", async () => {
    const request = signedSubmission(honest, claim, honestOutputs(), { signedAt: clock.now() });
    await honest.caller.task.submit(request);
    await expect(honest.caller.task.submit(request)).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/already stored/),
    });
    expect(await storedResults()).toBe(1);
  });

  it("a stale signature", async () => {
    const old = new Date(clock.now().getTime() - 3_600_000);
    const request = signedSubmission(honest, claim, honestOutputs(), { signedAt: old });
    await expect(honest.caller.task.submit(request)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/signed 3600 s away from the server's clock/),
    });
    expect(await storedResults()).toBe(0);
  });

  it("an expired claim token", async () => {
    clock.advanceMinutes(21);
    try {
      const request = signedSubmission(honest, claim, honestOutputs(), { signedAt: clock.now() });
      await expect(honest.caller.task.submit(request)).rejects.toMatchObject({
        code: "CONFLICT",
        message: expect.stringMatching(/lease expired/),
      });
    } finally {
      clock.advanceMinutes(-21);
    }
    expect(await storedResults()).toBe(0);
  });

  it("a foreign claim token (another user's runner presents it)", async () => {
    const stolen = { ...claim };
    const request = signedSubmission(other, stolen, honestOutputs(), { signedAt: clock.now() });
    await expect(other.caller.task.submit(request)).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/belongs to another runner/),
    });
    await expect(other.caller.task.heartbeat({ claimToken: claim.claimToken })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await storedResults()).toBe(0);
  });

  it("an unknown claim token", async () => {
    const request = signedSubmission(honest, { ...claim, claimToken: "clm_made-up" }, honestOutputs(), { signedAt: clock.now() });
    await expect(honest.caller.task.submit(request)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await storedResults()).toBe(0);
  });

  it("an inflated claimed score is ignored: the server's recomputed score is what counts", async () => {
    const wrong = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, () => false);
    const request = signedSubmission(honest, claim, wrong, {
      signedAt: clock.now(),
      claimedScore: { "exact_match,strict-match": 1, "exact_match,flexible-extract": 1 },
    });
    const outcome = await honest.caller.task.submit(request);
    expect(outcome.score["exact_match,strict-match"]).toBe(0);
    const stored = await database.db.result.findFirstOrThrow({ where: { taskId: claim.task.id } });
    expect(stored.primaryScore).toBe(0);
    expect(stored.claimedScore).toEqual({ "exact_match,strict-match": 1, "exact_match,flexible-extract": 1 });
  });

  it("outputs for other items, missing items, or a hash that does not match the outputs", async () => {
    const shifted = fakeOutputs(
      claim.task.benchmark.key,
      claim.task.itemIds.map((item) => `test/${(Number(item.split("/")[1]) + 1) % 1319}`),
      () => true,
    );
    await expect(
      honest.caller.task.submit(signedSubmission(honest, claim, shifted, { signedAt: clock.now() })),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/Unexpected item|Duplicate item/) });
    await expect(
      honest.caller.task.submit(signedSubmission(honest, claim, honestOutputs().slice(1), { signedAt: clock.now() })),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/Outputs are missing for/) });
    await expect(
      honest.caller.task.submit(
        signedSubmission(honest, claim, honestOutputs(), { signedAt: clock.now(), outputsSha256: "0".repeat(64) }),
      ),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/outputsSha256 does not match/) });
    expect(await storedResults()).toBe(0);
  });

  it("same-owner collusion: a second runner of the same owner cannot take or submit to the same task", async () => {
    const sibling = await createRunner(database.db, honest.user, clock);
    const second = (await sibling.caller.task.claim({ runnerId: sibling.runnerId, engine: "vllm" })).claim;
    expect(second?.task.id).not.toBe(claim.task.id);
    const request = signedSubmission(sibling, claim, honestOutputs(), { signedAt: clock.now() });
    await expect(sibling.caller.task.submit(request)).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Nothing else is left for this owner: the gsm8k task is held by one of its runners, truthfulqa by the other.
    await expect(sibling.caller.task.claim({ runnerId: sibling.runnerId, engine: "vllm" })).resolves.toMatchObject({
      claim: null,
    });
    expect(await storedResults()).toBe(0);
  });

  it("a token without the submit scope, or no token at all", async () => {
    const pullOnly = await createRunner(database.db, await createUser(database.db), clock, { scopes: ["task:pull"] });
    const pulled = (await pullOnly.caller.task.claim({ runnerId: pullOnly.runnerId, engine: "vllm" })).claim!;
    await expect(
      pullOnly.caller.task.submit(signedSubmission(pullOnly, pulled, honestOutputs(), { signedAt: clock.now() })),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/task:submit/) });
    const anonymous = await userCaller(database.db, null, clock);
    await expect(anonymous.task.claim({ runnerId: honest.runnerId, engine: "vllm" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });
});
