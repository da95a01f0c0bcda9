/**
 * The `fixture` engine: a test double for a model, for tests, CI and the demo. Its image is built locally
 * (docker/fixture-image.ts) and its program (runner/fixture-image/fixture-engine.mjs) answers by the model's name:
 * fixture/perfect, fixture/wrong, fixture/noisy-<seed>, fixture/slow[-<seconds>], fixture/crash, fixture/hang,
 * fixture/forkbomb, fixture/memhog, fixture/net, fixture/escape. It runs in exactly the sandbox real engines get.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import { FIXTURE_REPO_PREFIX, type TModelRef } from "@/lib/protocol/runner-api";
import { FIXTURE_ENGINE_VERSION, noisyAnswersCorrectly as noisyRule, parseFixtureModel } from "../../fixture-image/rules.mjs";
import type { ContainerEngine, ImageInfo } from "../docker/docker";
import { ensureFixtureImage } from "../docker/fixture-image";
import type { Progress } from "../progress";
import {
  BATCH_INPUT_FILE,
  EngineRunError,
  failureOf,
  parseProgressLine,
  readBatchOutput,
  taskMounts,
  type Engine,
  type EngineRunInput,
  type EngineRunResult,
  type SandboxLimits,
} from "./engine";
import { buildFixtureKey } from "./fixture-key";
import { createJobSession, SESSION_JOB_FILE, type EngineSession, type SessionStartInput } from "./session";

/** A warm fixture container's lifetime cap (the runner stops it long before, after --engine-idle). */
const SESSION_LIFETIME_MS = 24 * 3600_000;

export const FIXTURE_KEY_FILE = "fixture-key.json";

export const FIXTURE_DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 1 * 2 ** 30,
  pidsLimit: 512,
  tmpfsBytes: 64 * 2 ** 20,
};

/** Environment variables the runner passes through to the fixture program. */
const PASSTHROUGH = ["QUORUM_FIXTURE_SECONDS", "QUORUM_FIXTURE_NET_PROBE"] as const;

/**
 * `fixture/noisy-<seed>`: whether a runner with this name answers every item correctly (else every item wrongly).
 * The rule: the parity of the first byte of sha256("<seed>:<runner name>"), even meaning correct. Tests use it to
 * pick runner names that disagree.
 */
export function noisyAnswersCorrectly(seed: string, runnerName: string): boolean {
  return noisyRule(seed, runnerName);
}

export function checkFixtureModel(model: Pick<TModelRef, "repo">): void {
  if (!model.repo.startsWith(FIXTURE_REPO_PREFIX)) {
    throw new EngineRunError("unsupported-model", `The fixture engine only evaluates fixture/ models, not ${model.repo}.`, "Run real models with --engine vllm.");
  }
  try {
    parseFixtureModel(model.repo, {});
  } catch (error) {
    throw new EngineRunError("unsupported-model", (error as Error).message, "Use one of the fixture models listed in runner/README.md.");
  }
}

export interface FixtureEngineOptions {
  docker: ContainerEngine;
  limits?: Partial<SandboxLimits>;
  env?: Record<string, string | undefined>;
  /** Simulated engine start (loading weights), in seconds, once per container. */
  startSeconds?: number;
  /** Simulated compute per item, in seconds. */
  itemSeconds?: number;
  /** Multiplies both delays (benches run simulated time faster than real time and scale the figures back). */
  timeScale?: number;
}

/**
 * A bundle's key: each part's key from its own (unprefixed) requests, as for a single task, then keyed by the
 * bundle's request ids (`<part>|<id>`); context lines (`ctx/…`) are shared by text and keep their ids.
 */
function bundleKey(parts: NonNullable<EngineRunInput["parts"]>, repo: string): ReturnType<typeof buildFixtureKey> {
  const answers: ReturnType<typeof buildFixtureKey>["answers"] = {};
  for (const part of parts) {
    const first = part.requests[0]?.id ?? "";
    const prefix = first.slice(0, first.indexOf("|") + 1);
    const own = part.requests.map((r) => ({ ...r, id: r.id.slice(prefix.length) }));
    const key = buildFixtureKey(part.benchmark, part.itemIds, own, toOpenAIBatchJsonl(own, repo), repo);
    for (const [id, answer] of Object.entries(key.answers)) answers[id.startsWith("ctx/") ? id : `${prefix}${id}`] = answer;
  }
  return { version: 1, answers };
}

export function createFixtureEngine(options: FixtureEngineOptions): Engine {
  const limits: SandboxLimits = { ...FIXTURE_DEFAULT_LIMITS, ...options.limits };
  const env = options.env ?? process.env;
  let image: Promise<{ tag: string; image: ImageInfo }> | null = null;

  async function ensureImage(progress?: Progress): Promise<{ tag: string; image: ImageInfo }> {
    if (!image) {
      const phase = progress?.start("image", { unit: "steps", total: 1, label: "image" });
      image = ensureFixtureImage({ engine: options.docker }).then(
        (result) => {
          phase?.done(result.built ? `built ${result.tag}` : result.tag);
          return result;
        },
        (error: unknown) => {
          image = null;
          phase?.fail((error as Error).message);
          throw error;
        },
      );
    }
    return image;
  }

  async function writeInputs(dir: string, input: EngineRunInput): Promise<void> {
    const jsonl = toOpenAIBatchJsonl(input.requests, input.model.repo);
    const key = input.parts ? bundleKey(input.parts, input.model.repo) : buildFixtureKey(input.benchmark, input.itemIds, input.requests, jsonl, input.model.repo);
    await writeFile(path.join(dir, BATCH_INPUT_FILE), jsonl, { mode: 0o644 });
    await writeFile(path.join(dir, FIXTURE_KEY_FILE), JSON.stringify(key), { mode: 0o644 });
  }

  function computeSeconds(input: EngineRunInput): number {
    const items = input.parts ? input.parts.reduce((n, p) => n + p.itemIds.length, 0) : input.itemIds.length;
    return (options.itemSeconds ?? 0) * items * (options.timeScale ?? 1);
  }

  function environment(model: TModelRef, runnerName: string): Record<string, string> {
    const containerEnv: Record<string, string> = { QUORUM_FIXTURE_MODEL: model.repo, QUORUM_RUNNER_NAME: runnerName };
    for (const name of PASSTHROUGH) {
      const value = env[name];
      if (value) containerEnv[name] = value;
    }
    if (options.startSeconds) containerEnv.QUORUM_FIXTURE_START_SECONDS = String(options.startSeconds * (options.timeScale ?? 1));
    return containerEnv;
  }

  return {
    name: "fixture",
    needsWeights: false,
    checkModel: checkFixtureModel,
    async prepare(progress) {
      return (await ensureImage(progress)).image;
    },
    async run(input: EngineRunInput): Promise<EngineRunResult> {
      checkFixtureModel(input.model);
      const { tag, image: info } = await ensureImage();
      await writeInputs(input.taskDir, input);
      const containerEnv = environment(input.model, input.runnerName);
      // A realistic engine for benches: a start-up (loading weights) and compute per item, scaled by timeScale.
      if (options.itemSeconds) containerEnv.QUORUM_FIXTURE_COMPUTE_SECONDS = String(computeSeconds(input));
      const sandbox = await options.docker.runSandboxed({
        image: tag,
        env: containerEnv,
        mounts: taskMounts(input.taskDir, input.outputDir),
        ...limits,
        gpus: input.gpus,
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        labels: { "org.quorum.runner.engine": "fixture" },
        onStarted: input.onContainerStarted,
        onStdoutLine: (line) => {
          const progress = parseProgressLine(line);
          if (progress) input.onItemsProgress?.(progress.done, progress.total);
          else if (line.trim()) input.logger.debug(`engine: ${line}`);
        },
        onStderrLine: (line) => {
          if (line.trim()) input.logger.debug(`engine: ${line}`);
        },
      });
      const failure = failureOf(sandbox, limits, input.timeoutMs);
      if (failure) throw failure;
      const responses = await readBatchOutput(input.outputDir, input.requests, sandbox);
      return {
        responses,
        identity: { name: "fixture", version: FIXTURE_ENGINE_VERSION, imageDigest: info.id, image: tag },
        sandbox,
      };
    },
    sessionKey({ model, gpus }) {
      // Everything the container is started with: the model (revision, adapter, precision), the sandbox, the delays.
      return JSON.stringify({
        engine: "fixture",
        model: [model.id, model.repo, model.revision, model.weightType, model.baseModel, model.precision],
        limits,
        gpus,
        delays: [options.startSeconds ?? 0, options.timeScale ?? 1],
        env: PASSTHROUGH.map((name) => env[name] ?? null),
      });
    },
    async startSession(input: SessionStartInput): Promise<EngineSession> {
      checkFixtureModel(input.model);
      const { tag, image: info } = await ensureImage();
      const key = this.sessionKey!(input);
      let listener: ((done: number, total: number) => void) | null = null;
      const started = performance.now();
      const handle = await options.docker.startSandboxed({
        image: tag,
        env: { ...environment(input.model, input.runnerName), QUORUM_ENGINE_SESSION: "1" },
        mounts: taskMounts(input.dirs.taskDir, input.dirs.outputDir),
        ...limits,
        gpus: input.gpus,
        timeoutMs: SESSION_LIFETIME_MS,
        signal: input.signal,
        labels: { "org.quorum.runner.engine": "fixture", "org.quorum.runner.warm": "1" },
        onStdoutLine: (line) => {
          const progress = parseProgressLine(line);
          if (progress) listener?.(progress.done, progress.total);
          else if (line.trim()) input.logger.debug(`engine: ${line}`);
        },
        onStderrLine: (line) => {
          if (line.trim()) input.logger.debug(`engine: ${line}`);
        },
      });
      return createJobSession({
        key,
        model: input.model,
        handle,
        dirs: input.dirs,
        limits,
        identity: () => ({ name: "fixture", version: FIXTURE_ENGINE_VERSION, imageDigest: info.id, image: tag }),
        lifetimeMs: SESSION_LIFETIME_MS,
        // The simulated load happens inside the container while the first job waits, so it is in that job's time.
        startMs: performance.now() - started,
        writeJob: async (dir, job) => {
          await writeInputs(dir, job);
          await writeFile(path.join(dir, SESSION_JOB_FILE), JSON.stringify({ computeSeconds: computeSeconds(job) }), { mode: 0o644 });
        },
        setJobListener: (next) => {
          listener = next;
        },
      });
    },
  };
}
