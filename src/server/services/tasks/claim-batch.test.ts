/**
 * A batch of claims decided in one transaction, on a real PostgreSQL: what each claim of the batch gets, and that a
 * claim crowded out of its batch still finds a task through the real `task.claim` procedure.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolOf } from "@/server/db";
import { runClaimBatch, type ClaimRequest } from "@/server/services/tasks/claim-batch";
import { mintClaimToken } from "@/server/services/tasks/claim-token";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, TestClock, userCaller, type TestRunner } from "@/test/fixtures";

const MODELS = 10; // x 2 benchmarks = 20 tasks

let database: TestDatabase;
const clock = new TestClock();
let submitter: Awaited<ReturnType<typeof createUser>>;
beforeAll(async () => {
  database = await createTestDatabase({ max: 10 });
  submitter = await createUser(database.db, "batch-submitter", "ADMIN");
  const caller = await userCaller(database.db, submitter, clock);
  for (let i = 0; i < MODELS; i++) {
    await caller.model.register({ repo: `org/batch-${i}`, revision: i.toString(16).padStart(40, "a"), weightType: "ORIGINAL", precision: "BFLOAT16" });
  }
});
afterAll(async () => database.drop());

function request(runner: TestRunner, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    owner: runner.user.id,
    runnerId: runner.runnerId,
    gpu: null,
    fixture: false,
    now: clock.now(),
    leaseExpiresAt: new Date(clock.now().getTime() + 20 * 60_000),
    claimTokenHash: mintClaimToken().hash,
    assignmentId: `a${randomUUID().replaceAll("-", "")}`,
    ...overrides,
  };
}

async function releaseAll(): Promise<void> {
  await database.db.assignment.deleteMany();
  await database.db.task.updateMany({ data: { holderOwners: [], triedOwners: [], establishedHolders: 0, isFull: false, status: "QUEUED" } });
}

const NO_CAPS = { trust: { maxClaimsPerRunner: 1, maxClaimsPerOwner: 100 } };

describe("runClaimBatch", () => {
  it("gives runners of one owner different tasks and says which claims were crowded out of the locked window", async () => {
    const owner = await createUser(database.db, "crowd-owner");
    const runners = await Promise.all(Array.from({ length: 12 }, (_, i) => createRunner(database.db, owner, clock, { name: `crowd-${i}` })));
    const outcomes = await runClaimBatch(poolOf(database.db), runners.map((runner) => request(runner)), { ...NO_CAPS, window: 8 });

    const claimed = outcomes.flatMap((outcome) => (outcome.status === "claimed" ? [outcome.slot] : []));
    // 12 claims, a window of 8 locked tasks; one owner may hold only one slot of each.
    expect(claimed).toHaveLength(8);
    expect(outcomes.filter((outcome) => outcome.status === "crowded")).toHaveLength(4);
    expect(new Set(claimed.map((slot) => slot.taskId)).size).toBe(8);
    const rows = await database.db.assignment.findMany({ where: { runnerId: { in: runners.map((r) => r.runnerId) } } });
    expect(rows.map((row) => row.taskId).sort()).toEqual(claimed.map((slot) => slot.taskId).sort());
    // Each claim's event id points at its own task.claimed event.
    const events = await database.db.event.findMany({ where: { kind: "task.claimed" } });
    for (const slot of claimed) {
      expect(events.find((event) => event.id.toString() === slot.eventId)?.taskId).toBe(slot.taskId);
    }
    await releaseAll();
  });

  it("hands out tasks at random among those a runner may take, not always the oldest", async () => {
    const owner = await createUser(database.db, "random-owner");
    const runner = await createRunner(database.db, owner, clock);
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const [outcome] = await runClaimBatch(poolOf(database.db), [request(runner)], NO_CAPS);
      if (outcome?.status !== "claimed") throw new Error(`expected a claim, got ${outcome?.status}`);
      seen.add(outcome.slot.taskId);
      await releaseAll();
    }
    expect(seen.size).toBeGreaterThan(2);
  });

  it("fills slots from different owners, refuses foreign runners and never hands out the submitter's own model", async () => {
    const [alice, bob, carol, mallory] = await Promise.all(["alice", "bob", "carol", "mallory"].map((name) => createUser(database.db, `batch-${name}`)));
    const runners = await Promise.all([alice!, bob!, carol!, mallory!].map((user) => createRunner(database.db, user, clock)));
    const own = await createRunner(database.db, submitter, clock);
    const outcomes = await runClaimBatch(
      poolOf(database.db),
      [
        request(runners[0]!),
        request(runners[1]!),
        request(runners[2]!),
        request(runners[3]!, { owner: alice!.id }), // alice's token naming mallory's runner
        request(own),
        request(runners[0]!, { fixture: true }), // a fixture runner: no fixture models here
      ],
      NO_CAPS,
    );
    const statuses = outcomes.map((outcome) => outcome.status);
    expect(statuses.slice(0, 4)).toEqual(["claimed", "claimed", "claimed", "not-yours"]);
    // The submitter's runner and the fixture runner get nothing here (the procedure confirms there is nothing left).
    expect(statuses.slice(4).every((status) => status !== "claimed")).toBe(true);
    expect((await own.caller.task.claim({ runnerId: own.runnerId, engine: "vllm" })).claim).toBeNull();
    const taskIds = outcomes.flatMap((outcome) => (outcome.status === "claimed" ? [outcome.slot.taskId] : []));
    const tasks = await database.db.task.findMany({ where: { id: { in: taskIds } } });
    for (const task of tasks) {
      expect(task.status).toBe("RUNNING");
      expect(new Set(task.holderOwners).size).toBe(task.holderOwners.length);
      expect(task.triedOwners).toEqual(task.holderOwners);
    }
    await releaseAll();
  });

  it("records a runner's last contact and GPU when they changed", async () => {
    const owner = await createUser(database.db, "touch-owner");
    const runner = await createRunner(database.db, owner, clock);
    clock.advanceMinutes(5);
    await runClaimBatch(poolOf(database.db), [request(runner, { gpu: "NVIDIA H200", now: clock.now() })], NO_CAPS);
    const row = await database.db.runner.findUniqueOrThrow({ where: { id: runner.runnerId } });
    expect(row.lastSeenAt?.getTime()).toBe(clock.now().getTime());
    expect(row.gpu).toBe("NVIDIA H200");
    await releaseAll();
  });
});

it("task.claim: every runner of a crowded batch still gets a task of its own", async () => {
  const owners = await Promise.all(Array.from({ length: 16 }, (_, i) => createUser(database.db, `crowd-procedure-${i}`)));
  const runners = await Promise.all(owners.map((owner) => createRunner(database.db, owner, clock)));
  const claims = await Promise.all(runners.map((runner) => runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" })));
  expect(claims.every(({ claim }) => claim !== null)).toBe(true);
  for (const [i, owner] of owners.entries()) {
    expect(await database.db.task.count({ where: { holderOwners: { has: owner.id } } })).toBe(1);
    expect(claims[i]!.claim!.task.model.repo).toMatch(/^org\/batch-/);
  }
});
