/**
 * Community benchmarks end to end on a real PostgreSQL: created through the REST door and tRPC (field-level errors,
 * nothing stored on a refusal), probation with canary tasks on two reference models, accepted through the real
 * consensus loop (three runners of three volunteers, the server re-scoring from the downloaded dataset), then
 * ACTIVE and scheduled; a disputed canary and a runner that finds other bytes than the pinned ones keep the
 * benchmark in probation with the reason. Datasets come from a local HTTP file server: a test double for a public
 * dataset host, which this machine cannot reach.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareClaimBenchmark } from "@/lib/benchmarks/community/claim-benchmark";
import { clearDatasetCache, ensureCommunityDataset } from "@/lib/benchmarks/community/dataset-cache";
import { buildCommunityBenchmark } from "@/lib/benchmarks/community/families";
import { DatasetFetchError } from "@/lib/benchmarks/community/fetch-dataset";
import { sha256Hex } from "@/lib/benchmarks/sha256";
import type { TClaim } from "@/lib/protocol/runner-api";
import { createToken } from "@/server/services/tokens/manage-tokens";
import { handleCreateBenchmarkRequest } from "@/server/services/benchmarks/community/create-benchmark-http";
import { listBenchmarks } from "@/server/services/benchmarks/list-benchmarks";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, fakeOutputs, signedSubmission, TestClock, userCaller, type TestRunner } from "@/test/fixtures";
import type { SessionUser } from "@/server/auth/users";

const ARITH = Array.from({ length: 14 }, (_, i) => JSON.stringify({ input: `${i} + ${i + 3}`, target: String(2 * i + 3) })).join("\n") + "\n";
const MUTABLE_BEFORE = Array.from({ length: 10 }, (_, i) => JSON.stringify({ input: `${i} * 2`, target: String(2 * i) })).join("\n") + "\n";
const COMMIT = (n: number) => n.toString(16).padStart(40, "c");

/** The dataset host double: fixed files, and one whose bytes change after a benchmark pinned them. */
let served: Record<string, string> = { "/arith.jsonl": ARITH, "/mutable.jsonl": MUTABLE_BEFORE };
let fileServer: Server;
let base: string;
let database: TestDatabase;
let clock: TestClock;
let admin: SessionUser;
let adminToken: string;
let references: { id: string; repo: string }[];
let runners: TestRunner[];

function definition(overrides: Record<string, unknown> = {}) {
  return {
    slug: "arith_small",
    name: "Small arithmetic",
    description: "Adding two small numbers.",
    family: "generate_until_exact_match",
    promptTemplate: "Q: {{input}}\nA:",
    fewshot: { count: 2, separator: "\n\n" },
    metric: "exact_match",
    itemsPerTask: 5,
    dataset: { url: `${base}/arith.jsonl`, sha256: sha256Hex(ARITH), licence: "CC0-1.0" },
    ...overrides,
  };
}

function post(body: unknown, token: string | null = adminToken): Promise<Response> {
  return handleCreateBenchmarkRequest(
    new Request("http://quorum.test/api/v0/benchmarks", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    { db: database.db, now: clock.now(), epochMinutes: 60, referenceModels: references.map((m) => m.repo), maxBodyBytes: 1024 * 1024, rateLimits: null },
  );
}

/** One runner's turn, as the runner does it: claim, build the benchmark from the claim (download + verify), answer, submit. */
async function evaluateOnce(runner: TestRunner, correct: (index: number) => boolean) {
  const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
  if (!claim) return null;
  const definitionOfClaim = await prepareClaimBenchmark(claim, { allowPrivateHosts: true });
  const outputs = fakeOutputs(definitionOfClaim.key, claim.task.itemIds, (_item, i) => correct(i));
  const outcome = await runner.caller.task.submit(signedSubmission(runner, claim, outputs, { signedAt: clock.now() }));
  return { claim, outcome };
}

beforeAll(async () => {
  fileServer = createServer((request, response) => {
    const body = served[request.url ?? ""];
    if (body === undefined) {
      response.writeHead(404);
      return response.end("not found");
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => fileServer.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
  database = await createTestDatabase();
  clock = new TestClock();
  // Only community benchmarks are scheduled here: no code benchmark competes for the runners' claims.
  await database.db.benchmark.updateMany({ data: { isActive: false } });
  admin = await createUser(database.db, undefined, "ADMIN");
  adminToken = (await createToken({ db: database.db, actor: admin, name: "bench", scopes: ["benchmark:create"] })).token;
  const caller = await userCaller(database.db, admin, clock);
  references = [];
  for (const repo of ["org/reference-a", "org/reference-b"]) {
    const model = await caller.model.register({ repo, revision: COMMIT(repo.length), weightType: "ORIGINAL", precision: "BFLOAT16" });
    references.push({ id: model.id, repo });
  }
  runners = [];
  for (let i = 0; i < 3; i++) runners.push(await createRunner(database.db, await createUser(database.db), clock));
});
afterAll(async () => {
  await database.drop();
  await new Promise<void>((resolve) => fileServer.close(() => resolve()));
});

describe("creating a community benchmark", () => {
  it("refuses callers without the scope: 401 without a token, 403 with a token lacking benchmark:create", async () => {
    expect((await post(definition(), null)).status).toBe(401);
    const user = await createUser(database.db);
    const { token } = await createToken({ db: database.db, actor: user, name: "pull", scopes: ["task:pull"] });
    const refused = await post(definition(), token);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("benchmark:create");
    const caller = await userCaller(database.db, user, clock);
    await expect(caller.benchmark.createCommunity(definition())).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await database.db.communityBenchmark.count()).toBe(0);
  });

  it("refuses bad definitions with one error per field, a code benchmark's slug, other bytes than pinned, and a bad format; nothing stored", async () => {
    const before = await database.db.benchmark.count();
    const bad = await post(definition({ slug: "Bad Slug", promptTemplate: "no placeholder", metric: "acc", itemsPerTask: 0 }));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; fieldErrors: { field: string; message: string }[] } };
    expect(body.error.code).toBe("VALIDATION");
    expect(body.error.fieldErrors.map((error) => error.field).sort()).toEqual(["itemsPerTask", "metric", "promptTemplate", "slug"]);

    const fieldsOf = async (response: Response) => ((await response.json()) as { error: { fieldErrors: { field: string; message: string }[] } }).error.fieldErrors;
    expect(await fieldsOf(await post(definition({ slug: "gsm8k" })))).toEqual([{ field: "slug", message: "gsm8k is a benchmark defined in code; choose another slug" }]);
    expect(await fieldsOf(await post(definition({ name: "gsm8k" })))).toEqual([{ field: "name", message: "GSM8K is the name of gsm8k@3; choose another name" }]);
    const mismatch = await fieldsOf(await post(definition({ dataset: { url: `${base}/arith.jsonl`, sha256: "a".repeat(64), licence: "CC0-1.0" } })));
    expect(mismatch).toEqual([{ field: "dataset.sha256", message: expect.stringContaining(`has sha256 ${sha256Hex(ARITH)}, not the pinned ${"a".repeat(64)}`) }]);
    const format = await fieldsOf(await post(definition({ family: "loglikelihood_multiple_choice", metric: "acc" })));
    expect(format).toEqual([{ field: "dataset.url", message: expect.stringMatching(/^dataset line 1: unknown field\(s\) target/) }]);
    expect(await fieldsOf(await post(definition({ itemsPerTask: 13 })))).toEqual([
      { field: "itemsPerTask", message: "the dataset has 12 items after the few-shot exemplars; at most 12" },
    ]);
    expect(await fieldsOf(await post("{not json"))).toEqual([{ field: "(definition)", message: "the body must be the definition as a JSON object" }]);
    // The form's path reports the same field errors through tRPC.
    const caller = await userCaller(database.db, admin, clock);
    await expect(caller.benchmark.createCommunity(definition({ slug: "x" }))).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { options: { details: { fieldErrors: [{ field: "slug", message: expect.any(String) }] } } },
    });
    expect(await database.db.communityBenchmark.count()).toBe(0);
    expect(await database.db.benchmark.count()).toBe(before);
  });

  it("stores a good definition in probation with canary tasks on the two reference models, off the schedule and the board", async () => {
    const response = await post(definition());
    expect(response.status).toBe(201);
    const { benchmark } = (await response.json()) as { benchmark: { id: string; status: string; canaryTaskIds: string[]; referenceModels: { repo: string }[] } };
    expect(benchmark).toMatchObject({ id: "arith_small@1", status: "PROBATION", referenceModels: references.map((m) => ({ repo: m.repo })) });
    const canaries = await database.db.task.findMany({ where: { id: { in: benchmark.canaryTaskIds } } });
    expect(canaries.map((task) => task.modelId).sort()).toEqual(references.map((m) => m.id).sort());
    expect(canaries[0]!.itemIds).toHaveLength(5);
    expect(canaries[0]!.itemIds.every((item) => /^item\/([2-9]|1[0-3])$/.test(item))).toBe(true);
    expect(await database.db.benchmark.findUniqueOrThrow({ where: { id: "arith_small@1" } })).toMatchObject({ isActive: false });
    expect((await listBenchmarks({ db: database.db, activeOnly: true })).map((b) => b.id)).not.toContain("arith_small@1");
    const listed = (await listBenchmarks({ db: database.db })).find((b) => b.id === "arith_small@1")!;
    expect(listed).toMatchObject({ itemCount: 12, primaryMetric: "exact_match", community: { status: "PROBATION", family: "generate_until_exact_match" } });
    // A model registered now gets no task of a benchmark in probation.
    const caller = await userCaller(database.db, admin, clock);
    const other = await caller.model.register({ repo: "org/newcomer", revision: COMMIT(1), weightType: "ORIGINAL", precision: "BFLOAT16" });
    expect(await database.db.task.count({ where: { modelId: other.id } })).toBe(0);
  });

  it("a change is a new version; the same definition again is refused", async () => {
    const again = await post(definition());
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { fieldErrors: { message: string }[] } }).error.fieldErrors[0]!.message).toContain("identical to arith_small@1");
    const caller = await userCaller(database.db, admin, clock);
    const v2 = await caller.benchmark.createCommunity(definition({ itemsPerTask: 4 }));
    expect(v2).toMatchObject({ id: "arith_small@2", version: 2, status: "PROBATION" });
    const v1 = await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: "arith_small@1" } });
    expect(v1.definition).toMatchObject({ itemsPerTask: 5 });
    // v2's canaries are not needed for the loop below.
    await database.db.task.updateMany({ where: { benchmarkId: "arith_small@2" }, data: { status: "FAILED", finishedAt: clock.now() } });
  });
});

describe("probation", () => {
  it("becomes ACTIVE when both canary tasks are accepted by consensus, then joins the schedule and the board", async () => {
    const accepted: string[] = [];
    for (let round = 0; round < 2; round++) {
      const statuses: string[] = [];
      for (const runner of runners) {
        const turn = await evaluateOnce(runner, (i) => i !== 1);
        expect(turn!.claim.task.benchmark).toMatchObject({ key: "arith_small@1", community: { version: "1", itemCount: 12 } });
        statuses.push(turn!.outcome.taskStatus);
        if (turn!.outcome.taskStatus === "ACCEPTED") accepted.push(turn!.claim.task.id);
      }
      expect(statuses).toEqual(["VALIDATING", "VALIDATING", "ACCEPTED"]);
      const stored = await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: "arith_small@1" } });
      expect(stored.status).toBe(round === 0 ? "PROBATION" : "ACTIVE");
      if (round === 0) {
        // One canary accepted: still in probation, and its score is not on the board.
        const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
        expect(board.entries.flatMap((entry) => Object.keys(entry.scores))).not.toContain("arith_small@1");
      }
    }
    expect(accepted.sort()).toEqual((await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: "arith_small@1" } })).canaryTaskIds.sort());
    const task = await database.db.task.findUniqueOrThrow({ where: { id: accepted[0]! } });
    expect(task.acceptedScore).toBeCloseTo(0.8);
    expect(await database.db.benchmark.findUniqueOrThrow({ where: { id: "arith_small@1" } })).toMatchObject({ isActive: true });

    const caller = await userCaller(database.db, admin, clock);
    const model = await caller.model.register({ repo: "org/after-probation", revision: COMMIT(2), weightType: "ORIGINAL", precision: "BFLOAT16" });
    expect((await database.db.task.findMany({ where: { modelId: model.id } })).map((t) => t.benchmarkId)).toEqual(["arith_small@1"]);
    const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
    const reference = board.entries.find((entry) => entry.modelId === references[0]!.id)!;
    expect(reference.scores["arith_small@1"]!.exact_match).toMatchObject({ mean: 0.8, n: 5 });
  });

  it("stays in probation with the reason when a canary task is disputed", async () => {
    const caller = await userCaller(database.db, admin, clock);
    const created = await caller.benchmark.createCommunity(definition({ slug: "arith_disputed" }));
    const answers = [() => true, () => false, (i: number) => i % 2 === 0];
    const statuses: string[] = [];
    for (const [index, runner] of runners.entries()) statuses.push((await evaluateOnce(runner, answers[index]!))!.outcome.taskStatus);
    expect(statuses.at(-1)).toBe("DISPUTED");
    const stored = await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.status).toBe("PROBATION");
    expect(stored.reason).toMatch(/^The canary task on org\/reference-[ab] was disputed: /);
    const listed = (await listBenchmarks({ db: database.db })).find((b) => b.id === created.id)!;
    expect(listed.community).toMatchObject({ status: "PROBATION", reason: stored.reason });
    // Close it so later claims go to the next benchmark's canaries.
    await database.db.task.updateMany({ where: { benchmarkId: created.id }, data: { status: "FAILED", finishedAt: clock.now() } });
  });

  it("a runner that downloads other bytes than the pinned ones fails the task with that reason, and the benchmark shows it", async () => {
    const caller = await userCaller(database.db, admin, clock);
    const created = await caller.benchmark.createCommunity(
      definition({ slug: "arith_mutable", fewshot: { count: 0, separator: "\n\n" }, dataset: { url: `${base}/mutable.jsonl`, sha256: sha256Hex(MUTABLE_BEFORE), licence: "CC0-1.0" } }),
    );
    // The host now serves other bytes at the same URL; a runner that has not cached the dataset downloads them.
    served = { ...served, "/mutable.jsonl": MUTABLE_BEFORE.replace('"0"', '"1"') };
    clearDatasetCache();
    const runner = runners[0]!;
    const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
    expect(claim!.task.benchmark.key).toBe(created.id);
    const community = (claim as TClaim).task.benchmark.community!;
    const fresh = buildCommunityBenchmark({ key: created.id, version: community.version, definition: community.definition, itemCount: community.itemCount });
    const error = await ensureCommunityDataset(fresh, { allowPrivateHosts: true }).then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatasetFetchError);
    expect((error as DatasetFetchError).field).toBe("dataset.sha256");
    expect(fresh.isDatasetLoaded()).toBe(false);
    await runner.caller.task.release({ claimToken: claim!.claimToken, kind: "failed", reason: (error as Error).message, cause: "download" });
    const stored = await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.status).toBe("PROBATION");
    expect(stored.reason).toContain(`A runner could not evaluate the canary task on org/reference-`);
    expect(stored.reason).toContain(`not the pinned ${sha256Hex(MUTABLE_BEFORE)}`);
    // A runner-side cause does not fail the task: it goes back to the queue.
    expect(await database.db.task.findUniqueOrThrow({ where: { id: claim!.task.id } })).toMatchObject({ status: "QUEUED" });
  });
});

describe("rejection", () => {
  it("an admin rejects a benchmark in probation: REJECTED with the reason, its open tasks failed; others may not", async () => {
    const user = await createUser(database.db);
    await expect((await userCaller(database.db, user, clock)).benchmark.rejectCommunity({ id: "arith_mutable@1", reason: "no" + "t useful" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const caller = await userCaller(database.db, admin, clock);
    const rejected = await caller.benchmark.rejectCommunity({ id: "arith_mutable@1", reason: "the dataset host changes its files" });
    expect(rejected).toMatchObject({ status: "REJECTED", closedTasks: 2 });
    const listed = (await listBenchmarks({ db: database.db })).find((b) => b.id === "arith_mutable@1")!;
    expect(listed).toMatchObject({ isActive: false, community: { status: "REJECTED", reason: "Rejected by an admin: the dataset host changes its files" } });
    expect(await database.db.task.count({ where: { benchmarkId: "arith_mutable@1", finishedAt: null } })).toBe(0);
    await expect(caller.benchmark.rejectCommunity({ id: "arith_mutable@1", reason: "again" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(caller.benchmark.rejectCommunity({ id: "gsm8k@3", reason: "not community" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("every family through the loop", () => {
  const MC = Array.from({ length: 9 }, (_, i) => JSON.stringify({ input: `Colour ${i}?`, choices: ["red", "green", "blue"], label: i % 3 })).join("\n") + "\n";
  const TEXT = Array.from({ length: 6 }, (_, i) => JSON.stringify({ text: `Document ${i}: ${"words and more words ".repeat(i + 2)}` })).join("\n") + "\n";

  it.each([
    { slug: "colours_mc", family: "loglikelihood_multiple_choice", metric: "acc", file: "/mc.jsonl", data: MC, template: "Q: {{input}}\nA:", shots: 1 },
    { slug: "docs_rolling", family: "loglikelihood_rolling", metric: "bits_per_byte", file: "/text.jsonl", data: TEXT, template: "Text:\n{{input}}", shots: 0 },
  ])("$family: canaries accepted by consensus, then ACTIVE", async ({ slug, family, metric, file, data, template, shots }) => {
    served = { ...served, [file]: data };
    // Earlier tests leave tasks open; close them so the runners' claims reach this benchmark's canaries.
    await database.db.task.updateMany({ where: { finishedAt: null }, data: { status: "FAILED", finishedAt: clock.now() } });
    const curator = await createUser(database.db, undefined, "ADMIN");
    const created = await (await userCaller(database.db, curator, clock)).benchmark.createCommunity(
      definition({ slug, family, metric, promptTemplate: template, fewshot: { count: shots, separator: "\n\n" }, itemsPerTask: 3, dataset: { url: `${base}${file}`, sha256: sha256Hex(data), licence: "CC0-1.0" } }),
    );
    const statuses: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const runner of runners) statuses.push((await evaluateOnce(runner, (i) => i !== 0))!.outcome.taskStatus);
    }
    expect(statuses).toEqual(["VALIDATING", "VALIDATING", "ACCEPTED", "VALIDATING", "VALIDATING", "ACCEPTED"]);
    expect(await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: "ACTIVE", reason: null });
    const task = await database.db.task.findFirstOrThrow({ where: { benchmarkId: created.id, status: "ACCEPTED" } });
    if (family === "loglikelihood_multiple_choice") expect(task.acceptedScore).toBeCloseTo(2 / 3);
    // Rolling: two documents at 0.5 nats per byte and one at 2: bits per byte between the two rates, lower is better.
    else expect(task.acceptedScore!).toBeGreaterThan(0.5 / Math.LN2);
  });

  it("a creator may have at most five benchmarks in probation", async () => {
    const curator = await createUser(database.db, undefined, "ADMIN");
    const caller = await userCaller(database.db, curator, clock);
    for (let i = 0; i < 5; i++) await caller.benchmark.createCommunity(definition({ slug: `quota_case_${i}` }));
    await expect(caller.benchmark.createCommunity(definition({ slug: "quota_case_5" }))).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("5 benchmarks in probation") });
  });
});

describe("retrying canaries", () => {
  it("after a disputed canary, its creator retries it in a later epoch; the new canary is accepted and the benchmark ACTIVE", async () => {
    await database.db.task.updateMany({ where: { finishedAt: null }, data: { status: "FAILED", finishedAt: clock.now() } });
    const curator = await createUser(database.db, undefined, "ADMIN");
    const caller = await userCaller(database.db, curator, clock);
    const created = await caller.benchmark.createCommunity(definition({ slug: "arith_retry" }));
    // One canary disputed (three runners disagree), the other accepted.
    const answers = [() => true, () => false, (i: number) => i % 2 === 0];
    const first: string[] = [];
    for (const [index, runner] of runners.entries()) first.push((await evaluateOnce(runner, answers[index]!))!.outcome.taskStatus);
    expect(first.at(-1)).toBe("DISPUTED");
    await expect(caller.benchmark.retryCanaries({ id: created.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("still has canary tasks being evaluated"),
    });
    const second: string[] = [];
    for (const runner of runners) second.push((await evaluateOnce(runner, () => true))!.outcome.taskStatus);
    expect(second).toEqual(["VALIDATING", "VALIDATING", "ACCEPTED"]);
    const before = await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: created.id } });
    expect(before).toMatchObject({ status: "PROBATION", reason: expect.stringMatching(/was disputed/) });
    const disputed = (await database.db.task.findMany({ where: { id: { in: before.canaryTaskIds }, status: "DISPUTED" } })).map((t) => t.id);
    expect(disputed).toHaveLength(1);

    // Someone else may not; the creator may, but not within the disputed canary's epoch.
    const stranger = await userCaller(database.db, await createUser(database.db), clock);
    await expect(stranger.benchmark.retryCanaries({ id: created.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.benchmark.retryCanaries({ id: created.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("Retry from") });
    clock.advanceMinutes(60);
    const retried = await caller.benchmark.retryCanaries({ id: created.id });
    expect(retried.retries).toBe(1);
    expect(retried.canaryTaskIds).toHaveLength(2);
    expect(retried.canaryTaskIds).not.toContain(disputed[0]);
    expect(await database.db.task.findUniqueOrThrow({ where: { id: disputed[0]! } })).toMatchObject({ status: "FAILED", reason: "replaced by a retry of the canary tasks" });
    expect(await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: "PROBATION", reason: null });

    const third: string[] = [];
    for (const runner of runners) third.push((await evaluateOnce(runner, () => true))!.outcome.taskStatus);
    expect(third).toEqual(["VALIDATING", "VALIDATING", "ACCEPTED"]);
    expect(await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ status: "ACTIVE", reason: null, canaryRetries: 1 });
    await expect(caller.benchmark.retryCanaries({ id: created.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("is active") });
  });

  it("a version's canaries are retried at most three times", async () => {
    await database.db.task.updateMany({ where: { finishedAt: null }, data: { status: "FAILED", finishedAt: clock.now() } });
    const curator = await createUser(database.db, undefined, "ADMIN");
    const caller = await userCaller(database.db, curator, clock);
    const created = await caller.benchmark.createCommunity(definition({ slug: "arith_flaky" }));
    for (let attempt = 1; attempt <= 4; attempt++) {
      // The canaries fail (as a task does when its runners keep failing), an epoch passes, the creator retries.
      const stored = await database.db.communityBenchmark.findUniqueOrThrow({ where: { id: created.id } });
      await database.db.task.updateMany({ where: { id: { in: stored.canaryTaskIds } }, data: { status: "FAILED", finishedAt: clock.now(), reason: "runners kept failing" } });
      clock.advanceMinutes(60);
      if (attempt <= 3) expect((await caller.benchmark.retryCanaries({ id: created.id })).retries).toBe(attempt);
      else await expect(caller.benchmark.retryCanaries({ id: created.id })).rejects.toMatchObject({ message: expect.stringContaining("retried 3 times") });
    }
  });
});
