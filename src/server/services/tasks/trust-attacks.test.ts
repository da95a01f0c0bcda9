/**
 * The attacks of a user with a few free accounts, on a real PostgreSQL through the real procedures: each one must
 * fail (docs/trust.md lists them with what they would cost).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { sampleItems } from "@/lib/benchmarks/sampling";
import type { TClaim } from "@/lib/protocol/runner-api";
import { claimTask } from "@/server/services/tasks/claim-task";
import { listEpochSeeds } from "@/server/services/tasks/epoch-seeds";
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
let modelCounter = 0;
const TRUST = { maxClaimsPerRunner: 1, maxClaimsPerOwner: 3, maxLeaseMinutes: 360, establishedMinValid: 10, establishedMinOwners: 3, spotCheckShare: 0 };

beforeAll(async () => {
  database = await createTestDatabase({ max: 8 });
  clock = new TestClock(new Date());
});
afterAll(async () => database.drop());
beforeEach(async () => {
  // Each case starts from a quiet queue: earlier cases' open tasks and claims are closed, nobody is established.
  await database.db.task.updateMany({ where: { finishedAt: null }, data: { status: "FAILED", finishedAt: new Date() } });
  await database.db.assignment.updateMany({ where: { status: "ACTIVE" }, data: { status: "RELEASED" } });
  await database.db.runner.updateMany({ data: { isEstablished: false, suspendedUntil: null, pausedAt: null } });
});

/** A model with only a GSM8K task (so every claim below lands on it). */
async function gsmModel() {
  const admin = await createUser(database.db, undefined, "ADMIN");
  await database.db.benchmark.update({ where: { id: "truthfulqa_mc@2" }, data: { isActive: false } });
  const model = await (await userCaller(database.db, admin, clock)).model.register({
    repo: `org/trust-${++modelCounter}`,
    revision: modelCounter.toString(16).padStart(40, "e"),
    weightType: "ORIGINAL",
    precision: "BFLOAT16",
  });
  await database.db.benchmark.update({ where: { id: "truthfulqa_mc@2" }, data: { isActive: true } });
  const task = await database.db.task.findFirstOrThrow({ where: { modelId: model.id } });
  return { model, task, admin };
}

async function volunteers(n: number): Promise<TestRunner[]> {
  return Promise.all(Array.from({ length: n }, async () => createRunner(database.db, await createUser(database.db), clock)));
}

async function claimOf(runner: TestRunner): Promise<TClaim> {
  const { claim, notice } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
  if (!claim) throw new Error(`expected a claim, got none (${notice ?? "no notice"})`);
  return claim;
}

const HONEST = (i: number) => i !== 2 && i !== 4; // the model's real answers: 3 of 5 right
const GOLD = () => true; // the gold answers ship with the app

async function submitAs(runner: TestRunner, claim: TClaim, correct: (i: number) => boolean) {
  const outputs = fakeOutputs(claim.task.benchmark.key, claim.task.itemIds, (_, i) => correct(i));
  return runner.caller.task.submit(signedSubmission(runner, claim, outputs, { signedAt: clock.now() }));
}

describe("forging a score", () => {
  it("two colluders with the gold answers and one honest runner cannot put their number on the board", async () => {
    const { model, task } = await gsmModel();
    const [honest, sybil1, sybil2, h2, h3] = await volunteers(5);
    await submitAs(honest!, await claimOf(honest!), HONEST);
    await submitAs(sybil1!, await claimOf(sybil1!), GOLD);
    const third = await submitAs(sybil2!, await claimOf(sybil2!), GOLD);
    expect(third.taskStatus).toBe("DISPUTED");
    let row = await database.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(row.acceptedScore).toBeNull();
    expect(row.reason).not.toMatch(/\d\.\d/); // no scores named while open
    // Two more independent volunteers: the honest majority decides, the colluders are invalid.
    await submitAs(h2!, await claimOf(h2!), HONEST);
    expect((await submitAs(h3!, await claimOf(h3!), HONEST)).taskStatus).toBe("ACCEPTED");
    row = await database.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(row.acceptedScore).toBeCloseTo(0.6);
    const results = await database.db.result.findMany({ where: { taskId: task.id } });
    const verdictOf = (runner: TestRunner) => results.find((r) => r.runnerId === runner.runnerId)!.verdict;
    expect([honest, h2, h3].map((r) => verdictOf(r!))).toEqual(["VALID", "VALID", "VALID"]);
    expect([sybil1, sybil2].map((r) => verdictOf(r!))).toEqual(["INVALID", "INVALID"]);
    const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
    expect(board.entries.find((e) => e.modelId === model.id)!.scores["gsm8k@3"]!["exact_match,strict-match"]!.mean).toBeCloseTo(0.6);
  });

  it("a copycat sees no peer's score, hash or outputs through any read path while the task is open", async () => {
    const { model, task } = await gsmModel();
    const [honest, copycat] = await volunteers(2);
    const submitted = await submitAs(honest!, await claimOf(honest!), HONEST);
    await claimOf(copycat!);
    const anonymous = await userCaller(database.db, null, clock);
    const detail = await anonymous.model.get({ id: model.id });
    const open = detail.tasks.find((t) => t.id === task.id)!;
    expect(open.results).toHaveLength(1);
    expect(open.results[0]).toMatchObject({ score: null, primaryScore: null, outputsSha256: null, verdict: "PENDING" });
    await expect(anonymous.result.get({ id: submitted.resultId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const queue = await anonymous.task.list();
    expect(JSON.stringify(queue.find((t) => t.id === task.id))).not.toMatch(/0\.6/);
    // The submitting runner's owner sees its own score in the submit response, never anyone else's.
    expect(JSON.stringify(await copycat!.caller.task.list())).not.toContain(String(submitted.score["exact_match,strict-match"]));
  });

  it("a copycat that matches its peers' score with other answers is not valid with them", async () => {
    const { task } = await gsmModel();
    const [a, b, copycat, d, e] = await volunteers(5);
    await submitAs(a!, await claimOf(a!), HONEST);
    await submitAs(b!, await claimOf(b!), HONEST);
    // The same score (3 of 5), made up without running the model: other items right.
    await submitAs(copycat!, await claimOf(copycat!), (i) => i >= 2);
    await submitAs(d!, await claimOf(d!), HONEST);
    await submitAs(e!, await claimOf(e!), HONEST);
    const copied = await database.db.result.findFirstOrThrow({ where: { taskId: task.id, runnerId: copycat!.runnerId } });
    expect(copied.primaryScore).toBeCloseTo(0.6);
    expect(copied.verdict).toBe("INVALID");
  });

  it("three sybils cannot form an accepted majority while an established runner is in the pool", async () => {
    const { task } = await gsmModel();
    const [veteran, s1, s2, s3, h] = await volunteers(5);
    await database.db.runner.update({ where: { id: veteran!.runnerId }, data: { isEstablished: true } });
    await submitAs(s1!, await claimOf(s1!), GOLD);
    await submitAs(s2!, await claimOf(s2!), GOLD);
    // The last slot is kept for an established runner: the third sybil gets nothing.
    expect((await s3!.caller.task.claim({ runnerId: s3!.runnerId, engine: "vllm" })).claim).toBeNull();
    expect((await submitAs(veteran!, await claimOf(veteran!), HONEST)).taskStatus).toBe("DISPUTED");
    await submitAs(s3!, await claimOf(s3!), GOLD); // now 3 sybils of 4 results
    const fifth = await submitAs(h!, await claimOf(h!), HONEST); // 3 gold vs 2 honest: a majority, but no established runner in it
    expect(fifth.taskStatus).toBe("DISPUTED");
    const row = await database.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(row.acceptedScore).toBeNull();
    expect(row.reason).toContain("no established runner");
  });
});

describe("hoarding and steering", () => {
  it("caps active claims per runner and per owner, with the reason in the response", async () => {
    for (let i = 0; i < 3; i++) await gsmModel();
    const owner = await createUser(database.db);
    const runners = await Promise.all(Array.from({ length: 4 }, () => createRunner(database.db, owner, clock)));
    await claimOf(runners[0]!);
    const again = await runners[0]!.caller.task.claim({ runnerId: runners[0]!.runnerId, engine: "vllm" });
    expect(again.claim).toBeNull();
    expect(again.notice).toMatch(/already holds 1 active claim/);
    await claimOf(runners[1]!);
    await claimOf(runners[2]!);
    const fourth = await runners[3]!.caller.task.claim({ runnerId: runners[3]!.runnerId, engine: "vllm" });
    expect(fourth.claim).toBeNull();
    expect(fourth.notice).toMatch(/the most one account may hold \(3\)/);
  });

  it("a released task is never handed back to the same owner, and heartbeats cannot extend a lease past its maximum age", async () => {
    const { task } = await gsmModel();
    const [runner] = await volunteers(1);
    const claim = await claimOf(runner!);
    await runner!.caller.task.release({ claimToken: claim.claimToken, kind: "released", reason: "shutting down" });
    expect((await runner!.caller.task.claim({ runnerId: runner!.runnerId, engine: "vllm" })).claim).toBeNull();
    expect((await database.db.task.findUniqueOrThrow({ where: { id: task.id } })).triedOwners).toContain(runner!.user.id);

    await gsmModel();
    const [holder] = await volunteers(1);
    const held = await claimOf(holder!);
    for (let minute = 0; minute < 360; minute += 15) {
      clock.advanceMinutes(15);
      if (minute + 15 >= 360) break;
      const { leaseExpiresAt } = await holder!.caller.task.heartbeat({ claimToken: held.claimToken });
      expect(leaseExpiresAt.getTime()).toBeLessThanOrEqual(new Date(held.leaseExpiresAt).getTime() - 20 * 60_000 + 360 * 60_000);
    }
    await expect(holder!.caller.task.heartbeat({ claimToken: held.claimToken })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("the cold-start waiver of the submit quota cannot be bought by holding every claimable task", async () => {
    for (let i = 0; i < 3; i++) await gsmModel();
    const owner = await createUser(database.db);
    const runners = await Promise.all(Array.from({ length: 3 }, () => createRunner(database.db, owner, clock)));
    for (const runner of runners) await claimOf(runner);
    const quota = await (await userCaller(database.db, owner, clock)).model.quota();
    expect(quota.isColdStart).toBe(false);
    expect(quota.canSubmit).toBe(false);
  });
});

describe("failing a model", () => {
  it("runner-side failures never fail a task; model-side ones from three new accounts do not while established runners exist", async () => {
    const { task } = await gsmModel();
    const [a, b, c, d, e, f] = await volunteers(6);
    for (const runner of [a, b, c]) {
      const claim = await claimOf(runner!);
      await runner!.caller.task.release({ claimToken: claim.claimToken, kind: "failed", cause: "out_of_memory", reason: "CUDA OOM on my 8 GB card" });
    }
    expect((await database.db.task.findUniqueOrThrow({ where: { id: task.id } })).finishedAt).toBeNull();
    const [veteran] = await volunteers(1);
    await database.db.runner.update({ where: { id: veteran!.runnerId }, data: { isEstablished: true } });
    for (const runner of [d, e, f]) {
      const claim = await claimOf(runner!);
      await runner!.caller.task.release({ claimToken: claim.claimToken, kind: "failed", cause: "unsupported_architecture", reason: "I say it's broken" });
    }
    expect((await database.db.task.findUniqueOrThrow({ where: { id: task.id } })).finishedAt).toBeNull();
  });

  it("established runners of three owners fail it with the server's summary; a late submit is refused and changes nothing", async () => {
    const { task } = await gsmModel();
    const [late, ...established] = await volunteers(4);
    await database.db.runner.updateMany({ where: { id: { in: established.map((r) => r.runnerId) } }, data: { isEstablished: true } });
    const lateClaim = await claimOf(late!);
    for (const runner of established) {
      const claim = await claimOf(runner);
      await runner.caller.task.release({ claimToken: claim.claimToken, kind: "failed", cause: "no_weights", reason: "my own words, not shown" });
    }
    const failed = await database.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(failed.status).toBe("FAILED");
    expect(failed.reason).toBe("3 established runners of different volunteers could not evaluate this model: no loadable weights (3).");
    await expect(submitAs(late!, lateClaim, HONEST)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/already decided \(failed\)/) });
    const after = await database.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(after).toMatchObject({ status: "FAILED", finishedAt: failed.finishedAt, reason: failed.reason });
    expect(await database.db.result.count({ where: { taskId: task.id } })).toBe(0);
  });
});

describe("consequences for bad runners", () => {
  it("an always-wrong runner is suspended and stops being assigned, with the reason on its runner page", async () => {
    const [wrong, ...honest] = await volunteers(6);
    for (let round = 0; round < 5; round++) {
      await gsmModel();
      const order = [wrong!, honest[round % 5]!, honest[(round + 1) % 5]!, honest[(round + 2) % 5]!, honest[(round + 3) % 5]!];
      await submitAs(order[0]!, await claimOf(order[0]!), (i) => i === 0);
      for (const runner of order.slice(1)) await submitAs(runner, await claimOf(runner), HONEST);
    }
    const row = await database.db.runner.findUniqueOrThrow({ where: { id: wrong!.runnerId } });
    expect(row.invalidCount).toBe(5);
    expect(row.suspendedUntil!.getTime()).toBeGreaterThan(clock.now().getTime());
    await gsmModel();
    const refused = await wrong!.caller.task.claim({ runnerId: wrong!.runnerId, engine: "vllm" });
    expect(refused.claim).toBeNull();
    expect(refused.notice).toMatch(/5 of this runner's last 5 decided results disagreed/);
    const page = await (await userCaller(database.db, null, clock)).runner.list();
    expect(page.find((r) => r.id === wrong!.runnerId)!.suspension?.reason).toMatch(/disagreed with the consensus/);
    expect((await wrong!.caller.runner.standing({ runnerId: wrong!.runnerId })).suspension).not.toBeNull();
  });

  it("a spot check re-issues an accepted task like any claim; a disagreeing result lowers reputation and changes no score", async () => {
    const { task } = await gsmModel();
    clock.advanceMinutes(1); // the newest accepted task: the spot check below (first choice) picks it
    const trio = await volunteers(3);
    for (const runner of trio) await submitAs(runner, await claimOf(runner), HONEST);
    const accepted = await database.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(accepted.status).toBe("ACCEPTED");
    const [checked, lazy] = await volunteers(2);
    for (const [runner, answers] of [[checked!, HONEST], [lazy!, GOLD]] as const) {
      const { claim } = await claimTask({
        db: database.db,
        actorUserId: runner.user.id,
        runnerId: runner.runnerId,
        engine: "vllm",
        now: clock.now(),
        leaseMinutes: 20,
        trust: { ...TRUST, spotCheckShare: 1 },
        random: () => 0,
      });
      expect(claim!.task.id).toBe(task.id);
      const outcome = await submitAs(runner, claim!, answers);
      expect(outcome.verdict).toBe(runner === checked ? "VALID" : "INVALID");
    }
    expect(await database.db.runner.findUniqueOrThrow({ where: { id: lazy!.runnerId } })).toMatchObject({ spotChecksFailed: 1, invalidCount: 1 });
    expect(await database.db.runner.findUniqueOrThrow({ where: { id: checked!.runnerId } })).toMatchObject({ spotChecksPassed: 1, validCount: 0 });
    expect(await database.db.task.findUniqueOrThrow({ where: { id: task.id } })).toMatchObject({ acceptedScore: accepted.acceptedScore, acceptedResultId: accepted.acceptedResultId });
    // The public page shows the task's three results only.
    const detail = await (await userCaller(database.db, null, clock)).model.get({ id: task.modelId });
    expect(detail.tasks.find((t) => t.id === task.id)!.results).toHaveLength(3);
  });
});

describe("unpredictable items", () => {
  it("future epochs show only a commitment; after the reveal anyone can check the seed and recompute the items", async () => {
    const { task } = await gsmModel();
    const seeds = await listEpochSeeds({ db: database.db, now: clock.now(), epochMinutes: 60 });
    const current = seeds.find((s) => s.epoch === task.epoch)!;
    const future = seeds.filter((s) => s.epoch > task.epoch);
    expect(future.length).toBeGreaterThanOrEqual(1);
    expect(future.every((s) => s.seed === null && /^[0-9a-f]{64}$/.test(s.commitment))).toBe(true);
    expect(createHash("sha256").update(current.seed!).digest("hex")).toBe(current.commitment);
    expect(sampleItems(getBenchmark("gsm8k@3"), current.seed!, 5)).toEqual(task.itemIds);
    // An hour later the next epoch's seed is revealed and matches what was committed before it began.
    const next = future.find((s) => s.epoch === task.epoch + 1)!;
    clock.advanceMinutes(60);
    const revealed = (await listEpochSeeds({ db: database.db, now: clock.now(), epochMinutes: 60 })).find((s) => s.epoch === next.epoch)!;
    expect(createHash("sha256").update(revealed.seed!).digest("hex")).toBe(next.commitment);
  });
});

describe("moderation", () => {
  it("admins pause runners and models, authors withdraw their own, every action is audited", async () => {
    const { model, admin } = await gsmModel();
    const [runner] = await volunteers(1);
    const adminCaller = await userCaller(database.db, admin, clock);
    const stranger = await userCaller(database.db, runner!.user, clock);
    await expect(stranger.moderation.runner({ runnerId: runner!.runnerId, action: "pause", reason: "trying" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await adminCaller.moderation.runner({ runnerId: runner!.runnerId, action: "pause", reason: "wrong answers on purpose" });
    const paused = await runner!.caller.task.claim({ runnerId: runner!.runnerId, engine: "vllm" });
    expect(paused).toMatchObject({ claim: null, notice: "An admin paused this runner: wrong answers on purpose." });
    await adminCaller.moderation.runner({ runnerId: runner!.runnerId, action: "resume", reason: "talked it through" });
    expect((await runner!.caller.task.claim({ runnerId: runner!.runnerId, engine: "vllm" })).claim).not.toBeNull();

    await expect(stranger.moderation.model({ modelId: model.id, action: "withdraw", reason: "not mine" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(adminCaller.moderation.model({ modelId: model.id, action: "pause", reason: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await adminCaller.moderation.model({ modelId: model.id, action: "withdraw", reason: "author asked by mail" });
    const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
    expect(board.entries.find((e) => e.modelId === model.id)).toBeUndefined();
    const log = await adminCaller.moderation.auditLog();
    expect(log.slice(0, 3).map((entry) => entry.action)).toEqual(["model.withdraw", "runner.resume", "runner.pause"]);
    expect(log[0]).toMatchObject({ targetId: model.id, reason: "author asked by mail", actorName: admin.name });
  });
});
