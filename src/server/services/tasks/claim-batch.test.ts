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
  await database.db.task.updateMany({ data: { holderOwners: [], isFull: false, status: "QUEUED" } });
}

describe("runClaimBatch", () => {
  it("gives runners of one owner different tasks and says which claims were crowded out of the locked window", async () => {
    const owner = await createUser(database.db, "crowd-owner");
    const runners = await Promise.all(Array.from({ length: 12 }, (_, i) => createRunner(database.db, owner, clock, { name: `crowd-${i}` })));
    const outcomes = await runClaimBatch(poolOf(database.db), runners.map((runner) => request(runner)));

    const claimed = outcomes.flatMap((outcome) => (outcome.status === "claimed" ? [outcome.slot] : []));
    // 12 claims lock 8 tasks (half the batch plus two); one owner may hold only one slot of each.
    expect(claimed).toHaveLength(8);
    expect(outcomes.filter((outcome) => outcome.status === "crowded")).toHaveLength(4);
    expect(new Set(claimed.map((slot) => slot.taskId)).size).toBe(8);
    const rows = await database.db.assignment.findMany({ where: { runnerId: { in: runners.map((r) => r.runnerId) } } });
    expect(rows.map((row) => row.taskId).sort()).toEqual(claimed.map((slot) => slot.taskId).sort());
    // The oldest tasks go first; each claim's event id points at its own task.claimed event.
    const events = await database.db.event.findMany({ where: { kind: "task.claimed" } });
    for (const slot of claimed) {
      expect(events.find((event) => event.id.toString() === slot.eventId)?.taskId).toBe(slot.taskId);
    }
    await releaseAll();
  });

  it("fills a task's slots from different owners, refuses foreign runners and never hands out the submitter's own model", async () => {
    const [alice, bob, carol, mallory] = await Promise.all(["alice", "bob", "carol", "mallory"].map((name) => createUser(database.db, `batch-${name}`)));
    const runners = await Promise.all([alice!, bob!, carol!, mallory!].map((user) => createRunner(database.db, user, clock)));
    const own = await createRunner(database.db, submitter, clock);
    const outcomes = await runClaimBatch(poolOf(database.db), [
      request(runners[0]!),
      request(runners[1]!),
      request(runners[2]!),
      request(runners[3]!, { owner: alice!.id }), // alice's token naming mallory's runner
      request(own),
      request(runners[0]!, { fixture: true }), // a fixture runner: no fixture models here
    ]);
    // The window the batch locked went to the others: the last two can only learn on their own that nothing is
    // left for them ("crowded"), which the procedure below does.
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["claimed", "claimed", "claimed", "not-yours", "crowded", "crowded"]);
    expect((await own.caller.task.claim({ runnerId: own.runnerId, engine: "vllm" })).claim).toBeNull();
    expect((await runners[0]!.caller.task.claim({ runnerId: runners[0]!.runnerId, engine: "fixture" })).claim).toBeNull();
    const taskIds = outcomes.flatMap((outcome) => (outcome.status === "claimed" ? [outcome.slot.taskId] : []));
    // Three owners, three slots: the oldest task is now full and the others stay open.
    expect(new Set(taskIds).size).toBe(1);
    const task = await database.db.task.findUniqueOrThrow({ where: { id: taskIds[0]! } });
    expect(task.isFull).toBe(true);
    expect(task.status).toBe("RUNNING");
    expect([...task.holderOwners].sort()).toEqual([alice!.id, bob!.id, carol!.id].sort());
    await releaseAll();
  });

  it("records a runner's last contact and GPU when they changed", async () => {
    const owner = await createUser(database.db, "touch-owner");
    const runner = await createRunner(database.db, owner, clock);
    clock.advanceMinutes(5);
    await runClaimBatch(poolOf(database.db), [request(runner, { gpu: "NVIDIA H200", now: clock.now() })]);
    const row = await database.db.runner.findUniqueOrThrow({ where: { id: runner.runnerId } });
    expect(row.lastSeenAt?.getTime()).toBe(clock.now().getTime());
    expect(row.gpu).toBe("NVIDIA H200");
    await releaseAll();
  });
});

it("task.claim: every runner of a crowded batch still gets a task of its own", async () => {
  const owner = await createUser(database.db, "crowd-procedure-owner");
  const runners = await Promise.all(Array.from({ length: 16 }, (_, i) => createRunner(database.db, owner, clock, { name: `proc-${i}` })));
  const claims = await Promise.all(runners.map((runner) => runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" })));
  const taskIds = claims.map(({ claim }) => claim?.task.id);
  expect(taskIds.every((id) => id !== undefined)).toBe(true);
  expect(new Set(taskIds).size).toBe(16);
  // With 20 tasks and 16 claims of one owner, four tasks remain untouched by this owner.
  const held = await database.db.task.count({ where: { holderOwners: { has: owner.id } } });
  expect(held).toBe(16);
});
