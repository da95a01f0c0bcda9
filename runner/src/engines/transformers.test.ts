/**
 * The transformers engine's driver on the CPU with a tiny random Llama (the GPU proof's CPU variant): its
 * log-likelihoods match an independent plain-torch computation, its greedy generations match model.generate, the
 * runner's benchmark module parses what it writes, prompts longer than the model's context are cut from the left,
 * and an adapter without `peft` is refused with a clear reason. Needs the engine venv (`pnpm engine-python`):
 * skipped loudly without it, a failure in CI.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRequests } from "@/lib/benchmarks/build-requests";
import type { EngineRequest, GenerateUntilRequest } from "@/lib/benchmarks/engine-contract";
import { outputsFromResponses } from "@/lib/benchmarks/engine-responses";
import { toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { scoreOutputs } from "@/lib/benchmarks/score-outputs";
import type { SandboxResult } from "../docker/docker";
import { readBatchOutput } from "./engine";
import { TRANSFORMERS_DRIVER_SOURCE } from "./transformers";
import { parseEngineErrorLine, parseEngineLine } from "./vllm";

const root = path.resolve(path.dirname(TRANSFORMERS_DRIVER_SOURCE), "../../..");
const candidate = process.env.QUORUM_ENGINE_PYTHON ?? path.join(root, ".venv-engine/bin/python");
const python = existsSync(candidate) && spawnSync(candidate, ["-c", "import torch, transformers, tokenizers"]).status === 0 ? candidate : null;
if (!python) {
  const reason = `no Python with torch and transformers at ${candidate}`;
  if (process.env.CI === "true") throw new Error(`The transformers engine test needs the engine venv in CI (${reason}); .ci/run creates it with scripts/engine-python.sh.`);
  console.warn(`\n!!! SKIPPING the transformers engine test: ${reason}. Run \`pnpm engine-python\` to create it.\n`);
}
const hasPeft = python !== null && spawnSync(python, ["-c", "import peft"]).status === 0;
const sandbox: SandboxResult = { containerId: "x", end: "exited", exitCode: 0, oomKilled: false, durationMs: 1, stdoutTail: "", stderrTail: "" };
const run = promisify(execFile);

describe.skipIf(!python)("transformers engine driver on the CPU, against plain torch", () => {
  let dir: string;
  const gsm8k = getBenchmark("gsm8k@3");
  const tq = getBenchmark("truthfulqa_mc@2");
  // The benchmark's own requests; GSM8K generates 12 tokens instead of 256 to keep the CPU test short.
  const gsmRequests = buildRequests(gsm8k, ["test/0"]).map((r) => ({ ...(r as GenerateUntilRequest), maxTokens: 12 }));
  const tqRequests = buildRequests(tq, ["mc/0"]);
  const requests: EngineRequest[] = [...gsmRequests, ...tqRequests];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "quorum-transformers-"));
    await mkdir(path.join(dir, "out"));
    await writeFile(path.join(dir, "requests.jsonl"), toOpenAIBatchJsonl(requests, "quorum-model"));
    // 512 positions: the 5-shot GSM8K prompt is longer, so it is cut from the left as the harness does.
    await run(python!, [path.join(root, "scripts/gpu-proof/make_tiny_llama.py"), path.join(dir, "requests.jsonl"), path.join(dir, "model"), "--size", "tiny", "--max-positions", "512"], { timeout: 120_000 });
  }, 150_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({ ...process.env, QUORUM_TASK_DIR: dir, QUORUM_OUTPUT_DIR: path.join(dir, "out"), QUORUM_MODEL_PATH: path.join(dir, "model"), QUORUM_DTYPE: "float32", QUORUM_DEVICE: "cpu", QUORUM_BATCH_SIZE: "4" });

  it("answers every request in the batch output format the runner parses, matching plain torch and model.generate", async () => {
    const { stdout } = await run(python!, [TRANSFORMERS_DRIVER_SOURCE], { env: env(), timeout: 240_000 });
    expect(parseEngineLine(stdout.split("\n")[0]!)?.version).toMatch(/^transformers-\d/);
    const responses = await readBatchOutput(path.join(dir, "out"), requests, sandbox);
    const gen = responses[0] as { text: string };
    expect(typeof gen.text).toBe("string");
    for (const response of responses.slice(1) as Array<{ loglikelihood: number; isGreedy: boolean }>) {
      expect(response.loglikelihood).toBeLessThan(0);
      expect(typeof response.isGreedy).toBe("boolean");
    }
    const outputs = outputsFromResponses(tq, ["mc/0"], tqRequests, responses.slice(1));
    expect(scoreOutputs(tq, ["mc/0"], outputs).metrics).toHaveProperty("mc2");
    // The independent check (the GPU proof's): one unbatched forward pass per request, model.generate per prompt.
    const report = path.join(dir, "report.json");
    await run(python!, [path.join(root, "scripts/gpu-proof/check.py"), path.join(dir, "model"), path.join(dir, "requests.jsonl"), path.join(dir, "out/output.jsonl"), report, "--device", "cpu"], { timeout: 240_000 });
    const checked = JSON.parse(await readFile(report, "utf8")) as { loglikelihoods: number; max_abs_diff: number; greedy_mismatches: number; generations: number; identical_generations: number; ok: boolean };
    expect(checked.loglikelihoods).toBe(tqRequests.length);
    expect(checked.max_abs_diff).toBeLessThan(1e-3);
    expect(checked.greedy_mismatches).toBe(0);
    expect(checked.identical_generations).toBe(1);
    expect(checked.ok).toBe(true);
  }, 300_000);

  it("as a warm engine, loads the model once and answers job after job exactly as a one-shot run does", async () => {
    // The one-shot answers (the first test wrote them) are the reference.
    const oneShot = (await readFile(path.join(dir, "out/output.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { custom_id: string; response: { body: unknown } });
    const session = path.join(dir, "session");
    await mkdir(path.join(session, "task", "jobs"), { recursive: true });
    await mkdir(path.join(session, "out"));
    const child = spawn(python!, [TRANSFORMERS_DRIVER_SOURCE], {
      env: { ...env(), QUORUM_TASK_DIR: path.join(session, "task"), QUORUM_OUTPUT_DIR: path.join(session, "out"), QUORUM_ENGINE_SESSION: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      for (const n of [1, 2]) {
        const staging = path.join(session, "task", "jobs", `.tmp-${n}`);
        await mkdir(staging);
        await writeFile(path.join(staging, "requests.jsonl"), toOpenAIBatchJsonl(requests, "quorum-model"));
        await rename(staging, path.join(session, "task", "jobs", String(n)));
        for (let i = 0; i < 2400 && !existsSync(path.join(session, "out", `${n}.done`)); i++) await new Promise((r) => setTimeout(r, 100));
        const lines = (await readFile(path.join(session, "out", `${n}.output.jsonl`), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { custom_id: string; response: { body: unknown } });
        // The same answers (a body's own id and creation time aside).
        const answers = (all: typeof lines) => all.map((l) => [l.custom_id, { ...(l.response.body as object), id: null, created: null }]);
        expect(answers(lines)).toEqual(answers(oneShot));
      }
      // One model load for both jobs.
      expect(stdout.split("\n").filter((line) => parseEngineLine(line) !== null)).toHaveLength(1);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }, 300_000);

  it.skipIf(hasPeft)("refuses an adapter with a clear reason when the image has no peft", async () => {
    const error = (await run(python!, [TRANSFORMERS_DRIVER_SOURCE], { env: { ...env(), QUORUM_LORA_PATH: path.join(dir, "model") }, timeout: 120_000 }).catch((e: unknown) => e)) as { code: number; stdout: string };
    expect(error.code).toBe(1);
    const message = error.stdout.split("\n").map(parseEngineErrorLine).find((m) => m !== null);
    expect(message).toMatch(/no `peft` package.*use --engine vllm/);
  }, 150_000);
});
