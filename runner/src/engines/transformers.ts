/**
 * The `transformers` engine: lm-evaluation-harness's reference backend (`hf`), for architectures vLLM lacks and as
 * a cross-check of vLLM's numbers. It runs Quorum's transformers driver (transformers-driver.py, written into the
 * task dir) inside the same pinned vLLM image, which ships torch and transformers, in the same sandbox, with the
 * same mounts and the same OpenAI Batch files as the vllm engine: greedy generation cut at the stop sequences, and
 * log-likelihoods as the harness's `hf` model computes them. Adapters run through `peft` when the image has it.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ContainerEngine } from "../docker/docker";
import { createDriverEngine } from "./driver-engine";
import { EngineRunError, type Engine, type SandboxLimits } from "./engine";
import { DEFAULT_VLLM_IMAGE, planVllmRun, VLLM_DEFAULT_LIMITS } from "./vllm";

export const TRANSFORMERS_DRIVER_FILE = "transformers-driver.py";
export const TRANSFORMERS_DRIVER_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), TRANSFORMERS_DRIVER_FILE);

export interface TransformersEngineOptions {
  docker: ContainerEngine;
  /** The image with torch and transformers: the vllm engine's pinned image unless told otherwise. */
  image?: string;
  maxModelLen?: number;
  /** Requests per forward pass (default 16). */
  batchSize?: number;
  limits?: Partial<SandboxLimits>;
}

export function createTransformersEngine(options: TransformersEngineOptions): Engine {
  const batchSize = options.batchSize ?? 16;
  return createDriverEngine({
    name: "transformers",
    docker: options.docker,
    image: options.image ?? DEFAULT_VLLM_IMAGE,
    limits: { ...VLLM_DEFAULT_LIMITS, ...options.limits },
    driverFile: TRANSFORMERS_DRIVER_FILE,
    driverSource: TRANSFORMERS_DRIVER_SOURCE,
    plan: (model, weights) => planVllmRun(model, weights, { maxModelLen: options.maxModelLen }, 1),
    env: { QUORUM_BATCH_SIZE: String(batchSize) },
    keyExtras: { batchSize },
    version: (version, plan) => `${version} max-len=${plan.maxModelLen}`.slice(0, 100),
    crashError: (error, sandbox) => {
      const refusal = /no `peft` package/.test(error);
      return new EngineRunError(refusal ? "unsupported-model" : "crash", `The transformers engine failed: ${error}`, refusal ? "Run adapters with --engine vllm." : "See the engine's last lines above.", sandbox);
    },
  });
}
