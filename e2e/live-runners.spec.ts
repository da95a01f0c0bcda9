/**
 * The loop a newcomer watches: a model is registered, three runner processes of three volunteers evaluate it with
 * the fixture engine in real Docker containers, and its score appears on the open leaderboard without a reload.
 * Prints how long after the consensus commit the browser showed the score.
 * Needs a Docker engine: skipped with a loud message without one, a failure when CI=true.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { registerModel } from "@/server/services/models/register-model";
import { createToken } from "@/server/services/tokens/manage-tokens";
import { randomCommit, SCREENSHOTS, uniqueName } from "./fixtures/auth";
import { closeE2eDb, e2eDb } from "./fixtures/database";

const ROOT = process.cwd();
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const CLI = path.join(ROOT, "runner/src/cli.ts");

function dockerIsUp(): boolean {
  return spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0;
}

const hasDocker = dockerIsUp();
if (!hasDocker && process.env.CI === "true") throw new Error("Docker is required in CI for the live runner test: start dockerd.");
if (!hasDocker) console.warn("\n!!! SKIPPING e2e/live-runners.spec.ts: no Docker engine reachable. Start Docker to run it. !!!\n");

test.afterAll(async () => closeE2eDb());

function runCli(args: string[], configDir: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env: { ...process.env, QUORUM_RUNNER_CONFIG_DIR: configDir }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) console.error(`runner ${args[0]} exited ${code}: ${stderr}`);
      resolve(code);
    });
  });
}

test("three volunteers' runners evaluate a new model and its score appears live", async ({ page, baseURL }) => {
  test.skip(!hasDocker, "no Docker engine");
  test.setTimeout(240_000);
  const db = e2eDb();
  const author = await db.user.create({ data: { name: uniqueName("author"), role: "ADMIN" } });
  const repo = "fixture/perfect";
  const { id: modelId } = await registerModel({
    db, actor: { id: author.id, role: "ADMIN" }, now: new Date(), normRequired: 0, normWindowHours: 24, epochMinutes: 1_000_000,
    input: { repo, revision: randomCommit(), weightType: "ORIGINAL", baseModel: undefined, precision: "BFLOAT16" },
  });

  await page.goto("/");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: repo, exact: true }) });
  await expect(row).toContainText("2 pending");
  await page.evaluate(() => ((window as unknown as { quorumNoReload: boolean }).quorumNoReload = true));

  const dir = mkdtempSync(path.join(os.tmpdir(), "quorum-e2e-runners-"));
  try {
    const configs = [];
    for (const volunteer of ["ada", "grace", "linus"]) {
      const user = await db.user.create({ data: { name: uniqueName(volunteer) } });
      const { token } = await createToken({ db, actor: { id: user.id, role: "USER" }, name: "runner", scopes: ["task:pull", "task:submit"] });
      const configDir = path.join(dir, volunteer);
      expect(await runCli(["login", "--server", baseURL!, "--token", token, "--name", `${volunteer}-rig`, "--json"], configDir)).toBe(0);
      configs.push(configDir);
    }
    const runners = Promise.all(configs.map((configDir) => runCli(["start", "--engine", "fixture", "--json", "--exit-when-idle"], configDir)));

    // Watch the open page, every animation frame, for the first accepted score to show up.
    await page.waitForFunction(
      (name) =>
        [...document.querySelectorAll("tr")].some((tr) => {
          const link = [...tr.querySelectorAll("a")].some((a) => a.textContent === name);
          return link && /100\.0%/.test(tr.textContent ?? "");
        }),
      repo,
      { polling: "raf", timeout: 180_000 },
    );
    const seenAt = Date.now();
    expect(await runners).toEqual([0, 0, 0]);

    const tasks = await db.task.findMany({ where: { modelId }, select: { status: true, finishedAt: true } });
    expect(tasks.map((t) => t.status)).toEqual(["ACCEPTED", "ACCEPTED"]);
    const firstCommit = Math.min(...tasks.map((t) => t.finishedAt!.getTime()));
    const latency = seenAt - firstCommit;
    console.log(`[e2e] live latency: the score was visible ${latency} ms after the consensus commit`);
    expect(latency).toBeLessThan(5_000);

    await expect(row).toContainText("n=5");
    await expect(row).not.toContainText("pending");
    expect(await page.evaluate(() => (window as unknown as { quorumNoReload?: boolean }).quorumNoReload)).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}/leaderboard-live.png`, fullPage: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
