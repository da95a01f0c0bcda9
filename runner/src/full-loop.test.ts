/**
 * The whole loop, as volunteers run it: the real API over HTTP on a real PostgreSQL, runner processes
 * (`pnpm runner login` + `start`) of different users evaluating fixture models in a real Docker engine.
 * - three runners of three users: consensus accepted, on the leaderboard with n and an interval;
 * - a noisy fixture: a dispute, which two more volunteers resolve;
 * - a runner killed mid-task: its lease expires and the task completes on other runners.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { reapExpiredLeases } from "@/server/services/tasks/manage-claim";
import { createToken } from "@/server/services/tokens/manage-tokens";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser, TestClock, userCaller } from "@/test/fixtures";
import { noisyAnswersCorrectly } from "./engines/fixture";
import { dockerIsAvailable } from "./test-helpers/docker";
import { startAppServer, type AppServer } from "./test-helpers/app-server";

const hasDocker = await dockerIsAvailable();
const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const CLI = path.join(ROOT, "runner/src/cli.ts");

let database: TestDatabase;
let server: AppServer;
let dir: string;
let revision = 0;
const clock = new TestClock(new Date());

beforeAll(async () => {
  if (!hasDocker) return;
  database = await createTestDatabase();
  server = await startAppServer(database.db);
  dir = await mkdtemp(path.join(os.tmpdir(), "quorum-full-loop-"));
});
afterAll(async () => {
  if (!hasDocker) return;
  await server.close();
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

interface RunnerProcess {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function runCli(args: string[], configDir: string, onEvent?: (event: Record<string, unknown>) => void): RunnerProcess {
  const child = spawn(TSX, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, QUORUM_RUNNER_CONFIG_DIR: configDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: a "machine death" kills tsx and the node process it runs
  });
  const events: Array<Record<string, unknown>> = [];
  let partial = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    for (let nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!line.startsWith("{")) continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      onEvent?.(event);
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      if (code !== 0 && code !== null) {
        const last = events.filter((e) => e.level === "error" || e.event === "task.failed").slice(-3);
        console.error(`runner ${args.join(" ")} exited ${code}: ${stderr}\n${JSON.stringify(last)}\n${partial}`);
      }
      resolve(code);
    }),
  );
  return { child, events, exited };
}

/** A volunteer: a user, a token, and a logged-in runner config. */
async function volunteer(name: string): Promise<string> {
  const user = await createUser(database.db, `${name}-${Math.random().toString(36).slice(2, 6)}`);
  const { token } = await createToken({ db: database.db, actor: user, name: "runner", scopes: ["task:pull", "task:submit"] });
  const configDir = path.join(dir, name);
  const login = runCli(["login", "--server", server.url, "--token", token, "--name", name, "--json"], configDir);
  expect(await login.exited).toBe(0);
  return configDir;
}

async function registerFixture(repo: string): Promise<string> {
  const admin = await createUser(database.db, undefined, "ADMIN");
  const caller = await userCaller(database.db, admin, clock);
  const { id } = await caller.model.register({
    repo,
    revision: (++revision).toString(16).padStart(40, "0"),
    weightType: "ORIGINAL",
    precision: "BFLOAT16",
  });
  return id;
}

function startUntilIdle(configDir: string): RunnerProcess {
  return runCli(["start", "--engine", "fixture", "--json", "--exit-when-idle"], configDir);
}

it.skipIf(!hasDocker)("three runners of three users agree: the score is accepted and on the leaderboard", { timeout: 180_000 }, async () => {
  const modelId = await registerFixture("fixture/perfect");
  const configs = await Promise.all(["alpha", "bravo", "charlie"].map(volunteer));
  const runs = configs.map(startUntilIdle);
  expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0, 0]);
  for (const run of runs) expect(run.events.filter((e) => e.event === "task.submitted")).toHaveLength(2);

  const tasks = await database.db.task.findMany({ where: { modelId }, include: { results: true } });
  expect(tasks.map((t) => t.status)).toEqual(["ACCEPTED", "ACCEPTED"]);
  expect(tasks.every((t) => t.results.length === 3 && t.results.every((r) => r.verdict === "VALID"))).toBe(true);
  expect(tasks.every((t) => t.results.every((r) => r.engineName === "fixture" && r.imageDigest.startsWith("sha256:")))).toBe(true);
  const board = await (await userCaller(database.db, null, clock)).leaderboard.get();
  const entry = board.entries.find((e) => e.modelId === modelId)!;
  expect(entry.scores["gsm8k@3"]!["exact_match,strict-match"]).toMatchObject({ mean: 1, n: 5 });
  expect(entry.scores["gsm8k@3"]!["exact_match,strict-match"]!.lo).toBeLessThan(1);
  expect(entry.overall?.mean).toBeGreaterThan(0.9);
});

it.skipIf(!hasDocker)("a noisy fixture leads to a dispute, which two more volunteers resolve", { timeout: 240_000 }, async () => {
  // Pick a seed for which the first three runners split 2:1 and the two later ones answer correctly.
  const first = ["delta", "echo", "foxtrot"];
  const later = ["golf", "hotel"];
  let seed = 0;
  for (let s = 1; ; s++) {
    const votes = first.map((name) => noisyAnswersCorrectly(String(s), name));
    if (votes.filter(Boolean).length === 2 && later.every((name) => noisyAnswersCorrectly(String(s), name))) {
      seed = s;
      break;
    }
  }
  const modelId = await registerFixture(`fixture/noisy-${seed}`);
  const firstRuns = (await Promise.all(first.map(volunteer))).map(startUntilIdle);
  expect(await Promise.all(firstRuns.map((r) => r.exited))).toEqual([0, 0, 0]);
  const disputed = await database.db.task.findMany({ where: { modelId } });
  expect(disputed.map((t) => t.status)).toEqual(["DISPUTED", "DISPUTED"]);
  expect(disputed.every((t) => t.targetResults === 5 && /no strict majority agrees item by item/.test(t.reason ?? ""))).toBe(true);

  const laterRuns = (await Promise.all(later.map(volunteer))).map(startUntilIdle);
  expect(await Promise.all(laterRuns.map((r) => r.exited))).toEqual([0, 0]);
  const resolved = await database.db.task.findMany({ where: { modelId }, include: { results: { include: { runner: true } } } });
  expect(resolved.map((t) => t.status)).toEqual(["ACCEPTED", "ACCEPTED"]);
  for (const task of resolved) {
    const invalid = task.results.filter((r) => r.verdict === "INVALID").map((r) => r.runner.name);
    expect(invalid).toEqual(first.filter((name) => !noisyAnswersCorrectly(String(seed), name)));
  }
});

it.skipIf(!hasDocker)("a runner killed mid-task never loses the task: it completes on others after the lease", { timeout: 240_000 }, async () => {
  const modelId = await registerFixture("fixture/slow-6");
  const killedConfig = await volunteer("india");
  let claimed: string | null = null;
  const killed = runCli(["start", "--engine", "fixture", "--json", "--bundle", "1"], killedConfig, (event) => {
    if (event.event === "progress" && event.phase === "items" && !claimed) {
      claimed = "yes";
      process.kill(-killed.child.pid!, "SIGKILL"); // no drain, no release: the machine just died
    }
  });
  await killed.exited;
  expect(claimed).toBe("yes");
  const held = await database.db.assignment.findFirstOrThrow({ where: { task: { modelId } } });
  expect(held.status).toBe("ACTIVE");

  // The server's reaper, once the lease has run out (20 minutes later).
  expect(await reapExpiredLeases({ db: database.db, now: new Date(Date.now() + 21 * 60_000) })).toBe(1);
  const expired = await database.db.assignment.findUniqueOrThrow({ where: { id: held.id } });
  expect(expired.status).toBe("EXPIRED");

  const runs = (await Promise.all(["juliet", "kilo", "lima"].map(volunteer))).map(startUntilIdle);
  expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0, 0]);
  const tasks = await database.db.task.findMany({ where: { modelId }, include: { results: true } });
  expect(tasks.map((t) => t.status)).toEqual(["ACCEPTED", "ACCEPTED"]);
  expect(tasks.find((t) => t.id === held.taskId)!.results).toHaveLength(3);
});
