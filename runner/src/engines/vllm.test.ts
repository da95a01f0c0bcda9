import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { buildRequests } from "@/lib/benchmarks/build-requests";
import type { LoglikelihoodRequest } from "@/lib/benchmarks/engine-contract";
import { outputsFromResponses } from "@/lib/benchmarks/engine-responses";
import { contextLineId, encodePair, toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import { getBenchmark } from "@/lib/benchmarks/registry";
import type { TModelRef } from "@/lib/protocol/runner-api";
import type { SandboxResult } from "../docker/docker";
import type { FetchedRepo, FetchedWeights } from "../hf/fetch-weights";
import { BATCH_OUTPUT_FILE, EngineRunError, readBatchOutput } from "./engine";
import {
  DRIVER_SOURCE,
  maxLoraRank,
  maxModelLenFor,
  parseEngineErrorLine,
  parseEngineLine,
  planVllmRun,
  tensorParallelFor,
  versionWithSettings,
} from "./vllm";

const COMMIT = "b".repeat(40);
const BASE_COMMIT = "c".repeat(40);
const sandbox: SandboxResult = { containerId: "x", end: "exited", exitCode: 0, oomKilled: false, durationMs: 1, stdoutTail: "", stderrTail: "" };

function repo(name: string, revision: string, config: Record<string, unknown> = {}): FetchedRepo {
  const storageDir = `/cache/models--${name.replace("/", "--")}`;
  return { repo: name, revision, storageDir, snapshotDir: `${storageDir}/snapshots/${revision}`, files: [], bytes: 0, config };
}

function model(extra: Partial<TModelRef> = {}): TModelRef {
  return { id: "m", repo: "org/model", revision: COMMIT, weightType: "ORIGINAL", baseModel: null, precision: "BFLOAT16", ...extra };
}

describe("vllm engine: container plan", () => {
  it("mounts a model read-only and serves it under one name, offline, with every cache on the tmpfs", () => {
    const weights: FetchedWeights = { model: repo("org/model", COMMIT), base: null, downloadedBytes: 0, totalBytes: 0 };
    const plan = planVllmRun(model(), weights, {}, 1);
    expect(plan.mounts).toEqual([{ kind: "models", hostPath: "/cache/models--org--model", containerPath: "/models/base" }]);
    expect(plan.env.QUORUM_MODEL_PATH).toBe(`/models/base/snapshots/${COMMIT}`);
    expect(plan.env.QUORUM_DTYPE).toBe("bfloat16");
    expect(plan.env.HF_HUB_OFFLINE).toBe("1");
    expect(plan.env.HOME).toBe("/tmp");
    expect(plan.env.QUORUM_LORA_PATH).toBeUndefined();
    expect(plan.servedName).toBe("quorum-model");
  });

  it("runs a LoRA adapter on its base model, with a max rank that fits the adapter", () => {
    const weights: FetchedWeights = {
      model: repo("org/lora", COMMIT, { r: 24, base_model_name_or_path: "org/base" }),
      base: repo("org/base", BASE_COMMIT),
      downloadedBytes: 0,
      totalBytes: 0,
    };
    const plan = planVllmRun(model({ repo: "org/lora", weightType: "ADAPTER", baseModel: `org/base@${BASE_COMMIT}`, precision: "FLOAT16" }), weights, {}, 2);
    expect(plan.mounts.map((m) => [m.kind, m.containerPath])).toEqual([
      ["models", "/models/base"],
      ["models", "/models/model"],
    ]);
    expect(plan.env.QUORUM_MODEL_PATH).toBe(`/models/base/snapshots/${BASE_COMMIT}`);
    expect(plan.env.QUORUM_LORA_PATH).toBe(`/models/model/snapshots/${COMMIT}`);
    expect(plan.env.QUORUM_MAX_LORA_RANK).toBe("32");
    expect(plan.env.QUORUM_TENSOR_PARALLEL).toBe("2");
    expect(plan.env.QUORUM_DTYPE).toBe("float16");
    expect(plan.servedName).toBe("quorum-adapter");
    expect(maxLoraRank({ r: 8 })).toBe(8);
    expect(maxLoraRank({})).toBe(16);
    expect([1, 2, 3, 4, 6, 8].map((n) => tensorParallelFor(n))).toEqual([1, 2, 2, 4, 4, 8]);
  });
});

describe("vllm engine: settings vLLM accepts for the model", () => {
  it("caps --max-model-len at the model's own maximum, and says it in the result", () => {
    expect(maxModelLenFor({ max_position_embeddings: 2048 })).toBe(2048);
    expect(maxModelLenFor({ max_position_embeddings: 32768 })).toBe(4096);
    expect(maxModelLenFor({ n_positions: 1024, n_ctx: 1024 })).toBe(1024);
    expect(maxModelLenFor({ text_config: { max_position_embeddings: 512 } })).toBe(512);
    expect(maxModelLenFor({})).toBe(4096);
    expect(maxModelLenFor({ max_position_embeddings: 131072 }, 8192)).toBe(8192);
    expect(maxModelLenFor({ max_position_embeddings: 2048 }, 8192)).toBe(2048);
    const weights: FetchedWeights = { model: repo("org/model", COMMIT, { max_position_embeddings: 2048 }), base: null, downloadedBytes: 0, totalBytes: 0 };
    const plan = planVllmRun(model(), weights, {}, 1);
    expect(plan.env.QUORUM_MAX_MODEL_LEN).toBe("2048");
    expect(versionWithSettings("0.12.0", plan)).toBe("0.12.0 max-model-len=2048 tp=1");
    // An adapter runs on its base model: the base's config decides.
    const adapter: FetchedWeights = {
      model: repo("org/lora", COMMIT, { r: 8 }),
      base: repo("org/base", BASE_COMMIT, { max_position_embeddings: 1024, num_attention_heads: 28, num_key_value_heads: 4 }),
      downloadedBytes: 0,
      totalBytes: 0,
    };
    const adapterPlan = planVllmRun(model({ repo: "org/lora", weightType: "ADAPTER", baseModel: `org/base@${BASE_COMMIT}` }), adapter, {}, 8);
    expect(adapterPlan.env.QUORUM_MAX_MODEL_LEN).toBe("1024");
    expect(adapterPlan.env.QUORUM_TENSOR_PARALLEL).toBe("4");
  });

  it("picks the largest tensor-parallel size that divides the heads, KV heads and MLP and fits the GPUs", () => {
    const gpus = [1, 2, 3, 4, 5, 6, 7, 8];
    const sizes = (config: Record<string, unknown>) => gpus.map((n) => tensorParallelFor(n, config));
    // Qwen2.5-7B: 28 heads, 4 KV heads. 7 would divide 28 but not the KV heads; 8 does not divide 28.
    expect(sizes({ num_attention_heads: 28, num_key_value_heads: 4, intermediate_size: 18944 })).toEqual([1, 2, 2, 4, 4, 4, 4, 4]);
    // 28 heads without grouped KV (KV = 28): 7 GPUs take all 7.
    expect(sizes({ num_attention_heads: 28, intermediate_size: 7 * 1024 })).toEqual([1, 2, 2, 4, 4, 4, 7, 7]);
    // Llama-3-8B: 32 heads, 8 KV heads.
    expect(sizes({ num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336 })).toEqual([1, 2, 2, 4, 4, 4, 4, 8]);
    // Llama-2-13B: 40 heads; 5 divides the heads but not the MLP (13824).
    expect(sizes({ num_attention_heads: 40, num_key_value_heads: 40, intermediate_size: 13824 })).toEqual([1, 2, 2, 4, 4, 4, 4, 8]);
    // 40 heads, 40 KV heads, MLP 10240: 5 fits on 5-7 GPUs.
    expect(sizes({ num_attention_heads: 40, intermediate_size: 10240 })).toEqual([1, 2, 2, 4, 5, 5, 5, 8]);
    // Llama-3-70B: 64 heads, 8 KV heads.
    expect(sizes({ num_attention_heads: 64, num_key_value_heads: 8, intermediate_size: 28672 })).toEqual([1, 2, 2, 4, 4, 4, 4, 8]);
    // KV heads fewer than the size are replicated: 2 KV heads on 8 GPUs is fine.
    expect(tensorParallelFor(8, { num_attention_heads: 32, num_key_value_heads: 2 })).toBe(8);
    // 3 KV heads cannot be replicated evenly over 4 or 8.
    expect(tensorParallelFor(8, { num_attention_heads: 24, num_key_value_heads: 3 })).toBe(6);
  });

  const pythonHere = spawnSync("python3", ["--version"]).status === 0;
  it.skipIf(!pythonHere)("starts vLLM's server with the benchmark's own sampling, the capped length, the chosen parallelism and the loopback host", () => {
    const weights: FetchedWeights = {
      model: repo("org/lora", COMMIT, { r: 24 }),
      base: repo("org/base", BASE_COMMIT, { max_position_embeddings: 2048, num_attention_heads: 40, intermediate_size: 10240 }),
      downloadedBytes: 0,
      totalBytes: 0,
    };
    const plan = planVllmRun(model({ repo: "org/lora", weightType: "ADAPTER", baseModel: `org/base@${BASE_COMMIT}` }), weights, {}, 6);
    expect(plan.env.VLLM_HOST_IP).toBe("127.0.0.1");
    const printed = spawnSync("python3", [DRIVER_SOURCE, "--print-command"], { env: { ...process.env, ...plan.env }, encoding: "utf8" });
    expect(printed.status, printed.stderr).toBe(0);
    const cmd = (JSON.parse(printed.stdout) as string[]).slice(1).join(" ");
    expect(cmd).toContain("-m vllm.entrypoints.openai.api_server");
    expect(cmd).toContain(`--model /models/base/snapshots/${BASE_COMMIT}`);
    expect(cmd).toContain("--host 127.0.0.1");
    expect(cmd).toContain("--max-model-len 2048");
    expect(cmd).toContain("--tensor-parallel-size 5");
    expect(cmd).toContain("--generation-config vllm");
    expect(cmd).toContain("--dtype bfloat16");
    expect(cmd).toContain(`--enable-lora --max-loras 1 --max-lora-rank 32 --lora-modules quorum-adapter=/models/model/snapshots/${COMMIT}`);
  });

  it("reads the engine's own last error from the driver", () => {
    expect(parseEngineErrorLine('{"quorum_error": "the vLLM server exited: RuntimeError: CUDA error"}')).toBe("the vLLM server exited: RuntimeError: CUDA error");
    expect(parseEngineErrorLine("RuntimeError: x")).toBeNull();
  });
});

describe("vllm engine: responses in vLLM's documented batch output format", () => {
  it("reads generations and echo+logprobs log-likelihoods the way vLLM's completions endpoint reports them", async () => {
    const definition = getBenchmark("truthfulqa_mc@2");
    const itemIds = ["mc/0"];
    const requests = buildRequests(definition, itemIds);
    const first = requests[0] as LoglikelihoodRequest;
    const contextId = contextLineId(encodePair(first).context);
    // One line per request as vLLM's run_batch writes it (BatchRequestOutput: id, custom_id, response{status_code,
    // request_id, body: CompletionResponse}, error). Context: 5 tokens; each continuation: 2 tokens + 1 generated.
    const line = (customId: string, body: unknown) =>
      JSON.stringify({ id: "vllm-1", custom_id: customId, response: { status_code: 200, request_id: "vllm-batch-1", body }, error: null });
    const completion = (promptTokens: number, tokenLogprobs: Array<number | null>, top: Array<Record<string, number> | null> | null) => ({
      id: "cmpl-1",
      object: "text_completion",
      created: 1,
      model: "quorum-model",
      choices: [
        {
          index: 0,
          text: "",
          logprobs: tokenLogprobs.length ? { text_offset: tokenLogprobs.map((_, i) => i), token_logprobs: tokenLogprobs, tokens: tokenLogprobs.map((_, i) => `t${i}`), top_logprobs: top } : null,
          finish_reason: "length",
          stop_reason: null,
          prompt_logprobs: null,
        },
      ],
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens + 1, completion_tokens: 1, prompt_tokens_details: null },
    });
    const lines = requests.map((r, i) =>
      line(
        r.id,
        completion(7, [null, -2.5, -0.75, -1, -0.5, -0.25 - i, -0.5, -3], [null, { a: -2.5 }, { b: -0.75 }, { c: -1 }, { d: -0.5 }, { e: -0.25 }, { f: -0.5 }, { g: -3 }]),
      ),
    );
    lines.push(line(contextId, completion(5, [], null)));
    const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-vllm-"));
    try {
      await writeFile(path.join(dir, BATCH_OUTPUT_FILE), `${lines.join("\n")}\n`);
      const responses = await readBatchOutput(dir, requests, sandbox);
      // The continuation is prompt tokens 5 and 6: -(0.25 + i) + -0.5; greedy only where it matched the top-1.
      // tokens: the continuation's (7 prompt tokens, 5 of them the context's).
      expect(responses[0]).toEqual({ id: requests[0]!.id, loglikelihood: -0.75, isGreedy: true, tokens: 2 });
      expect(responses[1]).toEqual({ id: requests[1]!.id, loglikelihood: -1.75, isGreedy: false, tokens: 2 });
      const outputs = outputsFromResponses(definition, itemIds, requests, responses);
      expect(outputs[0]).toHaveProperty("loglikelihoods.mc1");

      // A failed line in vLLM's error format becomes an engine failure that names the item.
      const failing = [...lines];
      failing[0] = JSON.stringify({
        id: "vllm-2",
        custom_id: requests[0]!.id,
        response: { status_code: 400, request_id: "vllm-batch-2", body: null },
        error: { object: "error", message: "This model's maximum context length is 2048 tokens.", type: "BadRequestError", param: null, code: 400 },
      });
      await writeFile(path.join(dir, BATCH_OUTPUT_FILE), failing.join("\n"));
      const error = await readBatchOutput(dir, requests, sandbox).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineRunError);
      expect((error as EngineRunError).message).toMatch(/item mc\/0.*maximum context length/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads the engine version line the driver prints", () => {
    expect(parseEngineLine('{"quorum_engine": {"name": "vllm", "version": "0.12.0"}}')).toEqual({ version: "0.12.0" });
    expect(parseEngineLine("INFO starting")).toBeNull();
  });
});

const python = spawnSync("python3", ["--version"]).status === 0 ? "python3" : null;
if (!python) console.warn("\n!!! SKIPPING the vLLM batch driver test: no python3 on this machine.\n");

describe.skipIf(!python)("vllm batch driver against a test double of vLLM v0.12's server", () => {
  const fakeServer = path.join(path.dirname(fileURLToPath(import.meta.url)), "test-helpers", "fake-vllm-server.py");

  async function drive(dir: string, jsonl: string, env: Record<string, string> = {}) {
    await writeFile(path.join(dir, "requests.jsonl"), jsonl);
    return promisify(execFile)(python!, [DRIVER_SOURCE], {
      env: {
        ...process.env,
        QUORUM_TASK_DIR: dir,
        QUORUM_OUTPUT_DIR: dir,
        QUORUM_SERVER_COMMAND: JSON.stringify([python, fakeServer]),
        QUORUM_ENGINE_VERSION: "fake-1",
        QUORUM_STARTUP_TIMEOUT: "30",
        ...env,
      },
      timeout: 60_000,
    });
  }

  it("replays the batch file against /v1/completions and writes vLLM's batch output format, in order", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-driver-"));
    try {
      const definition = getBenchmark("gsm8k@3");
      const tq = getBenchmark("truthfulqa_mc@2");
      const gsmRequests = buildRequests(definition, ["test/0", "test/1"]);
      const tqRequests = buildRequests(tq, ["mc/1"]);
      const { stdout } = await drive(dir, toOpenAIBatchJsonl([...gsmRequests, ...tqRequests], "quorum-model"));
      const lines = stdout.trim().split("\n");
      expect(parseEngineLine(lines[0]!)).toEqual({ version: "fake-1" });
      expect(lines.at(-1)).toContain('"quorum_progress"');
      const gsm = await readBatchOutput(dir, gsmRequests, sandbox).catch(() => null);
      expect(gsm).toBeNull(); // the file also holds the truthfulqa lines: parsing it for gsm8k alone must refuse extras
      const all = await readBatchOutput(dir, [...gsmRequests, ...tqRequests], sandbox);
      // The server cut the generation at the benchmark's stop sequence.
      // With the prompt's token count from usage.prompt_tokens (the double: BOS + one token a character).
      const prompt = gsmRequests[0]!.kind === "generate_until" ? gsmRequests[0]!.prompt : "";
      expect(all[0]).toEqual({ id: "test/0", text: "The answer is 42.\n#### 42\n\n", tokens: 1 + prompt.length });
      for (const response of all.slice(2) as Array<{ id: string; loglikelihood: number; isGreedy: boolean }>) {
        const request = tqRequests.find((r) => r.id === response.id) as LoglikelihoodRequest;
        const cont = encodePair(request).continuation;
        const z = [...cont].filter((c) => c === "z").length;
        expect(response.loglikelihood).toBeCloseTo(-0.1 * (cont.length - z) - 2 * z, 6);
        // "z" is never the top-1 token: a continuation holding one is not greedy.
        expect(response.isGreedy).toBe(z === 0);
      }
      const raw = (await readFile(path.join(dir, BATCH_OUTPUT_FILE), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(raw[0]).toMatchObject({ custom_id: "test/0", response: { status_code: 200 }, error: null });
      expect(String(raw[0]!.id)).toMatch(/^vllm-/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("cuts prompts longer than the context from the left, as lm-eval does, keeping the continuation's log-likelihood", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-driver-"));
    try {
      const generate = { kind: "generate_until" as const, id: "g", item: "test/0", prompt: `${"q".repeat(500)}Question: 2+2?`, until: ["\n\n"], maxTokens: 64 };
      const ll = { kind: "loglikelihood" as const, id: "l", item: "mc/0", context: `${"c".repeat(600)} A:`, continuation: " yes zebra" };
      const short = { kind: "loglikelihood" as const, id: "s", item: "mc/1", context: "Q: ok? A:", continuation: " yes" };
      const requests = [generate, ll, short];
      // A 256-token context: every long prompt would be refused by the server as it stands.
      await drive(dir, toOpenAIBatchJsonl(requests, "quorum-model"), { QUORUM_MAX_MODEL_LEN: "256" });
      const responses = await readBatchOutput(dir, requests, sandbox);
      // The whole prompt's tokens, not the cut one's: the usage is padded back to the full length.
      expect(responses[0]).toEqual({ id: "g", text: "The answer is 42.\n#### 42", tokens: 1 + generate.prompt.length });
      // " yes zebra": 9 tokens at -0.1 and one "z" at -2.
      expect((responses[1] as { loglikelihood: number }).loglikelihood).toBeCloseTo(-0.1 * 9 - 2, 6);
      expect(responses[1]).toMatchObject({ isGreedy: false });
      expect(responses[2]).toEqual({ id: "s", loglikelihood: expect.closeTo(-0.4, 6) as number, isGreedy: true, tokens: 4 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("as a warm engine, starts the server once and answers job after job until it is stopped", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-driver-"));
    const taskDir = path.join(dir, "task");
    const outDir = path.join(dir, "out");
    await mkdir(path.join(taskDir, "jobs"), { recursive: true });
    await mkdir(outDir);
    const child = spawn(python!, [DRIVER_SOURCE], {
      env: {
        ...process.env,
        QUORUM_TASK_DIR: taskDir,
        QUORUM_OUTPUT_DIR: outDir,
        QUORUM_ENGINE_SESSION: "1",
        QUORUM_SERVER_COMMAND: JSON.stringify([python, fakeServer]),
        QUORUM_ENGINE_VERSION: "fake-1",
        QUORUM_STARTUP_TIMEOUT: "30",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const jobs: Array<[number, string, string[]]> = [
        [1, "gsm8k@3", ["test/0", "test/1"]],
        [2, "truthfulqa_mc@2", ["mc/1"]],
      ];
      for (const [n, benchmark, items] of jobs) {
        const requests = buildRequests(getBenchmark(benchmark), items);
        const staging = path.join(taskDir, "jobs", `.tmp-${n}`);
        await mkdir(staging);
        await writeFile(path.join(staging, "requests.jsonl"), toOpenAIBatchJsonl(requests, "quorum-model"));
        await rename(staging, path.join(taskDir, "jobs", String(n)));
        for (let i = 0; i < 600 && !existsSync(path.join(outDir, `${n}.done`)); i++) await new Promise((r) => setTimeout(r, 50));
        expect(JSON.parse(await readFile(path.join(outDir, `${n}.done`), "utf8"))).toEqual({ ok: true });
        const responses = await readBatchOutput(outDir, requests, sandbox, `${n}.output.jsonl`);
        expect(responses).toHaveLength(requests.length);
      }
      // One driver, one server start, for both jobs.
      expect(stdout.split("\n").filter((line) => parseEngineLine(line) !== null)).toHaveLength(1);
      expect(existsSync(path.join(outDir, "ready"))).toBe(true);
    } finally {
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("when the server dies mid-run, exits with the server's own last error instead of connection errors", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-driver-"));
    try {
      const requests = [
        { kind: "generate_until" as const, id: "a", item: "test/0", prompt: "fine", until: [], maxTokens: 8 },
        { kind: "generate_until" as const, id: "b", item: "test/1", prompt: "DIE_NOW", until: [], maxTokens: 8 },
      ];
      const error = (await drive(dir, toOpenAIBatchJsonl(requests, "quorum-model"), { QUORUM_CONCURRENCY: "1" }).catch((e: unknown) => e)) as {
        code: number;
        stdout: string;
      };
      expect(error.code).toBe(1);
      const line = error.stdout.split("\n").map(parseEngineErrorLine).find((m) => m !== null);
      expect(line).toMatch(/exited with code 1 mid-run: RuntimeError: CUDA error: an illegal memory access/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
