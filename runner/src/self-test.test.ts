/**
 * `pnpm runner eval`: a model author's self-test runs the real pipeline (fixture engine in the real Docker sandbox)
 * without a server, prints scores with intervals and the report file, and refuses what registration and the
 * runner refuse, with their messages.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZRegisterModelRequestSchema } from "@/lib/protocol/model-input";
import { parseSelfTestModel, selfTestBenchmarks } from "./self-test";
import { dockerIsAvailable } from "./test-helpers/docker";

const hasDocker = await dockerIsAvailable();
const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(ROOT, "runner/src/cli.ts");
const SHA = "0123456789abcdef0123456789abcdef01234567";

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("runner eval: refusals", () => {
  it("refuses what registration refuses, with registration's messages", () => {
    const serverMessage = (input: Record<string, unknown>) => ZRegisterModelRequestSchema.safeParse({ weightType: "ORIGINAL", precision: "BFLOAT16", ...input }).error!.issues[0]!.message;
    expect(() => parseSelfTestModel({ model: "org/model@main" })).toThrow(`revision: ${serverMessage({ repo: "org/model", revision: "main" })}`);
    expect(() => parseSelfTestModel({ model: `not a repo@${SHA}` })).toThrow(`repo: ${serverMessage({ repo: "not a repo", revision: SHA })}`);
    expect(() => parseSelfTestModel({ model: `org/lora@${SHA}`, weightType: "adapter" })).toThrow(/baseModel: adapters and deltas need their base model as `org\/repo@<40-hex commit>`/);
    expect(() => parseSelfTestModel({ model: `org/m@${SHA}`, precision: "fp8" })).toThrow(/^precision: /);
    expect(() => parseSelfTestModel({ model: "org/model" })).toThrow(/expected org\/repo@<40-hex commit>/);
    expect(parseSelfTestModel({ model: `org/lora@${SHA}`, weightType: "adapter", baseModel: `org/base@${"f".repeat(40)}`, precision: "float16" })).toMatchObject({ weightType: "ADAPTER", precision: "FLOAT16" });
    expect(() => selfTestBenchmarks(["nope@1"])).toThrow(/--benchmark nope@1/);
    expect(selfTestBenchmarks(undefined)).toEqual(expect.arrayContaining(["gsm8k@3", "truthfulqa_mc@2"]));
  });

  it("refuses a fixture model on a real engine as the runner does, before any download", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-eval-"));
    try {
      const run = await cli(["eval", `fixture/perfect@${SHA}`, "--engine", "transformers", "--gpus", "none"], { QUORUM_RUNNER_CONFIG_DIR: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("fixture/perfect is a fixture model; run it with --engine fixture.");
      const bad = await cli(["eval", "org/model@main"], { QUORUM_RUNNER_CONFIG_DIR: dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("revision: expected the full 40-character commit hash (lowercase hex), not a branch or tag");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(!hasDocker)("runner eval fixture/perfect@<sha> (real Docker, fixture engine)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "quorum-eval-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("evaluates every benchmark locally, prints scores with intervals and the report file, and claims nothing", async () => {
    const out = path.join(dir, "report.json");
    // No login, no server: the config dir is empty and no server address is given.
    const run = await cli(["eval", `fixture/perfect@${SHA}`, "--benchmark", "gsm8k@3", "truthfulqa_mc@2", "--items", "3", "--out", out, "--progress", "none"], { QUORUM_RUNNER_CONFIG_DIR: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`fixture/perfect@${SHA} with fixture`);
    expect(run.stdout).toMatch(/gsm8k@3\s+exact_match,strict-match\s+1\.000\s+95% CI \[0\.\d{3}, 1\.000\]\s+n=3/);
    expect(run.stdout).toMatch(/truthfulqa_mc@2\s+mc1\s+1\.000/);
    expect(run.stdout).toContain(`output file: ${out}`);
    const report = JSON.parse(await readFile(out, "utf8")) as { benchmarks: Array<{ key: string; n: number; outputs: unknown[] }> };
    expect(report.benchmarks.map((b) => [b.key, b.n, b.outputs.length])).toEqual([
      ["gsm8k@3", 3, 3],
      ["truthfulqa_mc@2", 3, 3],
    ]);
  }, 120_000);
});
