/**
 * `pnpm bench:runner`: how much of a volunteer's GPU time goes to evaluating, with one engine start per task (cold),
 * with a warm engine (one task a claim, the engine kept up between claims of the same model), and with bundles (one
 * engine start per model's open tasks in one claim).
 *
 * Reference queue: 10 models, each with 2 benchmarks (gsm8k@3, truthfulqa_mc@2) and 3 open epochs: 60 tasks of 5
 * items. A runner of a volunteer works through it with the real loop (claim, fetch, sandboxed container, score,
 * sign, submit through the real API over HTTP, on a real PostgreSQL, with a real Docker engine), the fixture engine
 * standing in for vLLM with a realistic engine start (BENCH_START_SECONDS, default 45) and compute per item
 * (BENCH_ITEM_SECONDS, default 0.5). Three volunteers of different accounts run it: --bundle 1 --engine-idle 0
 * (cold), --bundle 1 --engine-idle 600 (warm: the server hands back the warm model, the running engine answers), and
 * --bundle 16 --engine-idle 0 (bundled).
 *
 * Simulated time: the fixture sleeps BENCH_TIME_SCALE (default 0.01) times the simulated delays, so the bench takes
 * about two minutes instead of an hour. Everything else (Docker, HTTP, PostgreSQL, scoring, signing) runs at real
 * speed and is counted, unscaled, as the runner's overhead: overhead = real wall time - the scaled sleeps. Figures
 * are then in simulated seconds: wall = starts x start + items x item + overhead; useful share = items x item / wall;
 * overhead_ratio = overhead / wall (of the bundled run). Container creation and removal count as overhead, which
 * makes the ratio an upper bound. Last line (gain and overhead_ratio are the bundled run's, as the issue defines them):
 *   warm_useful_share=<n> warm_gain=<n> cold_useful_share=<n> bundled_useful_share=<n> gain=<n> overhead_ratio=<n>
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRunnerApi } from "../runner/src/api-client";
import type { ContainerEngine } from "../runner/src/docker/docker";
import { createDockerEngine } from "../runner/src/docker/dockerode-docker";
import { ensureFixtureImage } from "../runner/src/docker/fixture-image";
import { createFixtureEngine } from "../runner/src/engines/fixture";
import { createLogger } from "../runner/src/log";
import { RunnerLoop } from "../runner/src/loop";
import { startAppServer } from "../runner/src/test-helpers/app-server";
import { generateRunnerKeyPair } from "../src/lib/protocol/signing";
import { createDb, type Db } from "../src/server/db";
import { scratchDatabase } from "../src/server/db/scratch-database";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { registerModel } from "../src/server/services/models/register-model";
import { scheduleTasks } from "../src/server/services/tasks/schedule-tasks";
import { createToken } from "../src/server/services/tokens/manage-tokens";

const START_S = Number(process.env.BENCH_START_SECONDS ?? 45);
const ITEM_S = Number(process.env.BENCH_ITEM_SECONDS ?? 0.5);
const SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.01);
const MODELS = 10;
const EPOCHS = 3;
const EPOCH_MINUTES = 60;

interface Phase {
  label: string;
  tasks: number;
  items: number;
  starts: number;
  realWallS: number;
  overheadS: number;
  wallS: number;
  usefulShare: number;
}

async function runPhase(db: Db, serverUrl: string, tempDir: string, label: string, bundle: number, engineIdleMs: number): Promise<Phase> {
  const volunteer = await db.user.create({ data: { name: `bench-${label}` } });
  const { token } = await createToken({ db, actor: { id: volunteer.id, role: "USER" }, name: label, scopes: ["task:pull", "task:submit"] });
  const api = createRunnerApi({ server: serverUrl, token });
  const keys = generateRunnerKeyPair();
  const { runnerId } = await api.register({ name: `bench-${label}`, publicKey: keys.publicKey });
  const docker = createDockerEngine();
  let starts = 0;
  const counting: ContainerEngine = {
    ...docker,
    runSandboxed: (spec) => ((starts += 1), docker.runSandboxed(spec)),
    startSandboxed: (spec) => ((starts += 1), docker.startSandboxed(spec)),
  };
  const engine = createFixtureEngine({ docker: counting, startSeconds: START_S, itemSeconds: ITEM_S, timeScale: SCALE });
  const loop = new RunnerLoop({
    api,
    engine,
    docker: counting,
    runner: { id: runnerId, name: `bench-${label}`, privateKeyPem: keys.privateKeyPem },
    engineName: "fixture",
    gpus: null,
    gpuInfo: [],
    workDir: path.join(tempDir, label),
    cacheDir: path.join(tempDir, "cache"),
    taskTimeoutMs: 600_000,
    logger: createLogger({ json: false, level: "warn" }),
    exitWhenIdle: true,
    idleMinMs: 50,
    bundle,
    engineIdleMs,
  });
  const t0 = performance.now();
  const summary = await loop.run();
  const realWallS = (performance.now() - t0) / 1000;
  if (summary.error || summary.failed > 0) throw new Error(`${label}: ${summary.failed} failed (${summary.error?.message ?? "see the log"})`);
  const tasks = summary.submitted;
  const items = await db.result.count({ where: { runnerId } }).then(async () => {
    const results = await db.result.findMany({ where: { runnerId }, select: { task: { select: { itemIds: true } } } });
    return results.reduce((n, r) => n + r.task.itemIds.length, 0);
  });
  const simulatedS = starts * START_S + items * ITEM_S;
  const overheadS = Math.max(0, realWallS - SCALE * simulatedS);
  const wallS = simulatedS + overheadS;
  return { label, tasks, items, starts, realWallS, overheadS, wallS, usefulShare: (items * ITEM_S) / wallS };
}

async function main(): Promise<void> {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), "quorum-bench-runner-"));
  const database = await scratchDatabase({ adminUrl: process.env.BENCH_DATABASE_URL, port: 55900, name: `quorum_benchrunner_${process.pid}` });
  const db = createDb(database.url, { max: 8 });
  const server = await startAppServer(db);
  try {
    await seedBenchmarks(db);
    await ensureFixtureImage({ engine: createDockerEngine() });
    const author = await db.user.create({ data: { name: "bench-author", role: "ADMIN" } });
    const first = new Date(Date.now() - (EPOCHS - 1) * EPOCH_MINUTES * 60_000);
    const modelIds: string[] = [];
    for (let i = 0; i < MODELS; i++) {
      const model = await registerModel({
        db, actor: { id: author.id, role: "ADMIN" }, now: first, normRequired: 0, normWindowHours: 24, epochMinutes: EPOCH_MINUTES,
        input: { repo: "fixture/perfect", revision: (i + 1).toString(16).padStart(40, "0"), weightType: "ORIGINAL", baseModel: undefined, precision: "BFLOAT16" },
      });
      modelIds.push(model.id);
    }
    for (let e = 1; e < EPOCHS; e++) {
      // Earlier epochs' tasks stay open with results still missing (RUNNING: others took slots); the scheduler
      // adds an epoch only where the previous task is no longer QUEUED.
      await db.task.updateMany({ where: { status: "QUEUED" }, data: { status: "RUNNING" } });
      await scheduleTasks({ db, now: new Date(first.getTime() + e * EPOCH_MINUTES * 60_000), epochMinutes: EPOCH_MINUTES, modelIds });
    }
    const open = await db.task.count({ where: { finishedAt: null } });
    console.log(`reference queue: ${MODELS} models x 2 benchmarks x ${EPOCHS} epochs = ${open} open tasks; engine start ${START_S} s, ${ITEM_S} s per item, time scale ${SCALE}`);

    const phases: Phase[] = [];
    for (const [label, bundle, engineIdleS] of [["cold", 1, 0], ["warm", 1, 600], ["bundled", 16, 0]] as const) {
      console.log(`${label}: --bundle ${bundle} --engine-idle ${engineIdleS} ...`);
      const phase = await runPhase(db, server.url, tempDir, label, bundle, engineIdleS * 1000);
      phases.push(phase);
      console.log(
        `  ${phase.tasks} tasks, ${phase.items} items, ${phase.starts} engine starts; real ${phase.realWallS.toFixed(1)} s; ` +
          `simulated wall ${phase.wallS.toFixed(0)} s = starts ${(phase.starts * START_S).toFixed(0)} + compute ${(phase.items * ITEM_S).toFixed(0)} + overhead ${phase.overheadS.toFixed(1)}; useful share ${phase.usefulShare.toFixed(3)}`,
      );
    }
    const [cold, warm, bundled] = phases as [Phase, Phase, Phase];
    console.log(
      `warm_useful_share=${warm.usefulShare.toFixed(4)} warm_gain=${(warm.usefulShare / cold.usefulShare).toFixed(2)} cold_useful_share=${cold.usefulShare.toFixed(4)} bundled_useful_share=${bundled.usefulShare.toFixed(4)} gain=${(bundled.usefulShare / cold.usefulShare).toFixed(2)} overhead_ratio=${(bundled.overheadS / bundled.wallS).toFixed(4)}`,
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
