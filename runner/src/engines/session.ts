/**
 * A warm engine: one sandboxed container, started once with the model loaded, that answers several jobs (a task or
 * a bundle each) of that one model, one after the other, until the runner stops it.
 *
 * The job protocol, over the same two mounts every engine gets (nothing else is shared with the container):
 *   runner  writes <session>/task/jobs/.tmp-<n>/ (requests.jsonl, job.json, engine-specific files), then renames it
 *           to <session>/task/jobs/<n> (read-only in the container at /task/jobs/<n>): the job is complete at once;
 *   engine  polls for /task/jobs/<n> (n = 1, 2, …), answers it into /out/<n>.output.jsonl, then writes /out/<n>.done
 *           ({"ok": true} or {"ok": false, "error": "…"}), atomically (written aside, then renamed); progress lines
 *           on stdout are the current job's;
 *   runner  waits for <n>.done (or the container's end, the job's timeout, a cancel), reads the output, deletes the
 *           job's files on both sides.
 * A session serves exactly one key (model revision, adapter, precision, engine settings): the warm-engine manager
 * never hands it a job of another key. Any failed job ends the session (the container is stopped and removed).
 */
import { chmod, mkdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { TModelRef } from "@/lib/protocol/runner-api";
import type { SandboxHandle, SandboxResult } from "../docker/docker";
import type { Logger } from "../log";
import { EngineRunError, failureOf, readBatchOutput, type EngineIdentity, type EngineRunInput, type EngineRunResult, type SandboxLimits } from "./engine";

export const SESSION_JOBS_DIR = "jobs";
export const SESSION_JOB_FILE = "job.json";
/** How often the runner looks for a job's done marker. */
const POLL_MS = 10;

/** The host dirs of one session: `task` is mounted read-only at /task, `out` writable at /out. */
export interface SessionDirs {
  root: string;
  taskDir: string;
  outputDir: string;
}

export interface SessionStartInput {
  model: TModelRef;
  weights: EngineRunInput["weights"];
  gpus: EngineRunInput["gpus"];
  runnerName: string;
  dirs: SessionDirs;
  logger: Logger;
  /** Cancels the start (the container is removed); the warm-engine manager passes none (see warm-engine.ts). */
  signal?: AbortSignal;
}

export interface EngineSession {
  /** What this session serves: only jobs whose sessionKey is equal may run here. */
  readonly key: string;
  readonly model: TModelRef;
  readonly containerId: string;
  /** Jobs answered so far. */
  readonly jobs: number;
  /** False once a job failed or the container ended: the manager then starts a new one. */
  readonly usable: boolean;
  /** One job (a task, or a bundle's requests); input.taskDir/outputDir are not used (the session has its own). */
  run(input: EngineRunInput): Promise<EngineRunResult>;
  /** The container is still running and no job has failed in it. */
  healthy(): Promise<boolean>;
  /** Stops and removes the container, and deletes the session's dirs. Idempotent. */
  stop(): Promise<SandboxResult | null>;
}

/** Engine-specific parts of a session. */
export interface JobSessionOptions {
  key: string;
  model: TModelRef;
  handle: SandboxHandle;
  dirs: SessionDirs;
  limits: SandboxLimits;
  /** Read after each job: engines learn their version from the container's first lines. */
  identity: () => EngineIdentity;
  /** The container's lifetime cap (the sandbox's timeout). */
  lifetimeMs: number;
  /** Writes the job's input files into dir (requests.jsonl and whatever the engine reads besides). */
  writeJob(dir: string, input: EngineRunInput): Promise<void>;
  /** The session routes the container's progress lines to the current job through this. */
  setJobListener(listener: ((done: number, total: number) => void) | null): void;
  /** The engine's own last error line, when it printed one (vLLM's server dying). */
  lastEngineError?: () => string | null;
  /** Time the container took to be ready, counted into the first job's runtime. */
  startMs: number;
}

export async function makeSessionDirs(root: string): Promise<SessionDirs> {
  const taskDir = path.join(root, "task");
  const outputDir = path.join(root, "out");
  await mkdir(root, { recursive: true, mode: 0o700 });
  await mkdir(path.join(taskDir, SESSION_JOBS_DIR), { recursive: true, mode: 0o755 });
  await mkdir(outputDir, { mode: 0o777 });
  // The sandbox user (uid 65534) writes here; the 0700 parent keeps other local users out.
  await chmod(taskDir, 0o755);
  await chmod(path.join(taskDir, SESSION_JOBS_DIR), 0o755);
  await chmod(outputDir, 0o777);
  return { root, taskDir, outputDir };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createJobSession(options: JobSessionOptions): EngineSession {
  const { handle, dirs, limits } = options;
  let jobs = 0;
  let usable = true;
  let ended: SandboxResult | null = null;
  let stopping: Promise<SandboxResult | null> | null = null;
  void handle.done.then(
    (result) => {
      ended = result;
      usable = false;
    },
    () => {
      usable = false;
    },
  );

  async function stop(): Promise<SandboxResult | null> {
    if (!stopping) {
      usable = false;
      stopping = (async () => {
        let result: SandboxResult | null = null;
        try {
          result = await handle.stop(5_000);
        } catch {
          result = ended;
        }
        await rm(dirs.root, { recursive: true, force: true }).catch(() => {});
        return result;
      })();
    }
    return stopping;
  }

  async function run(input: EngineRunInput): Promise<EngineRunResult> {
    if (!usable) throw new EngineRunError("crash", "The warm engine is no longer usable.", "This is a runner bug; please report it.");
    const n = jobs + 1;
    const started = performance.now();
    const staging = path.join(dirs.taskDir, SESSION_JOBS_DIR, `.tmp-${n}`);
    const jobDir = path.join(dirs.taskDir, SESSION_JOBS_DIR, String(n));
    const outputFile = path.join(dirs.outputDir, `${n}.output.jsonl`);
    const doneFile = path.join(dirs.outputDir, `${n}.done`);
    // Nothing the engine wrote ahead of time counts as this job's answer.
    for (const file of [outputFile, doneFile]) await rm(file, { force: true });
    await mkdir(staging, { mode: 0o755 });
    await options.writeJob(staging, input);
    await rename(staging, jobDir);
    options.setJobListener(input.onItemsProgress ?? null);
    input.onContainerStarted?.(handle.containerId);

    const deadline = Date.now() + input.timeoutMs;
    let marker: string | null = null;
    try {
      while (marker === null) {
        if (input.signal?.aborted) {
          const result = await stop();
          throw new EngineRunError("aborted", "The evaluation was cancelled and the warm engine stopped.", "The task goes back to the queue.", result);
        }
        if (ended) {
          const failure = failureOf(ended, limits, options.lifetimeMs);
          const engineError = options.lastEngineError?.();
          if (failure?.failure === "crash" && engineError) throw new EngineRunError("crash", `The engine failed: ${engineError}`, "See the engine's last lines above.", ended);
          throw failure ?? new EngineRunError("crash", "The warm engine exited before answering its job.", "See the engine's last lines above.", ended);
        }
        if (Date.now() > deadline) {
          const result = await stop();
          throw new EngineRunError(
            "timeout",
            `The engine did not finish within ${Math.round(input.timeoutMs / 1000)} s and was stopped.`,
            "Raise --task-timeout if this model is just slow on this machine.",
            result,
          );
        }
        // Engines write the marker atomically (a rename); an empty read is still treated as not yet there.
        marker = await readFile(doneFile, "utf8").catch(() => null);
        if (marker !== null && marker.trim() === "") marker = null;
        if (marker === null) await sleep(POLL_MS);
      }
      let verdict: { ok?: unknown; error?: unknown };
      try {
        verdict = JSON.parse(marker) as { ok?: unknown; error?: unknown };
      } catch {
        verdict = { ok: false, error: "an unreadable done marker" };
      }
      const sandbox: SandboxResult = {
        containerId: handle.containerId,
        end: "exited",
        exitCode: 0,
        oomKilled: false,
        durationMs: Math.round(performance.now() - started + (n === 1 ? options.startMs : 0)),
        stdoutTail: "",
        stderrTail: "",
      };
      if (verdict.ok !== true) {
        throw new EngineRunError("crash", `The engine could not answer the job: ${String(verdict.error ?? "no reason given").slice(0, 600)}`, "See the engine's last lines above.", sandbox);
      }
      const responses = await readBatchOutput(dirs.outputDir, input.requests, sandbox, path.basename(outputFile));
      jobs = n;
      return { responses, identity: options.identity(), sandbox };
    } catch (error) {
      // A job that failed leaves the engine in an unknown state: it is not used again.
      await stop();
      throw error;
    } finally {
      options.setJobListener(null);
      await rm(jobDir, { recursive: true, force: true }).catch(() => {});
      for (const file of [outputFile, doneFile]) await rm(file, { force: true }).catch(() => {});
    }
  }

  return {
    key: options.key,
    model: options.model,
    containerId: handle.containerId,
    get jobs() {
      return jobs;
    },
    get usable() {
      return usable;
    },
    run,
    async healthy() {
      if (!usable || ended) return false;
      try {
        return await handle.running();
      } catch {
        return false;
      }
    },
    stop,
  };
}
