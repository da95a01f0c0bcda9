/**
 * The engines whose container runs one of Quorum's Python drivers inside the pinned vLLM image (vllm, transformers):
 * the same sandbox, mounts, OpenAI Batch files and line handling, one-shot (`run`) or warm (`startSession`, see
 * session.ts). What differs per engine is given by a DriverEngineSpec: the driver file, the plan, extra environment,
 * how the result names its version, and how the driver's own last error becomes the task's failure.
 */
import { copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import type { TModelRef } from "@/lib/protocol/runner-api";
import type { ContainerEngine, SandboxResult } from "../docker/docker";
import type { FetchedWeights } from "../hf/fetch-weights";
import type { Logger } from "../log";
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
import { createJobSession, type EngineSession, type SessionStartInput } from "./session";
import { checkVllmModel, imageOnce, parseEngineErrorLine, parseEngineLine, type VllmPlan } from "./vllm";

/** A warm container's lifetime cap (the runner stops it long before, after --engine-idle). */
const SESSION_LIFETIME_MS = 7 * 24 * 3600_000;

export interface DriverEngineSpec {
  name: "vllm" | "transformers";
  docker: ContainerEngine;
  image: string;
  limits: SandboxLimits;
  /** The driver's file name in the task dir, and where the runner's copy is. */
  driverFile: string;
  driverSource: string;
  /** The container's mounts, environment and settings for a model (the same for a run, a session and its key). */
  plan: (model: TModelRef, weights: FetchedWeights) => VllmPlan;
  /** Environment beyond the plan's. */
  env?: Record<string, string>;
  /** Settings beyond the plan that change answers, for the warm engine's key. */
  keyExtras?: Record<string, unknown>;
  /** The version the result carries. */
  version: (driverVersion: string, plan: VllmPlan) => string;
  /** The failure for a crashed container whose driver reported an error of its own. */
  crashError: (driverError: string, sandbox: SandboxResult) => EngineRunError;
  /** Settings worth a log line once the engine started, when the engine has any. */
  settings?: (plan: VllmPlan) => Record<string, unknown>;
}

/** What an engine's driver said about itself: its identity line's version and its own last error line. */
export interface EngineOutput {
  version: string;
  error: string | null;
}

/**
 * The sandbox's line handlers every engine container gets: progress lines go to the current listener (a getter: a
 * warm engine's listener changes with each job), the identity and error lines into `output`, the rest to debug.
 */
export function engineLines(
  logger: Logger,
  output: EngineOutput,
  listener: () => ((done: number, total: number) => void) | null | undefined,
): { onStdoutLine: (line: string) => void; onStderrLine: (line: string) => void } {
  return {
    onStdoutLine: (line) => {
      const progress = parseProgressLine(line);
      if (progress) return listener()?.(progress.done, progress.total);
      const engine = parseEngineLine(line);
      const error = engine ? null : parseEngineErrorLine(line);
      if (engine) output.version = engine.version;
      else if (error) output.error = error;
      else if (line.trim()) logger.debug(`engine: ${line}`);
    },
    onStderrLine: (line) => {
      if (line.trim()) logger.debug(`engine: ${line}`);
    },
  };
}

export function createDriverEngine(spec: DriverEngineSpec): Engine {
  const { docker, image, limits } = spec;
  const ensureImage = imageOnce(docker, image);
  const entrypoint = ["python3", `${TASK_MOUNT}/${spec.driverFile}`];

  /** Checks the model, pulls or builds the image, plans the container and writes the driver into the task dir. */
  const prepareRun = async (model: TModelRef, weights: FetchedWeights | null | undefined, taskDir: string, signal?: AbortSignal) => {
    checkVllmModel(model);
    if (!weights) throw new EngineRunError("unsupported-model", `The ${spec.name} engine needs the model's weights.`, "This is a runner bug; please report it.");
    const info = await ensureImage(undefined, signal);
    const plan = spec.plan(model, weights);
    await copyFile(spec.driverSource, path.join(taskDir, spec.driverFile));
    return { plan, identity: (output: EngineOutput) => ({ name: spec.name, version: spec.version(output.version, plan), imageDigest: imageDigestOf(info), image }) };
  };
  const writeRequests = (dir: string, requests: EngineRunInput["requests"], plan: VllmPlan) =>
    writeFile(path.join(dir, BATCH_INPUT_FILE), toOpenAIBatchJsonl(requests, plan.servedName), { mode: 0o644 });
  const logSettings = (logger: Logger, plan: VllmPlan, extra: Record<string, unknown> = {}) => {
    if (spec.settings) logger.info(`${spec.name} settings`, { ...spec.settings(plan), ...extra });
  };

  const engine: Engine = {
    name: spec.name,
    needsWeights: true,
    checkModel: checkVllmModel,
    prepare: (progress, signal) => ensureImage(progress, signal),
    async run(input: EngineRunInput): Promise<EngineRunResult> {
      const { plan, identity } = await prepareRun(input.model, input.weights, input.taskDir, input.signal);
      await writeRequests(input.taskDir, input.requests, plan);
      const output: EngineOutput = { version: "unknown", error: null };
      const sandbox = await docker.runSandboxed({
        image,
        entrypoint,
        cmd: [],
        env: { ...plan.env, ...spec.env },
        mounts: [...plan.mounts, ...taskMounts(input.taskDir, input.outputDir)],
        ...limits,
        gpus: input.gpus,
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        labels: { "org.quorum.runner.engine": spec.name },
        onStarted: input.onContainerStarted,
        ...engineLines(input.logger, output, () => input.onItemsProgress),
      });
      const failure = failureOf(sandbox, limits, input.timeoutMs);
      // The driver's own last error (a CUDA error, an unsupported architecture), not what was seen after it.
      if (failure && output.error && failure.failure === "crash") throw spec.crashError(output.error, sandbox);
      if (failure) throw failure;
      const responses = await readBatchOutput(input.outputDir, input.requests, sandbox);
      logSettings(input.logger, plan);
      return { responses, identity: identity(output), sandbox };
    },
    sessionKey({ model, weights, gpus }) {
      // The whole container as it would be started: image, model revision and adapter (their snapshot dirs and the
      // plan's environment: dtype, length, parallelism, LoRA), other settings, sandbox limits and GPUs.
      const plan = weights ? spec.plan(model, weights) : null;
      return JSON.stringify({
        engine: spec.name,
        image,
        model: [model.id, model.repo, model.revision, model.weightType, model.baseModel, model.precision],
        weights: weights ? [weights.model.snapshotDir, weights.base?.snapshotDir ?? null] : null,
        plan,
        ...spec.keyExtras,
        limits,
        gpus,
      });
    },
    async startSession(input: SessionStartInput): Promise<EngineSession> {
      const { plan, identity } = await prepareRun(input.model, input.weights, input.dirs.taskDir, input.signal);
      const output: EngineOutput = { version: "unknown", error: null };
      let listener: ((done: number, total: number) => void) | null = null;
      const started = performance.now();
      const handle = await docker.startSandboxed({
        image,
        entrypoint,
        cmd: [],
        env: { ...plan.env, ...spec.env, QUORUM_ENGINE_SESSION: "1" },
        mounts: [...plan.mounts, ...taskMounts(input.dirs.taskDir, input.dirs.outputDir)],
        ...limits,
        gpus: input.gpus,
        timeoutMs: SESSION_LIFETIME_MS,
        signal: input.signal,
        labels: { "org.quorum.runner.engine": spec.name, "org.quorum.runner.warm": "1" },
        ...engineLines(input.logger, output, () => listener),
      });
      logSettings(input.logger, plan, { warm: true });
      return createJobSession({
        key: engine.sessionKey!(input),
        model: input.model,
        handle,
        dirs: input.dirs,
        limits,
        identity: () => identity(output),
        lifetimeMs: SESSION_LIFETIME_MS,
        startMs: performance.now() - started,
        lastEngineError: () => output.error,
        writeJob: async (dir, job) => {
          await writeRequests(dir, job.requests, plan);
        },
        setJobListener: (next) => {
          listener = next;
        },
      });
    },
  };
  return engine;
}
