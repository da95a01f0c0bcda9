/**
 * The public leaderboard API on a real PostgreSQL: ranked pages, a clear 400 for bad parameters, ETags that stay
 * put while nothing on the board changes, server-side sort, search and filter, (a claim) and move when it does (a decision).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, fakeOutputs, signedSubmission, TestClock, userCaller } from "@/test/fixtures";

let database: TestDatabase;
let GET: (request: Request) => Promise<Response>;
beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url; // the route uses the app's client
  ({ GET } = await import("./route"));
});
afterAll(async () => database.drop());

const get = (query = "", headers: Record<string, string> = {}) =>
  GET(new Request(`http://localhost/api/v0/leaderboard.json${query}`, { headers }));

it("serves ranked pages with stable ETags, and explains bad parameters", async () => {
  const clock = new TestClock(new Date());
  const admin = await userCaller(database.db, await createUser(database.db, "api-admin", "ADMIN"), clock);
  for (let i = 0; i < 3; i++) {
    await admin.model.register({ repo: `org/api-${i}`, revision: String(i).repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16" });
  }
  const first = await get("?limit=2");
  expect(first.status).toBe(200);
  const page = (await first.json()) as { total: number; offset: number; limit: number; models: { repo: string }[] };
  expect(page).toMatchObject({ total: 3, offset: 0, limit: 2 });
  expect(page.models).toHaveLength(2);
  const rest = (await (await get("?offset=2&limit=2")).json()) as { models: { repo: string }[] };
  expect(new Set([...page.models, ...rest.models].map((m) => m.repo))).toEqual(new Set(["org/api-0", "org/api-1", "org/api-2"]));

  // Sort, search and filter on the server; total counts the matches, boardTotal the board.
  const byModel = (await (await get("?sort=model&order=desc&limit=2")).json()) as { models: { repo: string }[]; query: { order: string } };
  expect(byModel.models.map((m) => m.repo)).toEqual(["org/api-2", "org/api-1"]);
  expect(byModel.query.order).toBe("desc");
  const searched = (await (await get("?q=API-1")).json()) as { total: number; boardTotal: number; models: { repo: string }[] };
  expect(searched).toMatchObject({ total: 1, boardTotal: 3 });
  expect(searched.models[0]!.repo).toBe("org/api-1");
  expect(((await (await get("?weightType=adapter")).json()) as { total: number }).total).toBe(0);
  const unmeasured = (await (await get("?sort=energy")).json()) as { models: { energy: unknown; scorePerKwh: unknown }[] };
  expect(unmeasured.models[0]).toMatchObject({ energy: null, scorePerKwh: null });
  expect(await (await get("?sort=nope")).json()).toEqual({ error: expect.stringMatching(/^sort: expected one of rank, model, overall/) });
  expect(await (await get("?precision=fp8")).json()).toEqual({ error: "precision: expected one of float32, float16, bfloat16, int8, int4" });
  expect((await get("?order=up")).status).toBe(400);

  const bad = await get("?limit=5000");
  expect(bad.status).toBe(400);
  expect(await bad.json()).toEqual({ error: "limit: expected 1 to 1000" });

  const etag = first.headers.get("etag")!;
  expect((await get("?limit=2", { "if-none-match": etag })).status).toBe(304);

  // A claim changes nothing on the board: same ETag. A decision does.
  const runners = await Promise.all([0, 1, 2].map(async () => createRunner(database.db, await createUser(database.db), clock)));
  const claims = [];
  for (const runner of runners) claims.push((await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" })).claim!);
  expect((await get("?limit=2", { "if-none-match": etag })).status).toBe(304);
  for (const [i, runner] of runners.entries()) {
    const claim = claims[i]!;
    await runner.caller.task.submit(signedSubmission(runner, claim, fakeOutputs(claim.task.benchmark.key, claim.task.itemIds), { signedAt: clock.now() }));
  }
  const after = await get("?limit=2", { "if-none-match": etag });
  expect(after.status).toBe(200);
  const scored = (await after.json()) as { models: { repo: string; scores: Record<string, unknown> }[] };
  expect(scored.models.some((m) => Object.keys(m.scores).length > 0)).toBe(true);
});
