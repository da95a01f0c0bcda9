/**
 * The runner loop against the real tRPC API (a real PostgreSQL behind it) and a real Docker engine running the
 * fixture engine: claim, heartbeat, evaluate, sign, submit; failures released as failed; a stop drains within its
 * bound and releases the task; a resubmission is answered ALREADY_SUBMITTED and counts as success.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser, TestClock, userCaller } from "@/test/fixtures";
import { createToken } from "@/server/services/tokens/manage-tokens";
import { createRunnerApi } from "./api-client";
import { loadConfig } from "./config";
import { createDockerEngine } from "./docker/dockerode-docker";
import { createFixtureEngine } from "./engines/fixture";
import { evaluateClaim } from "./evaluate";
import { createLogger, type LogSink } from "./log";
import { login } from "./login";
import { RunnerLoop, type LoopOptions } from "./loop";
import { submitResult } from "./submit";
import { dockerIsAvailable } from "./test-helpers/docker";
import { startAppServer, type AppServer } from "./test-helpers/app-server";

const hasDocker = await dockerIsAvailable();
const COMMIT = (n: number) => n.toString(16).padStart(40, "f");

interface Env {
  database: TestDatabase;
  server: AppServer;
  dir: string;
}

async function setUp(models: string[]): Promise<Env> {
  const database = await createTestDatabase();
  const server = await startAppServer(database.db);
  const clock = new TestClock(new Date());
  const admin = await createUser(database.db, undefined, "ADMIN");
  const caller = await userCaller(database.db, admin, clock);
  for (const [i, repo] of models.entries()) {
    await caller.model.register({ repo, revision: COMMIT(i + 1), weightType: "ORIGINAL", precision: "BFLOAT16" });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-loop-"));
  return { database, server, dir };
}

async function tearDown(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.server.close();
  await env.database.drop();
  await rm(env.dir, { recursive: true, force: true });
}

async function runnerFor(env: Env, name: string) {
  const user = await createUser(env.database.db);
  const { token } = await createToken({ db: env.database.db, actor: user, name: "runner", scopes: ["task:pull", "task:submit"] });
  const configDir = path.join(env.dir, name);
  await login({ server: env.server.url, token, configDir, name });
  return loadConfig(configDir);
}

function recordingLogger() {
  const events: Array<Record<string, unknown>> = [];
  const sink: LogSink = { writeHuman: () => {}, writeJson: (line) => events.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: createLogger({ json: true, sink, level: "debug" }), events };
}

function loopOptions(env: Env, config: Awaited<ReturnType<typeof loadConfig>>, extra: Partial<LoopOptions>): LoopOptions {
  const docker = createDockerEngine();
  return {
    api: createRunnerApi({ server: config.server, token: config.token }),
    engine: createFixtureEngine({ docker }),
    docker,
    runner: { id: config.runner.id, name: config.runner.name, privateKeyPem: config.privateKeyPem },
    engineName: "fixture",
    gpus: null,
    gpuInfo: [],
    workDir: path.join(env.dir, "work", config.runner.name),
    cacheDir: path.join(env.dir, "cache"),
    taskTimeoutMs: 60_000,
    logger: recordingLogger().logger,
    idleMinMs: 50,
    idleMaxMs: 200,
    ...extra,
  };
}

describe.skipIf(!hasDocker)("the runner loop against the real API and Docker", () => {
  let env: Env | undefined;
  afterAll(() => tearDown(env));

  describe("fixture/perfect", () => {
    beforeAll(async () => {
      env = await setUp(["fixture/perfect"]);
    });

    it("claims both of the model's tasks, evaluates, submits, and stops when the queue is empty", async () => {
      const config = await runnerFor(env!, "loop-a");
      const { logger, events } = recordingLogger();
      const summary = await new RunnerLoop(loopOptions(env!, config, { logger, exitWhenIdle: true })).run();
      expect(summary).toMatchObject({ end: "idle", claimed: 2, submitted: 2, failed: 0, error: null });
      const names = events.filter((e) => e.event).map((e) => e.event);
      expect(names).toEqual([
        "runner.started",
        "task.claimed",
        "task.evaluated",
        "task.submitted",
        "task.claimed",
        "task.evaluated",
        "task.submitted",
        "runner.stopped",
      ]);
      const results = await env!.database.db.result.findMany({ include: { assignment: true } });
      expect(results).toHaveLength(2);
      expect(results.every((r) => r.assignment.status === "SUBMITTED")).toBe(true);
    });

    it("with a bundle, takes both tasks of the model in one claim and evaluates them with one engine start", async () => {
      const config = await runnerFor(env!, "loop-bundle");
      const { logger, events } = recordingLogger();
      const docker = createDockerEngine();
      let starts = 0;
      const counting = { ...docker, runSandboxed: (spec: Parameters<typeof docker.runSandboxed>[0]) => ((starts += 1), docker.runSandboxed(spec)) };
      const options = loopOptions(env!, config, { logger, exitWhenIdle: true, bundle: 8 });
      const summary = await new RunnerLoop({ ...options, docker: counting, engine: createFixtureEngine({ docker: counting }) }).run();
      expect(summary).toMatchObject({ end: "idle", claimed: 2, submitted: 2, failed: 0, error: null });
      expect(starts).toBe(1);
      const claimed = events.filter((e) => e.event === "task.claimed");
      expect(claimed.map((e) => e.bundle)).toEqual([2, 2]);
      expect(new Set(claimed.map((e) => e.benchmark))).toEqual(new Set(["gsm8k@3", "truthfulqa_mc@2"]));
      const mine = await env!.database.db.result.findMany({ where: { runnerId: config.runner.id } });
      expect(mine).toHaveLength(2);
    });

    it("treats a resubmission the server already stored as success (ALREADY_SUBMITTED)", async () => {
      const config = await runnerFor(env!, "loop-b");
      const api = createRunnerApi({ server: config.server, token: config.token });
      const { claim } = await api.claim({ runnerId: config.runner.id, engine: "fixture" });
      expect(claim).not.toBeNull();
      const result = await evaluateClaim({
        claim: claim!,
        engine: createFixtureEngine({ docker: createDockerEngine() }),
        runner: { id: config.runner.id, name: config.runner.name, privateKeyPem: config.privateKeyPem },
        workDir: path.join(env!.dir, "work-b"),
        cacheDir: path.join(env!.dir, "cache"),
        gpus: null,
        timeoutMs: 60_000,
        logger: recordingLogger().logger,
      });
      const submit = () => submitResult({ api, submission: result.submission, privateKeyPem: config.privateKeyPem, logger: recordingLogger().logger });
      expect((await submit()).status).toBe("stored");
      expect((await submit()).status).toBe("already-submitted");
    });

    it("renews a signature that went stale while the result waited", async () => {
      const config = await runnerFor(env!, "loop-e");
      const api = createRunnerApi({ server: config.server, token: config.token });
      const { claim } = await api.claim({ runnerId: config.runner.id, engine: "fixture" });
      const result = await evaluateClaim({
        claim: claim!,
        engine: createFixtureEngine({ docker: createDockerEngine() }),
        runner: { id: config.runner.id, name: config.runner.name, privateKeyPem: config.privateKeyPem },
        workDir: path.join(env!.dir, "work-e"),
        cacheDir: path.join(env!.dir, "cache"),
        gpus: null,
        timeoutMs: 60_000,
        logger: recordingLogger().logger,
        now: () => new Date(Date.now() - 3 * 3600_000),
      });
      const recorded = recordingLogger();
      const report = await submitResult({ api, submission: result.submission, privateKeyPem: config.privateKeyPem, logger: recorded.logger });
      expect(report.status).toBe("stored");
      expect(recorded.events.some((e) => String(e.msg).includes("signing it again"))).toBe(true);
    });
  });

  describe("fixture/crash", () => {
    beforeAll(async () => {
      await tearDown(env);
      env = await setUp(["fixture/crash"]);
    });

    it("releases a failed evaluation as failed, with the engine's reason", async () => {
      const config = await runnerFor(env!, "loop-c");
      const summary = await new RunnerLoop(loopOptions(env!, config, { exitWhenIdle: true, maxTasks: 1 })).run();
      expect(summary).toMatchObject({ claimed: 1, submitted: 0, failed: 1 });
      const assignment = await env!.database.db.assignment.findFirstOrThrow({ where: { runnerId: config.runner.id } });
      expect(assignment.status).toBe("FAILED");
      expect(assignment.failureReason).toMatch(/exited with code 3/);
    });
  });

  describe("fixture/slow-60", () => {
    beforeAll(async () => {
      await tearDown(env);
      env = await setUp(["fixture/slow-60"]);
    });

    it("on stop, lets the task run for the drain bound, then kills its container and releases it", async () => {
      const config = await runnerFor(env!, "loop-d");
      const { logger, events } = recordingLogger();
      const loop = new RunnerLoop(loopOptions(env!, config, { logger, drainTimeoutMs: 1000 }));
      const done = loop.run();
      for (let i = 0; i < 200 && !events.some((e) => e.event === "task.claimed"); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stoppedAt = Date.now();
      loop.stop("test stop");
      const summary = await done;
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      expect(summary).toMatchObject({ end: "stopped", claimed: 1, released: 1, submitted: 0 });
      const assignment = await env!.database.db.assignment.findFirstOrThrow({ where: { runnerId: config.runner.id } });
      expect(assignment.status).toBe("RELEASED");
      const containers = await new (await import("dockerode")).default().listContainers({ all: true, filters: { label: ["org.quorum.runner.engine=fixture"] } });
      expect(containers.filter((c) => c.Labels["org.quorum.runner.pid"] === String(process.pid))).toEqual([]);
    });
  });
});
