/**
 * 50 simulated runners (several per owner) claim, heartbeat, abandon, release and submit concurrently across 500
 * tasks on a real PostgreSQL, through the real procedures. Afterwards the invariants must hold.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TClaim } from "@/lib/protocol/runner-api";
import { reapExpiredLeases } from "@/server/services/tasks/manage-claim";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, fakeOutputs, signedSubmission, TestClock, userCaller, type TestRunner } from "@/test/fixtures";

const MODELS = 250; // x 2 benchmarks = 500 tasks
const RUNNERS = 50;
const OWNERS = 20;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ max: 20 });
});
afterAll(async () => database.drop());

/** A small deterministic PRNG, so a failing run can be replayed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it("keeps every invariant with 50 concurrent runners over 500 tasks", { timeout: 600_000 }, async () => {
  const { db } = database;
  const clock = new TestClock();
  const random = mulberry32(42);
  const admin = await createUser(db, "submitter", "ADMIN");
  const adminCaller = await userCaller(db, admin, clock);
  for (let i = 0; i < MODELS; i++) {
    await adminCaller.model.register({
      repo: `org/model-${i}`,
      revision: i.toString(16).padStart(40, "0"),
      weightType: "ORIGINAL",
      precision: "BFLOAT16",
    });
  }
  expect(await db.task.count()).toBe(MODELS * 2);

  const owners = await Promise.all(Array.from({ length: OWNERS }, (_, i) => createUser(db, `owner-${i}`)));
  const runners: TestRunner[] = [];
  for (let i = 0; i < RUNNERS; i++) runners.push(await createRunner(db, owners[i % OWNERS]!, clock, { name: `r${i}` }));
  const noisy = new Set([runners[7]!.runnerId, runners[23]!.runnerId]);

  const stats = { submitted: 0, abandoned: [] as TClaim[], released: 0, claims: 0 };
  let isDone = false;

  const reaper = (async () => {
    while (!isDone) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      clock.advanceMinutes(2);
      await reapExpiredLeases({ db, now: clock.now() });
    }
  })();

  async function openTasks(): Promise<number> {
    return db.task.count({
      where: { OR: [{ status: { in: ["QUEUED", "RUNNING", "VALIDATING"] } }, { status: "DISPUTED", finishedAt: null }] },
    });
  }

  async function runnerLoop(runner: TestRunner): Promise<void> {
    let idle = 0;
    while (!isDone) {
      const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
      if (!claim) {
        if (++idle > 400 || (await openTasks()) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      idle = 0;
      stats.claims++;
      const roll = random();
      if (roll < 0.08) {
        stats.abandoned.push(claim); // killed mid-task: never heard from again
        continue;
      }
      if (roll < 0.12) {
        await runner.caller.task.release({ claimToken: claim.claimToken, reason: "shutting down", kind: "released" });
        stats.released++;
        continue;
      }
      if (roll < 0.5) await runner.caller.task.heartbeat({ claimToken: claim.claimToken }).catch(() => undefined);
      const outputs = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, () => !noisy.has(runner.runnerId));
      try {
        await runner.caller.task.submit(signedSubmission(runner, claim, outputs, { signedAt: clock.now() }));
        stats.submitted++;
      } catch (error) {
        // A lease that the reaper expired first is the only acceptable refusal.
        expect((error as Error).message).toMatch(/lease expired/);
      }
    }
  }

  await Promise.all(runners.map(runnerLoop));
  isDone = true;
  await reaper;

  // Every task ends accepted or (finally) disputed.
  const tasks = await db.task.findMany({ include: { assignments: true, results: true } });
  const unfinished = tasks.filter((t) => !(t.status === "ACCEPTED" || (t.status === "DISPUTED" && t.finishedAt)));
  expect(unfinished.map((t) => `${t.id}:${t.status}`)).toEqual([]);

  for (const task of tasks) {
    const holding = task.assignments.filter((a) => a.status === "ACTIVE" || a.status === "SUBMITTED");
    // Never more than the target of open + submitted slots; never more results than allowed.
    expect(holding.length).toBeLessThanOrEqual(task.targetResults);
    expect(task.results.length).toBeLessThanOrEqual(task.maxResults);
    // Never two runners of one owner on a task; the task row's slot list matches its assignments.
    const holders = holding.map((a) => a.ownerId);
    expect(new Set(holders).size).toBe(holders.length);
    expect([...task.holderOwners].sort()).toEqual([...holders].sort());
    expect(task.isFull).toBe(task.finishedAt === null ? holders.length >= task.targetResults : task.isFull);
    // Each result belongs to exactly one submitted assignment of this task.
    const submitted = task.assignments.filter((a) => a.status === "SUBMITTED").map((a) => a.id).sort();
    expect(task.results.map((r) => r.assignmentId).sort()).toEqual(submitted);
    // Nobody evaluated their own model.
    expect(holders).not.toContain(admin.id);
  }
  // No result lost or counted twice.
  expect(await db.result.count()).toBe(stats.submitted);
  const judged = await db.result.count({ where: { verdict: { not: "PENDING" } } });
  const counters = await db.runner.aggregate({ _sum: { validCount: true, invalidCount: true } });
  expect((counters._sum.validCount ?? 0) + (counters._sum.invalidCount ?? 0)).toBe(judged);
  // Abandoned claims expired and their tasks were completed by others.
  expect(stats.abandoned.length).toBeGreaterThan(0);
  const abandoned = await db.assignment.findMany({ where: { id: { in: stats.abandoned.map((c) => c.assignmentId) } } });
  expect(abandoned.every((a) => a.status === "EXPIRED")).toBe(true);
  // The noisy runners were outvoted.
  const noisyResults = await db.result.findMany({ where: { runnerId: { in: [...noisy] } } });
  expect(noisyResults.length).toBeGreaterThan(0);
  expect(noisyResults.every((r) => r.verdict === "INVALID")).toBe(true);
  console.log(
    `[concurrency] claims=${stats.claims} submitted=${stats.submitted} abandoned=${stats.abandoned.length} released=${stats.released} ` +
      `disputed_then_resolved=${tasks.filter((t) => t.status === "ACCEPTED" && t.results.length > 3).length}`,
  );
});
