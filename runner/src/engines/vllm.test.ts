import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
import { DRIVER_SOURCE, maxLoraRank, parseEngineLine, planVllmRun, tensorParallelFor } from "./vllm";

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
    expect([1, 2, 3, 4, 6, 8].map(tensorParallelFor)).toEqual([1, 2, 2, 4, 4, 8]);
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
      expect(responses[0]).toEqual({ id: requests[0]!.id, loglikelihood: -0.75, isGreedy: true });
      expect(responses[1]).toEqual({ id: requests[1]!.id, loglikelihood: -1.75, isGreedy: false });
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

describe.skipIf(!python)("vllm batch driver against a test double of vLLM's server", () => {
  it("replays the batch file against /v1/completions and writes vLLM's batch output format, in order", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "quorum-driver-"));
    try {
      const definition = getBenchmark("gsm8k@3");
      const tq = getBenchmark("truthfulqa_mc@2");
      const gsmRequests = buildRequests(definition, ["test/0", "test/1"]);
      const tqRequests = buildRequests(tq, ["mc/1"]);
      await writeFile(path.join(dir, "requests.jsonl"), toOpenAIBatchJsonl([...gsmRequests, ...tqRequests], "quorum-model"));
      const fakeServer = path.join(path.dirname(fileURLToPath(import.meta.url)), "test-helpers", "fake-vllm-server.py");
      const { stdout } = await promisify(execFile)(python!, [DRIVER_SOURCE], {
        env: {
          ...process.env,
          QUORUM_TASK_DIR: dir,
          QUORUM_OUTPUT_DIR: dir,
          QUORUM_SERVER_COMMAND: JSON.stringify([python, fakeServer]),
          QUORUM_ENGINE_VERSION: "fake-1",
          QUORUM_STARTUP_TIMEOUT: "30",
        },
        timeout: 60_000,
      });
      const lines = stdout.trim().split("\n");
      expect(parseEngineLine(lines[0]!)).toEqual({ version: "fake-1" });
      expect(lines.at(-1)).toContain('"quorum_progress"');
      const gsm = await readBatchOutput(dir, gsmRequests, sandbox).catch(() => null);
      expect(gsm).toBeNull(); // the file also holds the truthfulqa lines: parsing it for gsm8k alone must refuse extras
      const all = await readBatchOutput(dir, [...gsmRequests, ...tqRequests], sandbox);
      expect(all[0]).toEqual({ id: "test/0", text: "The answer is 42.\n#### 42" });
      const ll = all[2] as { loglikelihood: number; isGreedy: boolean };
      const continuation = encodePair(tqRequests[0] as LoglikelihoodRequest).continuation;
      expect(ll.loglikelihood).toBeCloseTo(-0.1 * continuation.length, 6);
      expect(ll.isGreedy).toBe(true);
      const raw = (await readFile(path.join(dir, BATCH_OUTPUT_FILE), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(raw[0]).toMatchObject({ custom_id: "test/0", response: { status_code: 200 }, error: null });
      expect(String(raw[0]!.id)).toMatch(/^vllm-/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
