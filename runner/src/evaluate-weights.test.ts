/**
 * The runner's download cap (--max-download-bytes) holds for a single task and for a bundle alike: a model over the
 * cap is refused from its file list before any weight is fetched or an engine started. The Hub is a local double
 * (this machine cannot reach huggingface.co); the engine is a test double that needs weights and must never run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateRunnerKeyPair } from "@/lib/protocol/signing";
import type { ImageInfo } from "./docker/docker";
import type { Engine } from "./engines/engine";
import { evaluateClaim, evaluateClaims, type EvaluateOptions } from "./evaluate";
import { fakeSafetensors, startHubDouble, type HubDouble } from "./hf/test-helpers/hub-double";
import { WeightsRefusedError } from "./hf/weights-policy";
import { createMemoryLogger } from "./log";
import { syntheticClaim } from "./synthetic-claim";

const COMMIT = "b".repeat(40);
const keys = generateRunnerKeyPair();
let hub: HubDouble;
let workDir: string;
let engineRuns = 0;

/** An engine double: needs the weights, and counts any run (there must be none). */
const engine: Engine = {
  name: "vllm",
  needsWeights: true,
  checkModel: () => {},
  prepare: async () => ({ ref: "test-double", id: "sha256:test-double", repoDigests: [] }) as unknown as ImageInfo,
  run: async () => {
    engineRuns++;
    throw new Error("the engine must not run for a refused model");
  },
};

function options(): Omit<EvaluateOptions, "claim"> {
  return {
    engine,
    runner: { id: "runner-1", name: "alice-box", privateKeyPem: keys.privateKeyPem },
    workDir,
    cacheDir: path.join(workDir, "cache"),
    gpus: null,
    timeoutMs: 60_000,
    logger: createMemoryLogger().logger,
    hub: { url: hub.url, maxDownloadBytes: 100_000 },
  };
}

async function refusal(promise: Promise<unknown>): Promise<WeightsRefusedError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(WeightsRefusedError);
  return error as WeightsRefusedError;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "quorum-eval-cap-"));
  hub = await startHubDouble([
    {
      repo: "test-org/large",
      commit: COMMIT,
      branches: ["main"],
      files: [
        { path: "config.json", content: JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama" }) },
        { path: "model.safetensors", content: fakeSafetensors(300_000, 3), lfs: true },
      ],
    },
  ]);
});
afterAll(async () => {
  await hub.close();
  await rm(workDir, { recursive: true, force: true });
});

describe("--max-download-bytes", () => {
  const claim = () => syntheticClaim({ model: `test-org/large@${COMMIT}`, benchmark: "gsm8k@3" });

  it("refuses a model over the cap for one task, before fetching a weight or starting the engine", async () => {
    const error = await refusal(evaluateClaim({ ...options(), claim: claim() }));
    expect(error.reason).toBe("too-large");
    expect(error.message).toMatch(/over this runner's cap/);
  });

  it("refuses it for a bundle of that model's tasks too", async () => {
    hub.requests.length = 0;
    const error = await refusal(evaluateClaims({ ...options(), claims: [claim(), claim()] }));
    expect(error.reason).toBe("too-large");
    expect(hub.requests.filter((r) => r.includes("/resolve/") || r.includes("/cdn/"))).toEqual([]);
    expect(engineRuns).toBe(0);
  });
});
