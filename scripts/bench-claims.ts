/**
 * `pnpm bench:claims`: 200 concurrent simulated runners (each of its own volunteer) claim every slot of 2,000 tasks
 * through the real tRPC procedures (in-process caller on real PostgreSQL; like an HTTP request, every call builds
 * its own context, so its bearer token is looked up each time), then submit signed results; pgbench measures the
 * same database's raw single-row UPDATE throughput for comparison.
 *
 * Uses a fresh database on BENCH_DATABASE_URL's server when set (any PostgreSQL 15+ where the role may CREATE
 * DATABASE), else an embedded PostgreSQL in a temporary folder. Prints, last:
 *   claims_per_s=<n> submits_per_s=<n> raw_update_tps=<n> ratio=<claims_per_s/raw_update_tps> double_claims=<n>
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { generateRunnerKeyPair } from "../src/lib/protocol/signing";
import type { TClaim } from "../src/lib/protocol/runner-api";
import { createCaller } from "../src/server/api/root";
import { createTRPCContext } from "../src/server/api/trpc";
import { createDb } from "../src/server/db";
import { scratchDatabase } from "../src/server/db/scratch-database";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { createToken } from "../src/server/services/tokens/manage-tokens";
import { signedSubmission } from "../src/test/fixtures";
import { goldOutputs } from "../src/test/gold-outputs";

const RUNNERS = Number(process.env.BENCH_RUNNERS ?? 200);
const MODELS = Number(process.env.BENCH_MODELS ?? 1000);
const POOL = Number(process.env.BENCH_POOL ?? 20);

async function main(): Promise<void> {
  const database = await scratchDatabase({ adminUrl: process.env.BENCH_DATABASE_URL, port: 55700, name: `quorum_bench_${process.pid}` });
  const url = database.url;
  try {
    const db = createDb(url, { max: POOL });
    await seedBenchmarks(db);

    const [server] = await db.$queryRaw<{ server_version: string }[]>`SHOW server_version`;
    console.log(`PostgreSQL ${server?.server_version}${process.env.BENCH_DATABASE_URL ? " at BENCH_DATABASE_URL" : " (embedded)"}`);
    console.log(`setting up ${MODELS} models (${MODELS * 2} tasks) and ${RUNNERS} runners of ${RUNNERS} volunteers...`);
    const submitter = await db.user.create({ data: { name: "bench-submitter", role: "ADMIN" } });
    const clock = { now: () => new Date() };
    const adminCaller = createCaller(await createTRPCContext({ db, headers: new Headers(), getUser: async () => ({ id: submitter.id, name: submitter.name, role: "ADMIN", image: null }), clock }));
    for (let i = 0; i < MODELS; i++) {
      await adminCaller.model.register({ repo: `bench/model-${i}`, revision: i.toString(16).padStart(40, "0"), weightType: "ORIGINAL", precision: "BFLOAT16" });
    }
    const runners = [];
    for (let i = 0; i < RUNNERS; i++) {
      const user = await db.user.create({ data: { name: `volunteer-${i}` } });
      const { token } = await createToken({ db, actor: { id: user.id, role: "USER" }, name: "bench", scopes: ["task:pull", "task:submit"] });
      const headers = new Headers({ authorization: `Bearer ${token}` });
      const call = async () => createCaller(await createTRPCContext({ db, headers, getUser: async () => null, clock }));
      const keys = generateRunnerKeyPair();
      const { runnerId } = await (await call()).runner.register({ name: `r${i}`, publicKey: keys.publicKey });
      runners.push({ call, runnerId, keys, claims: [] as TClaim[] });
    }

    // Phase 1: every runner claims until nothing is left for it.
    let claims = 0;
    const claimStart = performance.now();
    await Promise.all(
      runners.map(async (runner) => {
        for (;;) {
          const { claim } = await (await runner.call()).task.claim({ runnerId: runner.runnerId, engine: "vllm" });
          if (!claim) return;
          runner.claims.push(claim);
          claims++;
        }
      }),
    );
    const claimSeconds = (performance.now() - claimStart) / 1000;

    // Phase 2: every claim is submitted, signed; consensus runs as the third result of each task lands.
    let submits = 0;
    const submitStart = performance.now();
    await Promise.all(
      runners.map(async (runner) => {
        for (const claim of runner.claims) {
          const outputs = goldOutputs(claim.task.benchmark.key, claim.task.itemIds);
          await (await runner.call()).task.submit(signedSubmission(runner, claim, outputs));
          submits++;
        }
      }),
    );
    const submitSeconds = (performance.now() - submitStart) / 1000;

    const [violations] = await db.$queryRaw<{ over: bigint; same_owner: bigint }[]>`
      SELECT
        (SELECT count(*) FROM "Task" t WHERE (SELECT count(*) FROM "Assignment" a WHERE a."taskId" = t.id
            AND a.status IN ('ACTIVE', 'SUBMITTED')) > t."targetResults") AS over,
        (SELECT count(*) FROM (SELECT 1 FROM "Assignment" a WHERE a.status IN ('ACTIVE', 'SUBMITTED')
            GROUP BY a."taskId", a."ownerId" HAVING count(*) > 1) d) AS same_owner`;
    const doubleClaims = Number(violations!.over) + Number(violations!.same_owner);
    const accepted = await db.task.count({ where: { status: "ACCEPTED" } });
    await db.$disconnect();

    // pgbench: raw single-row UPDATEs on the same database, same client count as the Prisma pool.
    const bench = new pg.Client({ connectionString: url });
    await bench.connect();
    await bench.query(`CREATE TABLE bench_counter (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)`);
    await bench.query(`INSERT INTO bench_counter (id) SELECT generate_series(1, 10000)`);
    await bench.end();
    const scriptFile = path.join(mkdtempSync(path.join(os.tmpdir(), "quorum-pgbench-")), "update.sql");
    writeFileSync(scriptFile, "\\set id random(1, 10000)\nUPDATE bench_counter SET v = v + 1 WHERE id = :id;\n");
    const pgbenchOut = execFileSync("pgbench", ["-n", "-f", scriptFile, "-c", String(POOL), "-j", "2", "-T", "10", url], { encoding: "utf8" });
    const tps = Number(pgbenchOut.match(/tps = ([\d.]+)/)?.[1]);

    const claimsPerS = claims / claimSeconds;
    const submitsPerS = submits / submitSeconds;
    console.log(`claims=${claims} in ${claimSeconds.toFixed(1)} s; submits=${submits} in ${submitSeconds.toFixed(1)} s; accepted_tasks=${accepted}; pool=${POOL} connections`);
    console.log(
      `claims_per_s=${claimsPerS.toFixed(1)} submits_per_s=${submitsPerS.toFixed(1)} raw_update_tps=${tps.toFixed(1)} ` +
        `ratio=${(claimsPerS / tps).toFixed(3)} double_claims=${doubleClaims}`,
    );
  } finally {
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:claims failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
