/**
 * `pnpm bench:runner`: the runner's own overhead on one task. The fixture engine is set to take a known compute time
 * (BENCH_ENGINE_SECONDS, default 60) with a warm image and code paths (one warm-up task first); the runner then
 * claims, evaluates in a sandboxed container, scores, signs and submits through the real API over HTTP, on a real
 * PostgreSQL. Needs a Docker engine. Prints, last:
 *   task_wall_s=<n> engine_s=<n> overhead_s=<n> overhead_ratio=<overhead_s/task_wall_s>
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRunnerApi } from "../runner/src/api-client";
import { createDockerEngine } from "../runner/src/docker/dockerode-docker";
import { createFixtureEngine } from "../runner/src/engines/fixture";
import { evaluateClaim } from "../runner/src/evaluate";
import { createLogger } from "../runner/src/log";
import { submitResult } from "../runner/src/submit";
import { startAppServer } from "../runner/src/test-helpers/app-server";
import { generateRunnerKeyPair } from "../src/lib/protocol/signing";
import { createDb } from "../src/server/db";
import { scratchDatabase } from "../src/server/db/scratch-database";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { registerModel } from "../src/server/services/models/register-model";
import { createToken } from "../src/server/services/tokens/manage-tokens";

const ENGINE_SECONDS = Number(process.env.BENCH_ENGINE_SECONDS ?? 60);

async function main(): Promise<void> {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), "quorum-bench-runner-"));
  const database = await scratchDatabase({ adminUrl: process.env.BENCH_DATABASE_URL, port: 55900, name: `quorum_benchrunner_${process.pid}` });
  const db = createDb(database.url, { max: 4 });
  const server = await startAppServer(db);
  try {
    await seedBenchmarks(db);
    const author = await db.user.create({ data: { name: "bench-author", role: "ADMIN" } });
    for (const [i, repo] of ["fixture/perfect", `fixture/slow-${ENGINE_SECONDS}`].entries()) {
      await registerModel({
        db, actor: { id: author.id, role: "ADMIN" }, now: new Date(), normRequired: 0, normWindowHours: 24, epochMinutes: 60,
        input: { repo, revision: (i + 1).toString(16).padStart(40, "0"), weightType: "ORIGINAL", baseModel: undefined, precision: "BFLOAT16" },
      });
    }
    const volunteer = await db.user.create({ data: { name: "bench-volunteer" } });
    const { token } = await createToken({ db, actor: { id: volunteer.id, role: "USER" }, name: "bench", scopes: ["task:pull", "task:submit"] });
    const api = createRunnerApi({ server: server.url, token });
    const keys = generateRunnerKeyPair();
    const { runnerId } = await api.register({ name: "bench-runner", publicKey: keys.publicKey });
    const logger = createLogger({ json: false, level: "warn" });
    const engine = createFixtureEngine({ docker: createDockerEngine() });
    const runner = { id: runnerId, name: "bench-runner", privateKeyPem: keys.privateKeyPem };

    const evaluateOne = async () => {
      const start = performance.now();
      const { claim } = await api.claim({ runnerId, engine: "fixture" });
      if (!claim) throw new Error("no task to claim");
      const evaluation = await evaluateClaim({
        claim, engine, runner, logger, gpus: null, timeoutMs: (ENGINE_SECONDS + 120) * 1000,
        workDir: path.join(tempDir, "work"), cacheDir: path.join(tempDir, "cache"),
      });
      await submitResult({ api, submission: evaluation.submission, privateKeyPem: keys.privateKeyPem, logger });
      return { repo: claim.task.model.repo, wallMs: performance.now() - start, timings: evaluation.timings };
    };

    console.log("warm-up: image build or check, code paths (fixture/perfect)...");
    for (;;) {
      const warm = await evaluateOne();
      console.log(`  ${warm.repo}: ${(warm.wallMs / 1000).toFixed(2)} s`);
      if (warm.repo !== "fixture/perfect") throw new Error("expected the warm-up model first");
      const remaining = await db.task.count({ where: { model: { repo: "fixture/perfect" }, status: { in: ["QUEUED"] } } });
      if (remaining === 0) break;
    }
    console.log(`measuring one fixture/slow-${ENGINE_SECONDS} task (the engine computes for ${ENGINE_SECONDS} s)...`);
    const measured = await evaluateOne();
    const wall = measured.wallMs / 1000;
    const overhead = wall - ENGINE_SECONDS;
    const t = measured.timings;
    console.log(
      `timings (ms): prepare=${t.prepareMs} weights=${t.weightsMs} requests=${t.requestsMs} container=${t.containerMs} ` +
        `engine=${t.engineMs} score=${t.scoreMs} sign=${t.signMs} evaluate_total=${t.totalMs}`,
    );
    console.log(
      `task_wall_s=${wall.toFixed(2)} engine_s=${ENGINE_SECONDS} overhead_s=${overhead.toFixed(2)} overhead_ratio=${(overhead / wall).toFixed(4)}`,
    );
  } finally {
    await server.close();
    await db.$disconnect();
    await database.drop();
    rmSync(tempDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:runner failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
