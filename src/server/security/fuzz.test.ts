/**
 * Property-based fuzzing (fast-check) of every tRPC procedure and public route, over HTTP, against the app's own
 * handlers on a real PostgreSQL: whatever arrives, no 5xx, and a refused request stores nothing. FUZZ_RUNS sets the
 * number of inputs (default 1,500 here; `pnpm bench:abuse` sends 10,000).
 */
import { appendFileSync } from "node:fs";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, expect, it, vi } from "vitest";

vi.hoisted(() => {
  // Limits are tested on their own (security-limits.test.ts, bench:abuse); here every input must reach its procedure.
  for (const name of ["RATE_IP_PER_MIN", "RATE_MUTATIONS_PER_MIN", "RATE_SIGNIN_PER_MIN", "RATE_TOKENS_PER_HOUR"]) process.env[name] = "1000000000";
});

const { createTestDatabase } = await import("@/test/db");
const { createRunner, createUser, TestClock } = await import("@/test/fixtures");
const { createToken } = await import("@/server/services/tokens/manage-tokens");
const { registerModel } = await import("@/server/services/models/register-model");
const { getDb } = await import("@/server/db");
const { fuzzRequests, PROCEDURES, sendFuzzRequest, startFuzzServer, STORED_ROWS_SQL } = await import("@/server/security/fuzz/fuzz-harness");

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;
let database: TestDatabase;
let server: Awaited<ReturnType<typeof startFuzzServer>>;
let counter: pg.Client;
let ids: { modelId: string; runnerId: string; tokenId: string };
let credentials: { userId: string; adminId: string; token: string };

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  const clock = new TestClock();
  const user = await createUser(database.db, "fuzz-user");
  const admin = await createUser(database.db, "fuzz-admin", "ADMIN");
  const runner = await createRunner(database.db, user, clock);
  const { id: tokenId, token } = await createToken({
    db: database.db,
    actor: user,
    name: "fuzz",
    scopes: ["task:pull", "task:submit", "model:register"],
  });
  const model = await registerModel({
    db: database.db,
    actor: admin,
    input: { repo: "org/fuzz-model", revision: "f".repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16", baseModel: undefined },
    now: new Date(),
    normRequired: 0,
    normWindowHours: 24,
    epochMinutes: 60,
  });
  ids = { modelId: model.id, runnerId: runner.runnerId, tokenId };
  credentials = { userId: user.id, adminId: admin.id, token };
  server = await startFuzzServer({ getDb, users: new Map([[user.id, user], [admin.id, admin]]) });
  counter = new pg.Client({ connectionString: database.url });
  await counter.connect();
});
afterAll(async () => {
  await server?.close();
  await counter?.end();
  await database.drop();
});

it("every procedure and public route answers hostile input without a 5xx and stores nothing when it refuses", { timeout: 600_000 }, async () => {
  const runs = Number(process.env.FUZZ_RUNS ?? 1500);
  const seen = new Set<string>();
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fuzzRequests(ids), async (request) => {
      const before = (await counter.query(STORED_ROWS_SQL)).rows[0] as Record<string, unknown>;
      if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, `${request.method} ${request.auth} ${request.path.slice(0, 200)} ${request.body?.length ?? 0}\n`);
      const { status } = await sendFuzzRequest(server.url, request, credentials);
      seen.add(request.label.split(" ")[0]!);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status, `${request.method} ${request.path.slice(0, 300)}`).toBeLessThan(500);
      if (status >= 400) {
        const after = (await counter.query(STORED_ROWS_SQL)).rows[0] as Record<string, unknown>;
        expect(after, `refused ${request.method} ${request.path.slice(0, 300)} changed stored rows`).toEqual(before);
      }
    }),
    { numRuns: runs, seed: Number(process.env.FUZZ_SEED ?? 12), endOnFailure: true },
  );
  console.log(`[fuzz] ${runs} inputs; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  // Every procedure was reached at least once.
  for (const { path } of PROCEDURES) expect(seen, path).toContain(path);
});
