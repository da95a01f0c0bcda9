/**
 * The `vllm` engine, the default for real models: vLLM's official OpenAI image (pinned), with the model mounted
 * read-only from the runner's weight cache, GPUs through a device request, no network. Inside, Quorum's batch
 * driver (vllm-batch-driver.py, written into the task dir) serves the model on the container's loopback interface
 * and replays the benchmark's OpenAI Batch file against /v1/completions (vLLM's own run-batch has no
 * /v1/completions and no LoRA). LoRA adapters run on their base model through vLLM's --lora-modules.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURE_REPO_PREFIX, type TModelRef } from "@/lib/protocol/runner-api";
import type { ContainerEngine, ImageInfo, SandboxMount } from "../docker/docker";
import type { FetchedWeights } from "../hf/fetch-weights";
import type { Progress } from "../progress";
import { EngineRunError, TASK_MOUNT, type Engine, type SandboxLimits } from "./engine";
import { createDriverEngine } from "./driver-engine";

/**
 * The pinned image. A tag, not a digest: this machine cannot reach a registry to read the digest, so results record
 * the digest Docker reports after the pull (RepoDigests), and `--vllm-image repo@sha256:…` pins harder.
 */
export const DEFAULT_VLLM_IMAGE = "vllm/vllm-openai:v0.12.0";
export const DRIVER_FILE = "vllm-batch-driver.py";
export const DRIVER_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), DRIVER_FILE);
export const SERVED_MODEL_NAME = "quorum-model";
export const LORA_NAME = "quorum-adapter";
export const MODEL_MOUNT = "/models/model";
export const BASE_MOUNT = "/models/base";

export const VLLM_DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 32 * 2 ** 30,
  pidsLimit: 512,
  tmpfsBytes: 8 * 2 ** 30,
  shmBytes: 8 * 2 ** 30,
};

export interface VllmOptions {
  image?: string;
  maxModelLen?: number;
  gpuMemoryUtilization?: number;
  /** Defaults to the number of GPUs handed to the container. */
  tensorParallel?: number;
  extraArgs?: string[];
  limits?: Partial<SandboxLimits>;
}

const DTYPES: Record<TModelRef["precision"], string> = {
  FLOAT16: "float16",
  BFLOAT16: "bfloat16",
  FLOAT32: "float32",
  // Quantised checkpoints carry their quantisation config; vLLM picks the compute dtype.
  INT8: "auto",
  INT4: "auto",
};

/** LoRA ranks vLLM accepts for --max-lora-rank; the adapter's rank is rounded up to one of these. */
const LORA_RANKS = [8, 16, 32, 64, 128, 256, 320, 512];

export function maxLoraRank(adapterConfig: Record<string, unknown>): number {
  const r = Number(adapterConfig.r ?? 16);
  return LORA_RANKS.find((rank) => rank >= r) ?? LORA_RANKS[LORA_RANKS.length - 1]!;
}

export function checkVllmModel(model: TModelRef): void {
  if (model.repo.startsWith(FIXTURE_REPO_PREFIX)) {
    throw new EngineRunError("unsupported-model", `${model.repo} is a fixture model; run it with --engine fixture.`, "Start the runner with --engine fixture.");
  }
  if (model.weightType === "DELTA") {
    throw new EngineRunError("unsupported-model", `${model.repo} holds delta weights, which the vllm engine cannot evaluate yet.`, "Publish merged weights and register them.");
  }
}

export interface VllmPlan {
  mounts: SandboxMount[];
  env: Record<string, string>;
  servedName: string;
  maxModelLen: number;
  tensorParallel: number;
}

/** The container's mounts and environment for a model: pure, so it is unit-tested without a GPU. */
export function planVllmRun(model: TModelRef, weights: FetchedWeights, options: VllmOptions, gpuCount: number): VllmPlan {
  const isAdapter = model.weightType === "ADAPTER";
  const baseRepo = isAdapter ? weights.base : weights.model;
  if (!baseRepo) throw new EngineRunError("unsupported-model", `${model.repo} is an adapter but its base model was not fetched.`, "This is a runner bug; please report it.");
  const mounts: SandboxMount[] = [{ kind: "models", hostPath: baseRepo.storageDir, containerPath: BASE_MOUNT }];
  const maxModelLen = maxModelLenFor(baseRepo.config, options.maxModelLen);
  const tensorParallel = options.tensorParallel ?? tensorParallelFor(gpuCount, baseRepo.config);
  const env: Record<string, string> = {
    QUORUM_MODEL_PATH: `${BASE_MOUNT}/snapshots/${baseRepo.revision}`,
    QUORUM_SERVED_NAME: SERVED_MODEL_NAME,
    QUORUM_DTYPE: DTYPES[model.precision],
    QUORUM_MAX_MODEL_LEN: String(maxModelLen),
    QUORUM_GPU_MEMORY_UTILIZATION: String(options.gpuMemoryUtilization ?? 0.9),
    QUORUM_TENSOR_PARALLEL: String(tensorParallel),
    QUORUM_VLLM_EXTRA_ARGS: JSON.stringify(options.extraArgs ?? []),
    QUORUM_TASK_DIR: TASK_MOUNT,
    // vLLM's workers talk to each other on this address; a network-less container has only the loopback interface.
    VLLM_HOST_IP: "127.0.0.1",
    // A read-only root and a uid with no passwd entry: every cache goes to the tmpfs, nothing phones home.
    HOME: "/tmp",
    USER: "quorum",
    LOGNAME: "quorum",
    XDG_CACHE_HOME: "/tmp/.cache",
    HF_HOME: "/tmp/hf",
    HF_HUB_OFFLINE: "1",
    TRANSFORMERS_OFFLINE: "1",
    VLLM_CACHE_ROOT: "/tmp/vllm",
    VLLM_NO_USAGE_STATS: "1",
    DO_NOT_TRACK: "1",
    TRITON_CACHE_DIR: "/tmp/triton",
    TORCHINDUCTOR_CACHE_DIR: "/tmp/inductor",
    NUMBA_CACHE_DIR: "/tmp/numba",
    OUTLINES_CACHE_DIR: "/tmp/outlines",
    // Keep the thread count well under the sandbox's pids limit.
    OMP_NUM_THREADS: "4",
    MKL_NUM_THREADS: "4",
    TOKENIZERS_PARALLELISM: "false",
  };
  let servedName = SERVED_MODEL_NAME;
  if (isAdapter) {
    mounts.push({ kind: "models", hostPath: weights.model.storageDir, containerPath: MODEL_MOUNT });
    env.QUORUM_LORA_PATH = `${MODEL_MOUNT}/snapshots/${weights.model.revision}`;
    env.QUORUM_LORA_NAME = LORA_NAME;
    env.QUORUM_MAX_LORA_RANK = String(maxLoraRank(weights.model.config));
    servedName = LORA_NAME;
  }
  return { mounts, env, servedName, maxModelLen, tensorParallel };
}

/** The context length the benchmarks need (prompt + generation); longer prompts are cut from the left. */
export const BENCHMARK_MAX_MODEL_LEN = 4096;

/**
 * The config keys vLLM derives a model's maximum length from (vllm/config/model.py, `_get_and_verify_max_len`:
 * the smallest of those present). vLLM refuses a --max-model-len above it, so the runner never asks for more.
 */
const LENGTH_KEYS = ["max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length", "max_seq_length", "seq_len"];

function numberOf(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;
}

/** The model's own maximum length from its config.json (text_config for multimodal configs), or null. */
export function modelMaxLength(config: Record<string, unknown>): number | null {
  const text = typeof config.text_config === "object" && config.text_config !== null ? (config.text_config as Record<string, unknown>) : config;
  const lengths = LENGTH_KEYS.map((key) => numberOf(text[key]) ?? numberOf(config[key])).filter((n): n is number => n !== null);
  return lengths.length > 0 ? Math.min(...lengths) : null;
}

/** --max-model-len: the benchmark's need (or the runner's --max-model-len), capped at the model's own maximum. */
export function maxModelLenFor(config: Record<string, unknown>, requested?: number): number {
  const wanted = requested ?? BENCHMARK_MAX_MODEL_LEN;
  const own = modelMaxLength(config);
  return own === null ? wanted : Math.min(wanted, own);
}

/**
 * Tensor parallelism over the GPUs handed in: the largest size that fits the GPUs and that vLLM accepts for this
 * model. vLLM shards attention heads, KV heads (replicated when fewer than the size) and the MLP across the GPUs,
 * so the size must divide the head count and the MLP width, and the KV head count must divide it or be divisible
 * by it. Without a config (tests), a power of two.
 */
export function tensorParallelFor(gpuCount: number, config: Record<string, unknown> = {}): number {
  const text = typeof config.text_config === "object" && config.text_config !== null ? (config.text_config as Record<string, unknown>) : config;
  const heads = numberOf(text.num_attention_heads) ?? numberOf(text.n_head);
  const kvHeads = numberOf(text.num_key_value_heads) ?? heads;
  const mlp = numberOf(text.intermediate_size);
  for (let tp = Math.max(1, Math.floor(gpuCount)); tp > 1; tp--) {
    if (heads === null) {
      if ((tp & (tp - 1)) === 0) return tp;
      continue;
    }
    if (heads % tp !== 0) continue;
    if (kvHeads !== null && !(kvHeads % tp === 0 || tp % kvHeads === 0)) continue;
    if (mlp !== null && mlp % tp !== 0) continue;
    return tp;
  }
  return 1;
}

export interface VllmEngineOptions extends VllmOptions {
  docker: ContainerEngine;
  /** How many GPUs the device request hands over (for tensor parallelism), as detected by nvidia-smi. */
  gpuCount: number;
}

export function createVllmEngine(options: VllmEngineOptions): Engine {
  return createDriverEngine({
    name: "vllm",
    docker: options.docker,
    image: options.image ?? DEFAULT_VLLM_IMAGE,
    limits: { ...VLLM_DEFAULT_LIMITS, ...options.limits },
    driverFile: DRIVER_FILE,
    driverSource: DRIVER_SOURCE,
    plan: (model, weights) => planVllmRun(model, weights, options, options.gpuCount),
    version: versionWithSettings,
    crashError: (error, sandbox) => new EngineRunError("crash", `The vLLM server failed: ${error}`, "See the engine's last lines above.", sandbox),
    settings: (plan) => ({ maxModelLen: plan.maxModelLen, tensorParallel: plan.tensorParallel }),
  });
}

/** The result's engine version also says what length and parallelism ran (they can change answers at the edges). */
export function versionWithSettings(version: string, plan: Pick<VllmPlan, "maxModelLen" | "tensorParallel">): string {
  return `${version} max-model-len=${plan.maxModelLen} tp=${plan.tensorParallel}`.slice(0, 100);
}

/** The driver's `{"quorum_error": "..."}` line: the engine's own last error when its server died. */
export function parseEngineErrorLine(line: string): string | null {
  if (!line.startsWith("{") || !line.includes("quorum_error")) return null;
  try {
    const value = JSON.parse(line) as { quorum_error?: unknown };
    if (typeof value.quorum_error === "string") return value.quorum_error.slice(0, 1000);
  } catch {
    // An ordinary log line.
  }
  return null;
}

/** Makes sure an image is on this machine once (pulled with progress when missing); retried after a failure. */
export function imageOnce(docker: ContainerEngine, imageRef: string): (progress?: Progress, signal?: AbortSignal) => Promise<ImageInfo> {
  let image: Promise<ImageInfo> | null = null;
  return (progress, signal) => {
    if (!image) {
      image = (async () => {
        const existing = await docker.inspectImage(imageRef);
        if (existing) return existing;
        const phase = progress?.start("image", { unit: "bytes", label: "image" });
        try {
          const pulled = await docker.pullImage(imageRef, (p) => phase?.update(p.current, p.total || undefined), signal);
          phase?.done(imageRef);
          return pulled;
        } catch (error) {
          phase?.fail((error as Error).message);
          throw error;
        }
      })().catch((error: unknown) => {
        image = null;
        throw error;
      });
    }
    return image;
  };
}

export function parseEngineLine(line: string): { version: string } | null {
  if (!line.startsWith("{") || !line.includes("quorum_engine")) return null;
  try {
    const value = JSON.parse(line) as { quorum_engine?: { version?: unknown } };
    if (typeof value.quorum_engine?.version === "string") return { version: value.quorum_engine.version };
  } catch {
    // An ordinary log line.
  }
  return null;
}
