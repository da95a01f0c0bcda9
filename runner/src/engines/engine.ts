/**
 * Engines behind one interface. An engine turns a task's engine requests into engine responses by running an image
 * in the sandbox: the runner writes the OpenAI Batch input (built by the benchmark module) into the read-only task
 * dir, the container writes OpenAI Batch output into the output dir, and the benchmark module parses it back.
 * Everything else (requests, scoring, hashing, signing) happens outside the container.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseOpenAIBatchOutput } from "@/lib/benchmarks/openai-batch";
import type { BenchmarkDefinition } from "@/lib/benchmarks/benchmark-definition";
import type { EngineRequest, EngineResponse } from "@/lib/benchmarks/engine-contract";
import { BenchmarkInputError } from "@/lib/benchmarks/errors";
import type { TEngineName, TModelRef } from "@/lib/protocol/runner-api";
import type { GpuRequest, ImageInfo, SandboxMount, SandboxResult } from "../docker/docker";
import type { FetchedWeights } from "../hf/fetch-weights";
import type { Logger } from "../log";
import type { Progress } from "../progress";
import type { EngineSession, SessionStartInput } from "./session";

export const BATCH_INPUT_FILE = "requests.jsonl";
export const BATCH_OUTPUT_FILE = "output.jsonl";
export const TASK_MOUNT = "/task";
export const OUTPUT_MOUNT = "/out";

export interface SandboxLimits {
  memoryBytes: number;
  pidsLimit: number;
  tmpfsBytes: number;
  shmBytes?: number;
}

export interface EngineIdentity {
  name: TEngineName;
  /** The engine's own version (vLLM's __version__, the fixture program's version). */
  version: string;
  /** The image the container ran: its repo digest when pulled from a registry, else its local image id. */
  imageDigest: string;
  image: string;
}

export interface EngineRunInput {
  model: TModelRef;
  benchmark: BenchmarkDefinition;
  itemIds: string[];
  requests: EngineRequest[];
  /**
   * A bundle (several tasks of one model in one engine start): each task's benchmark, items and requests (ids made
   * unique across tasks); `requests` is all of them. Absent for a single task (then `benchmark`/`itemIds` are it).
   */
  parts?: Array<{ benchmark: BenchmarkDefinition; itemIds: string[]; requests: EngineRequest[] }>;
  /** Null for engines that need no weights (fixture). */
  weights: FetchedWeights | null;
  /** Host dir mounted read-only at /task; the engine writes its inputs here before the container starts. */
  taskDir: string;
  /** Host dir mounted writable at /out. */
  outputDir: string;
  runnerName: string;
  gpus: GpuRequest | null;
  timeoutMs: number;
  signal?: AbortSignal;
  logger: Logger;
  onItemsProgress?: (done: number, total: number) => void;
  onContainerStarted?: (containerId: string) => void;
}

export interface EngineRunResult {
  responses: EngineResponse[];
  identity: EngineIdentity;
  sandbox: SandboxResult;
}

export interface Engine {
  readonly name: TEngineName;
  /** Whether the model's weights must be fetched from the Hub before running. */
  readonly needsWeights: boolean;
  /** Checks that this engine can evaluate this model at all (before claiming work for it, and again per task). */
  checkModel(model: TModelRef): void;
  /** Makes sure the image is on this machine (pulls or builds it, with progress). Idempotent and cached. */
  prepare(progress: Progress, signal?: AbortSignal): Promise<ImageInfo>;
  run(input: EngineRunInput): Promise<EngineRunResult>;
  /**
   * Engines that can stay warm: what a running engine serves (model revision, adapter, precision, engine settings
   * and sandbox limits), and a session (runner/src/engines/session.ts) that answers job after job of that key.
   */
  sessionKey?(input: Pick<EngineRunInput, "model" | "weights" | "gpus">): string;
  startSession?(input: SessionStartInput): Promise<EngineSession>;
}

export type EngineFailure = "timeout" | "oom" | "crash" | "bad-output" | "aborted" | "unsupported-model";

/** The evaluation failed on this runner: the task goes back to the server as `failed` with this message. */
export class EngineRunError extends Error {
  constructor(
    readonly failure: EngineFailure,
    message: string,
    readonly hint: string,
    readonly sandbox: SandboxResult | null = null,
  ) {
    super(message);
    this.name = "EngineRunError";
  }
}

export function imageDigestOf(image: ImageInfo): string {
  return image.repoDigests[0] ?? image.id;
}

function lastLines(text: string, n: number): string {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .slice(-n)
    .join(" | ")
    .slice(-600);
}

/** Turns how the container ended into an error with its reason, or nothing when it exited 0. */
export function failureOf(result: SandboxResult, limits: SandboxLimits, timeoutMs: number): EngineRunError | null {
  if (result.end === "timeout") {
    return new EngineRunError(
      "timeout",
      `The engine did not finish within ${Math.round(timeoutMs / 1000)} s and was killed.`,
      "Raise --task-timeout if this model is just slow on this machine.",
      result,
    );
  }
  if (result.end === "aborted") {
    return new EngineRunError("aborted", "The evaluation was cancelled and its container removed.", "The task goes back to the queue.", result);
  }
  if (result.end === "oom" || result.oomKilled) {
    return new EngineRunError(
      "oom",
      `The engine ran out of memory (limit ${(limits.memoryBytes / 2 ** 30).toFixed(1)} GiB) and was killed.`,
      "Raise --memory if this machine has more RAM to give.",
      result,
    );
  }
  if (result.exitCode !== 0) {
    const tail = lastLines(result.stderrTail, 3) || lastLines(result.stdoutTail, 3) || "no output";
    return new EngineRunError("crash", `The engine exited with code ${result.exitCode}: ${tail}`, "See the engine's last lines above.", result);
  }
  return null;
}

/** Progress lines engines print on stdout: {"quorum_progress": {"done": n, "total": m}}. */
export function parseProgressLine(line: string): { done: number; total: number } | null {
  if (!line.startsWith("{") || !line.includes("quorum_progress")) return null;
  try {
    const value = JSON.parse(line) as { quorum_progress?: { done?: unknown; total?: unknown } };
    const p = value.quorum_progress;
    if (p && typeof p.done === "number" && typeof p.total === "number") return { done: p.done, total: p.total };
  } catch {
    // Not a progress line after all: it is shown as an ordinary engine log line.
  }
  return null;
}

/** Reads and parses the container's batch output with the benchmark module. */
export async function readBatchOutput(outputDir: string, requests: EngineRequest[], sandbox: SandboxResult, file = BATCH_OUTPUT_FILE): Promise<EngineResponse[]> {
  let text: string;
  try {
    text = await readFile(path.join(outputDir, file), "utf8");
  } catch (error) {
    throw new EngineRunError("bad-output", `The engine exited without writing ${BATCH_OUTPUT_FILE} (${(error as Error).message}).`, "See the engine's last lines above.", sandbox);
  }
  try {
    return parseOpenAIBatchOutput(text, requests);
  } catch (error) {
    if (error instanceof BenchmarkInputError) {
      throw new EngineRunError("bad-output", `The engine's output is unusable: ${error.message}`, "See the engine's last lines above.", sandbox);
    }
    throw error;
  }
}

export function taskMounts(taskDir: string, outputDir: string): SandboxMount[] {
  return [
    { kind: "task", hostPath: taskDir, containerPath: TASK_MOUNT },
    { kind: "output", hostPath: outputDir, containerPath: OUTPUT_MOUNT },
  ];
}

export function units(bytes: string): number {
  const m = bytes.trim().match(/^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i);
  if (!m) throw new Error(`not a size: ${JSON.stringify(bytes)} (use e.g. 512m, 16g)`);
  const factor = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Math.round(Number(m[1]) * factor);
}
