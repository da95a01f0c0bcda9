/**
 * The CLI as a volunteer (and the project's harnesses) run it: a child process with a config dir from the
 * environment and --json logs, against the real API over HTTP and a real Docker engine with the fixture engine.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser, TestClock, userCaller } from "@/test/fixtures";
import { createToken } from "@/server/services/tokens/manage-tokens";
import { withAuto } from "./cli";
import { dockerIsAvailable } from "./test-helpers/docker";
import { startAppServer, type AppServer } from "./test-helpers/app-server";

const hasDocker = await dockerIsAvailable();
const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(ROOT, "runner/src/cli.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  events: Array<Record<string, unknown>>;
}

function cli(args: string[], env: Record<string, string>, options: { onLine?: (event: Record<string, unknown>, kill: (s: NodeJS.Signals) => void) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // `node --import tsx`, not the tsx launcher: signals reach the runner itself (the launcher relays them, but
    // SIGKILLs its child when the child does not acknowledge within 30 ms, which a loaded machine can miss).
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const events: Array<Record<string, unknown>> = [];
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      partial += chunk.toString();
      let nl = partial.indexOf("\n");
      while (nl >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        nl = partial.indexOf("\n");
        if (!line.startsWith("{")) continue;
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        options.onLine?.(event, (signal) => child.kill(signal));
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, events }));
  });
}

describe("--auto", () => {
  it("is start", () => {
    expect(withAuto(["node", "cli", "--auto", "--engine", "fixture"])).toEqual(["node", "cli", "start", "--engine", "fixture"]);
    expect(withAuto(["node", "cli", "status"])).toEqual(["node", "cli", "status"]);
  });
});

describe.skipIf(!hasDocker)("pnpm runner, as a child process", { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let server: AppServer;
  let dir: string;
  let env: Record<string, string>;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startAppServer(database.db);
    const clock = new TestClock(new Date());
    const admin = await createUser(database.db, undefined, "ADMIN");
    await (await userCaller(database.db, admin, clock)).model.register({ repo: "fixture/perfect", revision: "1".repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16" });
    const user = await createUser(database.db);
    token = (await createToken({ db: database.db, actor: user, name: "cli", scopes: ["task:pull", "task:submit"] })).token;
    dir = await mkdtemp(path.join(os.tmpdir(), "quorum-cli-"));
    env = { QUORUM_RUNNER_CONFIG_DIR: path.join(dir, "config"), QUORUM_RUNNER_CACHE_DIR: path.join(dir, "cache") };
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("logs in: key pair created, public key registered, config stored 0600", async () => {
    const run = await cli(["login", "--server", server.url, "--token", token, "--name", "cli-runner", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const login = run.events.find((e) => e.event === "login")!;
    expect(login).toMatchObject({ name: "cli-runner", keptKey: false });
    expect(run.stdout).not.toContain(token);
    expect(run.stdout).not.toContain("PRIVATE KEY");
    const config = await stat(path.join(dir, "config", "config.json"));
    expect(config.mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, "config"))).mode & 0o777).toBe(0o700);
    // Logging in again keeps the runner's identity.
    const again = await cli(["login", "--server", server.url, "--token", token, "--name", "cli-runner", "--json"], env);
    expect(again.events.find((e) => e.event === "login")).toMatchObject({ keptKey: true, runnerId: login.runnerId });
  });

  it("pull, run and submit (twice: the second is answered 'already submitted' and still succeeds)", async () => {
    const pull = await cli(["pull", "--engine", "fixture", "--json", "--out", path.join(dir, "t.task.json")], env);
    expect(pull.code, pull.stderr).toBe(0);
    expect((await stat(path.join(dir, "t.task.json"))).mode & 0o777).toBe(0o600);
    const run = await cli(["run", path.join(dir, "t.task.json"), "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const ran = run.events.find((e) => e.event === "run")!;
    expect(ran.file).toBe(path.join(dir, "t.result.json"));
    // The server chooses the task (GSM8K or TruthfulQA): the perfect fixture scores 1 on every metric of either.
    for (const score of Object.values(ran.scores as Record<string, number>)) expect(score).toBeCloseTo(1, 9);
    expect(run.events.some((e) => e.event === "progress" && e.phase === "items" && e.state === "done")).toBe(true);
    const first = await cli(["submit", String(ran.file), "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.events.find((e) => e.event === "submit")).toMatchObject({ status: "stored" });
    const second = await cli(["submit", String(ran.file), "--json"], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.events.find((e) => e.event === "submit")).toMatchObject({ status: "already-submitted" });
  });

  it("start --engine fixture evaluates the rest and exits when idle", async () => {
    const run = await cli(["start", "--engine", "fixture", "--json", "--exit-when-idle"], env);
    expect(run.code, run.stderr).toBe(0);
    const names = run.events.filter((e) => typeof e.event === "string" && e.event !== "progress" && !String(e.event).startsWith("engine.")).map((e) => e.event);
    expect(names).toEqual(["runner.started", "task.claimed", "task.evaluated", "task.submitted", "runner.stopped"]);
    // The engine stays warm by default (--engine-idle 600) and is stopped when the runner exits.
    expect(run.events.filter((e) => String(e.event).startsWith("engine.")).map((e) => e.event)).toEqual(["engine.started", "engine.stopped"]);
    const pull = await cli(["pull", "--engine", "fixture", "--json"], env);
    expect(pull.code).toBe(3);
  });

  it("on SIGTERM stops claiming, releases the running task within the drain bound and exits cleanly", async () => {
    const clock = new TestClock(new Date());
    const admin = await createUser(database.db, undefined, "ADMIN");
    await (await userCaller(database.db, admin, clock)).model.register({ repo: "fixture/slow-60", revision: "2".repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16" });
    let signalledAt = 0;
    const run = await cli(["start", "--engine", "fixture", "--json", "--drain-timeout", "1", "--bundle", "1"], env, {
      onLine: (event, kill) => {
        if (event.event === "progress" && event.phase === "items" && !signalledAt) {
          signalledAt = Date.now();
          kill("SIGTERM");
        }
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    const names = run.events.filter((e) => typeof e.event === "string" && e.event !== "progress" && !String(e.event).startsWith("engine.")).map((e) => e.event);
    expect(names).toEqual(["runner.started", "task.claimed", "runner.stopping", "task.released", "runner.stopped"]);
    const assignments = await database.db.assignment.findMany({ where: { task: { model: { repo: "fixture/slow-60" } } } });
    expect(assignments.map((a) => a.status)).toEqual(["RELEASED"]);
  });

  it("doctor and status report on the setup, in JSON", async () => {
    const doctor = await cli(["doctor", "--engine", "fixture", "--json"], env);
    const checks = doctor.events.find((e) => e.event === "doctor")!.checks as Array<{ name: string; status: string }>;
    const byName = Object.fromEntries(checks.map((c) => [c.name, c.status]));
    expect(byName).toMatchObject({ config: "ok", server: "ok", "token scopes": "ok", docker: "ok", "fixture image": "ok" });
    expect(doctor.code).toBe(checks.some((c) => c.status === "fail") ? 1 : 0);
    const status = await cli(["status", "--json"], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.events.find((e) => e.event === "status")).toMatchObject({ server: server.url, runner: { name: "cli-runner" }, docker: { ok: true } });
  });

  it("refuses a bad --engine-idle and --bundle before doing anything", async () => {
    for (const args of [["--engine-idle", "-5"], ["--engine-idle", "soon"], ["--bundle", "0"]]) {
      const run = await cli(["start", "--engine", "fixture", "--exit-when-idle", ...args], env);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(new RegExp(`${args[0]} ${args[1]}: expected`));
    }
  });

  it("explains what to do when not logged in", async () => {
    const run = await cli(["start", "--engine", "fixture"], { ...env, QUORUM_RUNNER_CONFIG_DIR: path.join(dir, "nowhere") });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not logged in[\s\S]*next: Run `pnpm runner login/);
  });
});
