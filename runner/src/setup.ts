/**
 * Turns command-line options into the runner's parts: logger and progress, GPUs, sandbox limits, the engine.
 * Shared by the CLI commands (start, run, doctor) so that they all build things the same way.
 */
import type { TEngineName } from "@/lib/protocol/runner-api";
import type { ContainerEngine, GpuRequest } from "./docker/docker";
import { createDockerEngine } from "./docker/dockerode-docker";
import { units, type Engine, type SandboxLimits } from "./engines/engine";
import { createFixtureEngine } from "./engines/fixture";
import { createTransformersEngine } from "./engines/transformers";
import { createVllmEngine } from "./engines/vllm";
import { detectGpus, selectGpus, type CommandRunner, type GpuInfo } from "./gpu";
import { createLogger, type Logger, type LogLevel, type LogSink } from "./log";
import { createProgress, pickProgressMode, type Progress } from "./progress";

export type Output = { logger: Logger & { setSink(sink: LogSink): void; getSink(): LogSink }; progress: Progress };

const PROGRESS_MODES = ["auto", "bars", "lines", "none"] as const;

export function makeOutput(flags: { json?: boolean; verbose?: boolean; progress?: string }): Output {
  const level: LogLevel = flags.verbose ? "debug" : "info";
  const logger = createLogger({ json: Boolean(flags.json), level });
  const wanted = flags.progress ?? "auto";
  if (!(PROGRESS_MODES as readonly string[]).includes(wanted)) {
    throw new UsageError(`--progress ${wanted}: expected ${PROGRESS_MODES.join(", ")}`, "See --help.");
  }
  const mode =
    wanted === "auto" || flags.json
      ? pickProgressMode({ json: Boolean(flags.json), isTTY: Boolean(process.stderr.isTTY), quiet: wanted === "none" })
      : wanted === "none"
        ? "silent"
        : (wanted as "bars" | "lines");
  return { logger, progress: createProgress({ mode, logger }) };
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** `--gpus`: auto (default), none, all, a count, or comma-separated device ids/UUIDs. */
export function parseGpuFlag(value: string | undefined): "auto" | GpuRequest | null {
  const v = (value ?? "auto").trim().toLowerCase();
  if (v === "auto") return "auto";
  if (v === "none" || v === "0") return null;
  if (v === "all") return "all";
  if (/^\d+$/.test(v)) return Number(v);
  const ids = (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (ids.length > 0 && ids.every((id) => /^(\d+|GPU-[0-9a-fA-F-]+)$/.test(id))) return ids;
  throw new UsageError(`--gpus ${value}: expected auto, none, all, a number, or device ids like 0,1`, "See `pnpm runner start --help`.");
}

/**
 * What to hand to containers. auto: every GPU nvidia-smi sees for vllm (none when there is none), and none for the
 * fixture engine (a test double needs no GPU; pass --gpus all to exercise the GPU path with it).
 */
export async function resolveGpus(
  flag: string | undefined,
  engine: TEngineName,
  run?: CommandRunner,
): Promise<{ request: GpuRequest | null; info: GpuInfo[]; detectionError: string | null }> {
  const parsed = parseGpuFlag(flag);
  const detected = await detectGpus(run);
  if (parsed === "auto") {
    const request = engine !== "fixture" && detected.gpus.length > 0 ? ("all" as const) : null;
    return { request, info: detected.gpus, detectionError: detected.error };
  }
  return { request: parsed, info: detected.gpus, detectionError: detected.error };
}

export interface EngineFlags {
  memory?: string;
  pidsLimit?: string;
  tmpfs?: string;
  shm?: string;
  vllmImage?: string;
  maxModelLen?: string;
  gpuMemoryUtilization?: string;
  tensorParallel?: string;
  vllmArg?: string[];
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} ${value}: expected a positive whole number`, "See --help.");
  return n;
}

function size(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return units(value);
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`, "Sizes look like 512m, 16g.");
  }
}

export function limitsFrom(flags: EngineFlags): Partial<SandboxLimits> {
  const limits: Partial<SandboxLimits> = {};
  const memory = size("--memory", flags.memory);
  const tmpfs = size("--tmpfs", flags.tmpfs);
  const shm = size("--shm", flags.shm);
  const pids = positiveInt("--pids-limit", flags.pidsLimit);
  if (memory !== undefined) limits.memoryBytes = memory;
  if (tmpfs !== undefined) limits.tmpfsBytes = tmpfs;
  if (shm !== undefined) limits.shmBytes = shm;
  if (pids !== undefined) limits.pidsLimit = pids;
  return limits;
}

export function makeEngine(options: {
  engine: TEngineName;
  docker: ContainerEngine;
  flags: EngineFlags;
  gpus: GpuRequest | null;
  gpuInfo: GpuInfo[];
}): Engine {
  const limits = limitsFrom(options.flags);
  if (options.engine === "fixture") return createFixtureEngine({ docker: options.docker, limits });
  const gpuMemoryUtilization = options.flags.gpuMemoryUtilization === undefined ? undefined : Number(options.flags.gpuMemoryUtilization);
  if (gpuMemoryUtilization !== undefined && !(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
    throw new UsageError("--gpu-memory-utilization: expected a number in (0, 1]", "For example 0.9.");
  }
  if (options.engine === "transformers") {
    return createTransformersEngine({
      docker: options.docker,
      image: options.flags.vllmImage ?? process.env.QUORUM_VLLM_IMAGE,
      maxModelLen: positiveInt("--max-model-len", options.flags.maxModelLen),
      limits,
    });
  }
  return createVllmEngine({
    docker: options.docker,
    gpuCount: selectGpus(options.gpuInfo, options.gpus).length || (typeof options.gpus === "number" ? options.gpus : 1),
    image: options.flags.vllmImage ?? process.env.QUORUM_VLLM_IMAGE,
    maxModelLen: positiveInt("--max-model-len", options.flags.maxModelLen),
    gpuMemoryUtilization,
    tensorParallel: positiveInt("--tensor-parallel", options.flags.tensorParallel),
    extraArgs: options.flags.vllmArg,
    limits,
  });
}

export function makeDocker(logger: Logger, runnerName?: string): ContainerEngine {
  return createDockerEngine({ logger, labels: runnerName ? { "org.quorum.runner.name": runnerName } : undefined });
}

export const DEFAULT_TASK_TIMEOUT_S: Record<TEngineName, number> = { fixture: 600, vllm: 3600, transformers: 3600 };
