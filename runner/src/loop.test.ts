/**
 * The runner loop against the real tRPC API (a real PostgreSQL behind it) and a real Docker engine running the
 * fixture engine: claim, heartbeat, evaluate, sign, submit; failures released as failed; a stop drains within its
 * bound and releases the task; a resubmission is answered ALREADY_SUBMITTED and counts as success.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser, TestClock, userCaller } from "@/test/fixtures";
import { createToken } from "@/server/services/tokens/manage-tokens";
import { createRunnerApi } from "./api-client";
import { loadConfig } from "./config";
import Docker from "dockerode";
import type { ContainerEngine } from "./docker/docker";
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

/** Counts engine containers: one-shot runs and warm engines started (the fixture engine uses both). */
function countingDocker() {
  const docker = createDockerEngine();
  const starts = { runs: 0, warm: 0 };
  const counting: ContainerEngine = {
    ...docker,
    runSandboxed: (spec) => ((starts.runs += 1), docker.runSandboxed(spec)),
    startSandboxed: (spec) => ((starts.warm += 1), docker.startSandboxed(spec)),
  };
  return { docker: counting, starts };
}

/** This process's engine containers still on the Docker engine. */
async function ourContainers(): Promise<Array<{ Id: string; State: string }>> {
  const containers = await new Docker().listContainers({ all: true, filters: { label: ["org.quorum.runner.engine=fixture"] } });
  return containers.filter((c) => c.Labels["org.quorum.runner.pid"] === String(process.pid));
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
      // One task a claim and a container per task: the cold path.
      const summary = await new RunnerLoop(loopOptions(env!, config, { logger, exitWhenIdle: true, bundle: 1, engineIdleMs: 0 })).run();
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
      const { docker: counting, starts: counted } = countingDocker();
      const starts = () => counted.runs + counted.warm;
      const options = loopOptions(env!, config, { logger, exitWhenIdle: true, bundle: 8 });
      const summary = await new RunnerLoop({ ...options, docker: counting, engine: createFixtureEngine({ docker: counting }) }).run();
      expect(summary).toMatchObject({ end: "idle", claimed: 2, submitted: 2, failed: 0, error: null });
      expect(starts()).toBe(1);
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

  describe("the warm engine", () => {
    // A fresh queue for each test: every task takes a few runners only.
    beforeEach(async () => {
      await tearDown(env);
      env = await setUp(["fixture/perfect", "fixture/wrong"]);
    });

    /** A loop with one task a claim (so that consecutive tasks are separate claims) and a counted Docker. */
    async function warmLoop(name: string, extra: Partial<LoopOptions>, wrapApi: (api: LoopOptions["api"]) => LoopOptions["api"] = (api) => api) {
      const config = await runnerFor(env!, name);
      const recorded = recordingLogger();
      const { docker, starts } = countingDocker();
      const options = loopOptions(env!, config, { logger: recorded.logger, bundle: 1, engineIdleMs: 60_000, ...extra });
      const loop = new RunnerLoop({ ...options, api: wrapApi(options.api), docker, engine: createFixtureEngine({ docker }) });
      return { loop, starts, events: recorded.events };
    }

    it("answers consecutive claims of one model with one engine start, and stops it when the loop ends", async () => {
      const { loop, starts, events } = await warmLoop("warm-a", { exitWhenIdle: true, maxTasks: 2 });
      const summary = await loop.run();
      expect(summary).toMatchObject({ end: "max-tasks", claimed: 2, submitted: 2, failed: 0, error: null });
      const claimed = events.filter((e) => e.event === "task.claimed");
      // The server prefers the warm model: the second claim is the same model's other benchmark.
      expect(new Set(claimed.map((e) => e.model)).size).toBe(1);
      expect(starts).toEqual({ runs: 0, warm: 1 });
      expect(loop.warmEngine).toMatchObject({ starts: 1, reuses: 1 });
      expect(events.filter((e) => String(e.event).startsWith("engine.")).map((e) => e.event)).toEqual(["engine.started", "engine.reused", "engine.stopped"]);
      expect(events.some((e) => /^reusing the warm engine for fixture\/(perfect|wrong)@[0-9a-f]{7} \(job 2\)$/.test(String(e.msg)))).toBe(true);
      expect(await ourContainers()).toEqual([]);
      // The engine's per-item token counts reach the server's stored records (reported, not scored).
      const results = await env!.database.db.result.findMany({ select: { records: true } });
      const records = results.flatMap((r) => r.records as Array<{ tokens?: unknown }>);
      expect(records.length).toBeGreaterThan(0);
      expect(records.every((r) => typeof r.tokens === "number" && r.tokens > 0)).toBe(true);
    });

    it("stops the engine and starts another when the next claim is for another model", async () => {
      const { loop, starts, events } = await warmLoop("warm-b", { exitWhenIdle: true });
      const summary = await loop.run();
      expect(summary).toMatchObject({ end: "idle", claimed: 4, submitted: 4, failed: 0 });
      const models = events.filter((e) => e.event === "task.claimed").map((e) => e.model);
      const switches = models.filter((m, i) => i > 0 && m !== models[i - 1]).length;
      // Warm-model preference: both tasks of the first model, then both of the other.
      expect(switches).toBe(1);
      expect(starts).toEqual({ runs: 0, warm: 2 });
      const stopped = events.filter((e) => e.event === "engine.stopped");
      expect(stopped).toHaveLength(2);
      expect(String(stopped[0]!.reason)).toMatch(/another model/);
      expect(String(stopped[1]!.reason)).toMatch(/stopping/);
      expect(await ourContainers()).toEqual([]);
    });

    it("stops the engine once its idle time has passed, while the loop keeps polling", async () => {
      const expiring = await warmLoop("warm-d", { engineIdleMs: 500 });
      const running = expiring.loop.run();
      await waitFor(() => expiring.events.filter((e) => e.event === "task.submitted").length === 4, 60_000);
      await waitFor(() => expiring.events.some((e) => e.event === "engine.stopped" && /idle for/.test(String(e.reason))), 10_000);
      expect(await ourContainers()).toEqual([]);
      expect(expiring.loop.warmEngine!.warmModelId).toBeNull();
      expiring.loop.stop("test stop");
      expect(await running).toMatchObject({ end: "stopped", failed: 0 });
    }, 90_000);

    it("stops the warm engine on shutdown", async () => {
      // Shutdown with a warm engine up: stop() while idle puts it away.
      const warm = await warmLoop("warm-e", { engineIdleMs: 600_000 });
      const up = warm.loop.run();
      await waitFor(() => warm.events.filter((e) => e.event === "task.submitted").length === 4, 60_000);
      await waitFor(async () => (await ourContainers()).length === 1);
      expect(warm.loop.warmEngine!.warmModelId).not.toBeNull();
      warm.loop.stop("test stop");
      expect(await up).toMatchObject({ end: "stopped", failed: 0 });
      expect(warm.events.filter((e) => e.event === "engine.stopped").at(-1)?.reason).toMatch(/stopping/);
      expect(await ourContainers()).toEqual([]);
    }, 90_000);

    it("starts the engine again when the warm one died between tasks, without failing the task", async () => {
      let claims = 0;
      const { loop, starts, events } = await warmLoop("warm-f", { exitWhenIdle: true, maxTasks: 2 }, (api) => ({
        ...api,
        server: api.server,
        claim: async (input) => {
          claims += 1;
          if (claims === 2) {
            // Between the two tasks: the warm container crashes (a double for a GPU error).
            const [container] = await ourContainers();
            await new Docker().getContainer(container!.Id).kill();
            await waitFor(async () => (await ourContainers()).every((c) => c.State !== "running"));
          }
          return api.claim(input);
        },
      }));
      const summary = await loop.run();
      expect(summary).toMatchObject({ claimed: 2, submitted: 2, failed: 0 });
      expect(starts.warm).toBe(2);
      expect(events.some((e) => e.event === "engine.dead")).toBe(true);
      expect(await ourContainers()).toEqual([]);
    });
  });

  describe("fixture/crash", () => {
    beforeAll(async () => {
      await tearDown(env);
      env = await setUp(["fixture/crash"]);
    });

    it("releases a failed evaluation as failed, with the engine's reason", async () => {
      const config = await runnerFor(env!, "loop-c");
      const summary = await new RunnerLoop(loopOptions(env!, config, { exitWhenIdle: true, maxTasks: 1, bundle: 1 })).run();
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
      // On the warm engine (the default): the cancelled job stops the warm container too.
      const loop = new RunnerLoop(loopOptions(env!, config, { logger, drainTimeoutMs: 1000, bundle: 1 }));
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
