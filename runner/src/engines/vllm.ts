/**
 * The `vllm` engine, the default for real models: vLLM's official OpenAI image (pinned), with the model mounted
 * read-only from the runner's weight cache, GPUs through a device request, no network. Inside, Quorum's batch
 * driver (vllm-batch-driver.py, written into the task dir) serves the model on the container's loopback interface
 * and replays the benchmark's OpenAI Batch file against /v1/completions (vLLM's own run-batch has no
 * /v1/completions and no LoRA). LoRA adapters run on their base model through vLLM's --lora-modules.
 */
import { copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import { FIXTURE_REPO_PREFIX, type TModelRef } from "@/lib/protocol/runner-api";
import type { ContainerEngine, ImageInfo, SandboxMount } from "../docker/docker";
import type { FetchedWeights } from "../hf/fetch-weights";
import type { Progress } from "../progress";
import {
  BATCH_INPUT_FILE,
  EngineRunError,
  failureOf,
  imageDigestOf,
  parseProgressLine,
  readBatchOutput,
  taskMounts,
  TASK_MOUNT,
  type Engine,
  type EngineRunInput,
  type EngineRunResult,
  type SandboxLimits,
} from "./engine";

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
}

/** The container's mounts and environment for a model: pure, so it is unit-tested without a GPU. */
export function planVllmRun(model: TModelRef, weights: FetchedWeights, options: VllmOptions, gpuCount: number): VllmPlan {
  const isAdapter = model.weightType === "ADAPTER";
  const baseRepo = isAdapter ? weights.base : weights.model;
  if (!baseRepo) throw new EngineRunError("unsupported-model", `${model.repo} is an adapter but its base model was not fetched.`, "This is a runner bug; please report it.");
  const mounts: SandboxMount[] = [{ kind: "models", hostPath: baseRepo.storageDir, containerPath: BASE_MOUNT }];
  const env: Record<string, string> = {
    QUORUM_MODEL_PATH: `${BASE_MOUNT}/snapshots/${baseRepo.revision}`,
    QUORUM_SERVED_NAME: SERVED_MODEL_NAME,
    QUORUM_DTYPE: DTYPES[model.precision],
    QUORUM_MAX_MODEL_LEN: String(options.maxModelLen ?? 4096),
    QUORUM_GPU_MEMORY_UTILIZATION: String(options.gpuMemoryUtilization ?? 0.9),
    QUORUM_TENSOR_PARALLEL: String(options.tensorParallel ?? tensorParallelFor(gpuCount)),
    QUORUM_VLLM_EXTRA_ARGS: JSON.stringify(options.extraArgs ?? []),
    QUORUM_TASK_DIR: TASK_MOUNT,
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
  return { mounts, env, servedName };
}

/** Tensor parallelism over the GPUs handed in: a power of two (attention heads must divide evenly). */
export function tensorParallelFor(gpuCount: number): number {
  let tp = 1;
  while (tp * 2 <= gpuCount) tp *= 2;
  return tp;
}

export interface VllmEngineOptions extends VllmOptions {
  docker: ContainerEngine;
  /** How many GPUs the device request hands over (for tensor parallelism), as detected by nvidia-smi. */
  gpuCount: number;
}

export function createVllmEngine(options: VllmEngineOptions): Engine {
  const imageRef = options.image ?? DEFAULT_VLLM_IMAGE;
  const limits: SandboxLimits = { ...VLLM_DEFAULT_LIMITS, ...options.limits };
  let image: Promise<ImageInfo> | null = null;

  async function ensureImage(progress?: Progress, signal?: AbortSignal): Promise<ImageInfo> {
    if (!image) {
      image = (async () => {
        const existing = await options.docker.inspectImage(imageRef);
        if (existing) return existing;
        const phase = progress?.start("image", { unit: "bytes", label: "image" });
        try {
          const pulled = await options.docker.pullImage(imageRef, (p) => phase?.update(p.current, p.total || undefined), signal);
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
  }

  return {
    name: "vllm",
    needsWeights: true,
    checkModel: checkVllmModel,
    prepare: (progress, signal) => ensureImage(progress, signal),
    async run(input: EngineRunInput): Promise<EngineRunResult> {
      checkVllmModel(input.model);
      if (!input.weights) throw new EngineRunError("unsupported-model", "The vllm engine needs the model's weights.", "This is a runner bug; please report it.");
      const info = await ensureImage(undefined, input.signal);
      const plan = planVllmRun(input.model, input.weights, options, options.gpuCount);
      await writeFile(path.join(input.taskDir, BATCH_INPUT_FILE), toOpenAIBatchJsonl(input.requests, plan.servedName), { mode: 0o644 });
      await copyFile(DRIVER_SOURCE, path.join(input.taskDir, DRIVER_FILE));

      let version = "unknown";
      const sandbox = await options.docker.runSandboxed({
        image: imageRef,
        entrypoint: ["python3", `${TASK_MOUNT}/${DRIVER_FILE}`],
        cmd: [],
        env: plan.env,
        mounts: [...plan.mounts, ...taskMounts(input.taskDir, input.outputDir)],
        ...limits,
        gpus: input.gpus,
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        labels: { "org.quorum.runner.engine": "vllm" },
        onStarted: input.onContainerStarted,
        onStdoutLine: (line) => {
          const progress = parseProgressLine(line);
          if (progress) return input.onItemsProgress?.(progress.done, progress.total);
          const engine = parseEngineLine(line);
          if (engine) version = engine.version;
          else if (line.trim()) input.logger.debug(`engine: ${line}`);
        },
        onStderrLine: (line) => {
          if (line.trim()) input.logger.debug(`engine: ${line}`);
        },
      });
      const failure = failureOf(sandbox, limits, input.timeoutMs);
      if (failure) throw failure;
      const responses = await readBatchOutput(input.outputDir, input.requests, sandbox);
      return { responses, identity: { name: "vllm", version, imageDigest: imageDigestOf(info), image: imageRef }, sandbox };
    },
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
