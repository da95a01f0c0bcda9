/**
 * The runner's view of a container engine: just what evaluations need, with the sandbox policy built in.
 * `dockerode-docker.ts` implements it against a real Docker engine; nothing else in the runner imports dockerode.
 */
import type { Readable } from "node:stream";

/** Every container and image the runner creates carries this label; the orphan sweep looks for it. */
export const RUNNER_LABEL = "org.quorum.runner";
export const LABEL_PID = "org.quorum.runner.pid";
export const LABEL_HOST = "org.quorum.runner.host";
export const LABEL_DEADLINE = "org.quorum.runner.deadline";
export const LABEL_TASK = "org.quorum.runner.task";

/**
 * The only three kinds of mount a sandbox may have. Their access is fixed by kind, not chosen by the caller:
 * model weights and the task dir are read-only, the output dir is the one writable place besides a tmpfs /tmp.
 */
export type SandboxMount =
  | { kind: "models"; hostPath: string; containerPath: string }
  | { kind: "task"; hostPath: string; containerPath: string }
  | { kind: "output"; hostPath: string; containerPath: string };

/** `all`, a count, or explicit device ids (`["0", "2"]`). */
export type GpuRequest = "all" | number | string[];

export interface SandboxSpec {
  image: string;
  /** Overrides the image's entrypoint. */
  entrypoint?: string[];
  cmd?: string[];
  env?: Record<string, string>;
  mounts: SandboxMount[];
  workingDir?: string;
  /** Hard memory limit (RAM, no extra swap). */
  memoryBytes: number;
  /** Max processes+threads in the container. */
  pidsLimit: number;
  /** Size of the writable tmpfs at /tmp. */
  tmpfsBytes: number;
  /** /dev/shm size (vLLM/PyTorch use shared memory between processes). */
  shmBytes?: number;
  gpus: GpuRequest | null;
  /** Wall-clock limit: the container is killed when it passes. */
  timeoutMs: number;
  /** Cancels the run (the container is killed and removed). */
  signal?: AbortSignal;
  labels?: Record<string, string>;
  /** Non-root user inside the container. */
  user?: string;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Called once the container runs (for logs and tests). */
  onStarted?: (containerId: string) => void;
}

/** `stopped`: ended by SandboxHandle.stop() (a warm engine put away), not by itself. */
export type SandboxEnd = "exited" | "timeout" | "oom" | "aborted" | "stopped";

export interface SandboxResult {
  containerId: string;
  end: SandboxEnd;
  /** Exit status (137 after a kill). */
  exitCode: number;
  oomKilled: boolean;
  durationMs: number;
  /** The last lines the container printed, for error messages. */
  stdoutTail: string;
  stderrTail: string;
}

/** A running sandboxed container (see startSandboxed). */
export interface SandboxHandle {
  containerId: string;
  /** Settles once the container has ended and been removed; never rejects (a removal failure is logged). */
  done: Promise<SandboxResult>;
  /** Whether the container is still running (Docker's own state, not a cached flag). */
  running(): Promise<boolean>;
  /** Stops it (SIGTERM, then SIGKILL after graceMs) and removes it; resolves with how it ended. Idempotent. */
  stop(graceMs?: number): Promise<SandboxResult>;
}

export interface ImageInfo {
  id: string;
  repoDigests: string[];
  tags: string[];
  labels: Record<string, string>;
}

export interface PullProgress {
  /** Bytes downloaded so far over all layers, and the total known so far. */
  current: number;
  total: number;
  status: string;
}

export interface DockerInfo {
  serverVersion: string;
  apiVersion: string;
  runtimes: string[];
  defaultRuntime: string;
  cgroupVersion: string | null;
  operatingSystem: string;
  memTotalBytes: number;
  ncpu: number;
  dockerRootDir: string;
}

export interface ContainerEngine {
  ping(): Promise<void>;
  info(): Promise<DockerInfo>;
  inspectImage(ref: string): Promise<ImageInfo | null>;
  /** Pulls with progress; `{error}` progress lines reject. */
  pullImage(ref: string, onProgress?: (progress: PullProgress) => void, signal?: AbortSignal): Promise<ImageInfo>;
  /** Builds from a tar stream (the build context, with a Dockerfile at its root). */
  buildImage(context: Readable, tag: string, options?: { labels?: Record<string, string>; onLine?: (line: string) => void }): Promise<ImageInfo>;
  runSandboxed(spec: SandboxSpec): Promise<SandboxResult>;
  /**
   * Starts a sandboxed container with exactly runSandboxed's policy and returns at once (a warm engine that answers
   * several jobs): `done` settles when it has ended and been removed (timeout, abort, its own exit, or stop()).
   */
  startSandboxed(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Removes this runner's leftover containers whose owner is gone; returns how many. */
  sweepOrphans(options?: { now?: number }): Promise<{ removed: string[]; kept: number }>;
}

export class DockerError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DockerError";
  }
}
