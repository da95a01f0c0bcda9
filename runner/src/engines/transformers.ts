/**
 * The `transformers` engine: lm-evaluation-harness's reference backend (`hf`), for architectures vLLM lacks and as
 * a cross-check of vLLM's numbers. It runs Quorum's transformers driver (transformers-driver.py, written into the
 * task dir) inside the same pinned vLLM image, which ships torch and transformers, in the same sandbox, with the
 * same mounts and the same OpenAI Batch files as the vllm engine: greedy generation cut at the stop sequences, and
 * log-likelihoods as the harness's `hf` model computes them. Adapters run through `peft` when the image has it.
 */
import { copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import type { ContainerEngine } from "../docker/docker";
import {
  BATCH_INPUT_FILE,
  EngineRunError,
  failureOf,
  imageDigestOf,
  readBatchOutput,
  taskMounts,
  TASK_MOUNT,
  type Engine,
  type EngineRunInput,
  type EngineRunResult,
  type SandboxLimits,
} from "./engine";
import { checkVllmModel, DEFAULT_VLLM_IMAGE, engineLines, imageOnce, planVllmRun, VLLM_DEFAULT_LIMITS, type EngineOutput } from "./vllm";
import { createJobSession, type EngineSession, type SessionStartInput } from "./session";

export const TRANSFORMERS_DRIVER_FILE = "transformers-driver.py";
export const TRANSFORMERS_DRIVER_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), TRANSFORMERS_DRIVER_FILE);

/** A warm container's lifetime cap (the runner stops it long before, after --engine-idle). */
const SESSION_LIFETIME_MS = 7 * 24 * 3600_000;

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
  const imageRef = options.image ?? DEFAULT_VLLM_IMAGE;
  const limits: SandboxLimits = { ...VLLM_DEFAULT_LIMITS, ...options.limits };
  const ensureImage = imageOnce(options.docker, imageRef);

  return {
    name: "transformers",
    needsWeights: true,
    checkModel: checkVllmModel,
    prepare: (progress, signal) => ensureImage(progress, signal),
    async run(input: EngineRunInput): Promise<EngineRunResult> {
      checkVllmModel(input.model);
      if (!input.weights) throw new EngineRunError("unsupported-model", "The transformers engine needs the model's weights.", "This is a runner bug; please report it.");
      const info = await ensureImage(undefined, input.signal);
      const plan = planVllmRun(input.model, input.weights, { maxModelLen: options.maxModelLen }, 1);
      const env = { ...plan.env, QUORUM_BATCH_SIZE: String(options.batchSize ?? 16) };
      await writeFile(path.join(input.taskDir, BATCH_INPUT_FILE), toOpenAIBatchJsonl(input.requests, plan.servedName), { mode: 0o644 });
      await copyFile(TRANSFORMERS_DRIVER_SOURCE, path.join(input.taskDir, TRANSFORMERS_DRIVER_FILE));

      const output: EngineOutput = { version: "unknown", error: null };
      const sandbox = await options.docker.runSandboxed({
        image: imageRef,
        entrypoint: ["python3", `${TASK_MOUNT}/${TRANSFORMERS_DRIVER_FILE}`],
        cmd: [],
        env,
        mounts: [...plan.mounts, ...taskMounts(input.taskDir, input.outputDir)],
        ...limits,
        gpus: input.gpus,
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        labels: { "org.quorum.runner.engine": "transformers" },
        onStarted: input.onContainerStarted,
        ...engineLines(input.logger, output, () => input.onItemsProgress),
      });
      const failure = failureOf(sandbox, limits, input.timeoutMs);
      if (failure && output.error && failure.failure === "crash") {
        const refusal = /no `peft` package/.test(output.error);
        throw new EngineRunError(refusal ? "unsupported-model" : "crash", `The transformers engine failed: ${output.error}`, refusal ? "Run adapters with --engine vllm." : "See the engine's last lines above.", sandbox);
      }
      if (failure) throw failure;
      const responses = await readBatchOutput(input.outputDir, input.requests, sandbox);
      return {
        responses,
        identity: { name: "transformers", version: `${output.version} max-len=${plan.maxModelLen}`.slice(0, 100), imageDigest: imageDigestOf(info), image: imageRef },
        sandbox,
      };
    },
    sessionKey({ model, weights, gpus }) {
      const plan = weights ? planVllmRun(model, weights, { maxModelLen: options.maxModelLen }, 1) : null;
      return JSON.stringify({
        engine: "transformers",
        image: imageRef,
        model: [model.id, model.repo, model.revision, model.weightType, model.baseModel, model.precision],
        weights: weights ? [weights.model.snapshotDir, weights.base?.snapshotDir ?? null] : null,
        plan,
        batchSize: options.batchSize ?? 16,
        limits,
        gpus,
      });
    },
    async startSession(input: SessionStartInput): Promise<EngineSession> {
      checkVllmModel(input.model);
      if (!input.weights) throw new EngineRunError("unsupported-model", "The transformers engine needs the model's weights.", "This is a runner bug; please report it.");
      const info = await ensureImage(undefined, input.signal);
      const plan = planVllmRun(input.model, input.weights, { maxModelLen: options.maxModelLen }, 1);
      await copyFile(TRANSFORMERS_DRIVER_SOURCE, path.join(input.dirs.taskDir, TRANSFORMERS_DRIVER_FILE));
      const output: EngineOutput = { version: "unknown", error: null };
      let listener: ((done: number, total: number) => void) | null = null;
      const started = performance.now();
      const handle = await options.docker.startSandboxed({
        image: imageRef,
        entrypoint: ["python3", `${TASK_MOUNT}/${TRANSFORMERS_DRIVER_FILE}`],
        cmd: [],
        env: { ...plan.env, QUORUM_BATCH_SIZE: String(options.batchSize ?? 16), QUORUM_ENGINE_SESSION: "1" },
        mounts: [...plan.mounts, ...taskMounts(input.dirs.taskDir, input.dirs.outputDir)],
        ...limits,
        gpus: input.gpus,
        timeoutMs: SESSION_LIFETIME_MS,
        signal: input.signal,
        labels: { "org.quorum.runner.engine": "transformers", "org.quorum.runner.warm": "1" },
        ...engineLines(input.logger, output, () => listener),
      });
      return createJobSession({
        key: this.sessionKey!(input),
        model: input.model,
        handle,
        dirs: input.dirs,
        limits,
        identity: () => ({ name: "transformers", version: `${output.version} max-len=${plan.maxModelLen}`.slice(0, 100), imageDigest: imageDigestOf(info), image: imageRef }),
        lifetimeMs: SESSION_LIFETIME_MS,
        startMs: performance.now() - started,
        lastEngineError: () => output.error,
        writeJob: async (dir, job) => {
          await writeFile(path.join(dir, BATCH_INPUT_FILE), toOpenAIBatchJsonl(job.requests, plan.servedName), { mode: 0o644 });
        },
        setJobListener: (next) => {
          listener = next;
        },
      });
    },
  };
}
