/**
 * ContainerEngine on a real Docker engine through dockerode. The sandbox policy lives here, in one place:
 * no network, a pids limit, a memory limit without swap, a read-only root with a tmpfs /tmp, every capability
 * dropped, no-new-privileges, a non-root user, and only the three kinds of mount the interface allows.
 */
import os from "node:os";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import Docker from "dockerode";
import type { Logger } from "../log";
import {
  DockerError,
  LABEL_DEADLINE,
  LABEL_HOST,
  LABEL_PID,
  RUNNER_LABEL,
  type ContainerEngine,
  type DockerInfo,
  type GpuRequest,
  type ImageInfo,
  type PullProgress,
  type SandboxHandle,
  type SandboxResult,
  type SandboxSpec,
} from "./docker";

/** `nobody:nogroup`: exists in no image in particular, which is the point. */
export const SANDBOX_USER = "65534:65534";
/** Containers whose deadline passed this long ago are orphans even if their runner still seems alive. */
const DEADLINE_GRACE_MS = 10 * 60_000;
const TAIL_LINES = 40;

export interface DockerodeEngineOptions {
  docker?: Docker;
  logger?: Logger;
  /** Labels added to every container (e.g. the runner's name). */
  labels?: Record<string, string>;
}

export function createDockerEngine(options: DockerodeEngineOptions = {}): ContainerEngine {
  const docker = options.docker ?? new Docker();
  const logger = options.logger;

  async function inspectImage(ref: string): Promise<ImageInfo | null> {
    try {
      const info = await docker.getImage(ref).inspect();
      return {
        id: info.Id,
        repoDigests: info.RepoDigests ?? [],
        tags: info.RepoTags ?? [],
        labels: (info.Config?.Labels as Record<string, string> | null | undefined) ?? {},
      };
    } catch (error) {
      if (statusCode(error) === 404) return null;
      throw wrap(error, `Inspecting image ${ref} failed`);
    }
  }

  async function startSandboxed(spec: SandboxSpec): Promise<SandboxHandle> {
    validateSpec(spec);
    const started = Date.now();
    const deadline = started + spec.timeoutMs;
    const createOptions: Docker.ContainerCreateOptions = {
      Image: spec.image,
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      User: spec.user ?? SANDBOX_USER,
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
      Labels: {
        ...options.labels,
        ...spec.labels,
        [RUNNER_LABEL]: "1",
        [LABEL_PID]: String(process.pid),
        [LABEL_HOST]: os.hostname(),
        [LABEL_DEADLINE]: String(deadline),
      },
      NetworkDisabled: true,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      HostConfig: {
        NetworkMode: "none",
        PidsLimit: spec.pidsLimit,
        Memory: spec.memoryBytes,
        MemorySwap: spec.memoryBytes,
        ReadonlyRootfs: true,
        // Docker starts every tmpfs from noexec; the engine's scratch must run code it writes there (Triton and
        // torch.compile build and load kernels from their cache dirs), so /tmp is exec, still nosuid,nodev, capped.
        Tmpfs: { "/tmp": `rw,exec,nosuid,nodev,size=${spec.tmpfsBytes}` },
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Init: true,
        Mounts: spec.mounts.map((m) => ({
          Type: "bind" as const,
          Source: m.hostPath,
          Target: m.containerPath,
          ReadOnly: m.kind !== "output",
        })),
        ...(spec.shmBytes ? { ShmSize: spec.shmBytes } : {}),
        ...(spec.gpus !== null ? { DeviceRequests: [deviceRequest(spec.gpus)] } : {}),
        AutoRemove: false,
      },
    };

    let container: Docker.Container;
    try {
      container = await docker.createContainer(createOptions);
    } catch (error) {
      if (statusCode(error) === 404) {
        throw new DockerError(`Image ${spec.image} is not on this machine.`, "Pull or build it first (the engine does this on its own).", { cause: error });
      }
      throw wrap(error, `Creating a container from ${spec.image} failed`, gpuHint(spec, error));
    }
    const id = container.id;
    const log = logger?.child({ container: id.slice(0, 12) });
    const stdout = lineCollector(spec.onStdoutLine);
    const stderr = lineCollector(spec.onStderrLine);
    const remove = async () => {
      try {
        await container.remove({ force: true, v: true });
      } catch (error) {
        if (statusCode(error) !== 404) {
          // Not fatal for this run, and the orphan sweep will find it: say so rather than hide it.
          log?.warn("could not remove the container; the next start sweeps it", { error: describe(error) });
        }
      }
    };

    let streamEnded: Promise<void>;
    try {
      const attached = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
      const outStream = new PassThrough();
      const errStream = new PassThrough();
      outStream.on("data", (chunk: Buffer) => stdout.push(chunk));
      errStream.on("data", (chunk: Buffer) => stderr.push(chunk));
      container.modem.demuxStream(attached, outStream, errStream);
      streamEnded = new Promise<void>((resolve) => {
        attached.on("end", resolve);
        attached.on("close", resolve);
        attached.on("error", resolve);
      });
      try {
        await container.start();
      } catch (error) {
        throw wrap(error, `Starting container ${id.slice(0, 12)} from ${spec.image} failed`, gpuHint(spec, error));
      }
    } catch (error) {
      await remove();
      throw error;
    }
    log?.debug("container started", { image: spec.image });
    spec.onStarted?.(id);

    const waited = container.wait() as Promise<{ StatusCode: number }>;
    let requestStop: ((graceMs: number) => void) | null = null;
    const done = (async (): Promise<SandboxResult> => {
      try {
        let end: SandboxResult["end"] = "exited";
        let timer: NodeJS.Timeout | undefined;
        let onAbort: (() => void) | undefined;
        const stop = new Promise<"timeout" | "aborted" | { stopped: number }>((resolve) => {
          timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
          requestStop = (graceMs) => resolve({ stopped: graceMs });
          if (spec.signal) {
            onAbort = () => resolve("aborted");
            if (spec.signal.aborted) onAbort();
            else spec.signal.addEventListener("abort", onAbort, { once: true });
          }
        });
        const first = await Promise.race([waited.then(() => "exited" as const), stop]);
        clearTimeout(timer);
        if (onAbort) spec.signal?.removeEventListener("abort", onAbort);
        if (typeof first === "object") {
          end = "stopped";
          log?.debug("stopping the container");
          await stopQuietly(container, first.stopped);
        } else if (first !== "exited") {
          end = first;
          log?.debug(first === "timeout" ? "wall-clock timeout: killing the container" : "cancelled: killing the container");
          await killQuietly(container);
        }
        const status = await waited;
        // Give the log stream a moment to deliver the last lines after the process ended.
        await Promise.race([streamEnded, delay(1000)]);
        stdout.flush();
        stderr.flush();

        let oomKilled = false;
        try {
          const state = (await container.inspect()).State;
          oomKilled = Boolean(state.OOMKilled);
        } catch (error) {
          throw wrap(error, `Inspecting container ${id.slice(0, 12)} failed`);
        }
        if (oomKilled && (end === "exited" || end === "stopped")) end = "oom";
        return {
          containerId: id,
          end,
          exitCode: status.StatusCode,
          oomKilled,
          durationMs: Date.now() - started,
          stdoutTail: stdout.tail(),
          stderrTail: stderr.tail(),
        };
      } finally {
        await remove();
      }
    })();
    // Observed here so that a failure nobody awaits yet is not an unhandled rejection; callers still see it.
    done.catch(() => {});
    return {
      containerId: id,
      done,
      async running() {
        try {
          return Boolean((await container.inspect()).State.Running);
        } catch (error) {
          if (statusCode(error) === 404) return false;
          throw wrap(error, `Inspecting container ${id.slice(0, 12)} failed`);
        }
      },
      stop(graceMs = 10_000) {
        requestStop?.(graceMs);
        return done;
      },
    };
  }

  return {
    async ping() {
      try {
        await docker.ping();
      } catch (error) {
        throw wrap(error, "Docker is not reachable");
      }
    },

    async info(): Promise<DockerInfo> {
      let raw: Record<string, unknown>;
      let version: { ApiVersion?: string };
      try {
        [raw, version] = await Promise.all([docker.info() as Promise<Record<string, unknown>>, docker.version()]);
      } catch (error) {
        throw wrap(error, "Docker is not reachable");
      }
      return {
        serverVersion: String(raw.ServerVersion ?? "unknown"),
        apiVersion: String(version.ApiVersion ?? "unknown"),
        runtimes: Object.keys((raw.Runtimes as Record<string, unknown> | undefined) ?? {}),
        defaultRuntime: String(raw.DefaultRuntime ?? "runc"),
        cgroupVersion: raw.CgroupVersion ? String(raw.CgroupVersion) : null,
        operatingSystem: String(raw.OperatingSystem ?? "unknown"),
        memTotalBytes: Number(raw.MemTotal ?? 0),
        ncpu: Number(raw.NCPU ?? 0),
        dockerRootDir: String(raw.DockerRootDir ?? ""),
      };
    },

    inspectImage,

    async pullImage(ref, onProgress, signal) {
      const pullRef = normalisePullRef(ref);
      let stream: NodeJS.ReadableStream;
      try {
        stream = (await docker.pull(pullRef, signal ? { abortSignal: signal } : {})) as NodeJS.ReadableStream;
      } catch (error) {
        throw wrap(error, `Pulling ${ref} failed`, pullHint(ref));
      }
      await followProgress(docker, stream, ref, (event) => {
        if (onProgress) onProgress(event);
      });
      const image = await inspectImage(pullRef);
      if (!image) throw new DockerError(`Pulled ${ref} but Docker does not list it.`, pullHint(ref));
      return image;
    },

    async buildImage(context: Readable, tag: string, buildOptions) {
      let stream: NodeJS.ReadableStream;
      try {
        stream = (await docker.buildImage(context, {
          t: tag,
          rm: true,
          forcerm: true,
          ...(buildOptions?.labels ? { labels: buildOptions.labels } : {}),
        })) as NodeJS.ReadableStream;
      } catch (error) {
        throw wrap(error, `Building ${tag} failed`);
      }
      await new Promise<void>((resolve, reject) => {
        let failure: string | null = null;
        docker.modem.followProgress(
          stream,
          (err: Error | null) => {
            if (err) reject(wrap(err, `Building ${tag} failed`));
            else if (failure) reject(new DockerError(`Building ${tag} failed: ${failure}`, "See the build output above."));
            else resolve();
          },
          (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
            if (event.error || event.errorDetail) failure = event.errorDetail?.message ?? event.error ?? "unknown error";
            if (event.stream && buildOptions?.onLine) {
              for (const line of event.stream.split("\n")) if (line.trim()) buildOptions.onLine(line.trimEnd());
            }
          },
        );
      });
      const image = await inspectImage(tag);
      if (!image) throw new DockerError(`Built ${tag} but Docker does not list it.`, "Run `pnpm runner build-fixture-image` again.");
      return image;
    },

    async runSandboxed(spec: SandboxSpec): Promise<SandboxResult> {
      return (await startSandboxed(spec)).done;
    },

    startSandboxed,

    async sweepOrphans(sweepOptions) {
      const now = sweepOptions?.now ?? Date.now();
      let containers: Docker.ContainerInfo[];
      try {
        containers = await docker.listContainers({ all: true, filters: { label: [`${RUNNER_LABEL}=1`] } });
      } catch (error) {
        throw wrap(error, "Listing containers failed");
      }
      const removed: string[] = [];
      let kept = 0;
      for (const info of containers) {
        if (!isOrphan(info.Labels ?? {}, now)) {
          kept += 1;
          continue;
        }
        try {
          await docker.getContainer(info.Id).remove({ force: true, v: true });
          removed.push(info.Id);
          logger?.info("removed an orphaned sandbox container", { container: info.Id.slice(0, 12), image: info.Image });
        } catch (error) {
          if (statusCode(error) === 404) continue;
          throw wrap(error, `Removing orphaned container ${info.Id.slice(0, 12)} failed`);
        }
      }
      return { removed, kept };
    },
  };
}

/**
 * A labelled container is an orphan when its runner process on this host is gone, or when its wall-clock
 * deadline passed long ago (a recycled pid, or a runner on another host that shares this engine and died).
 */
export function isOrphan(labels: Record<string, string>, now: number, hostname = os.hostname(), isAlive = pidIsAlive): boolean {
  const deadline = Number(labels[LABEL_DEADLINE]);
  if (Number.isFinite(deadline) && now > deadline + DEADLINE_GRACE_MS) return true;
  const pid = Number(labels[LABEL_PID]);
  if (labels[LABEL_HOST] !== hostname) return false;
  if (!Number.isInteger(pid) || pid <= 0) return true;
  return !isAlive(pid);
}

export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function deviceRequest(gpus: GpuRequest): Docker.DeviceRequest {
  if (gpus === "all") return { Driver: "", Count: -1, Capabilities: [["gpu"]] };
  if (typeof gpus === "number") return { Driver: "", Count: gpus, Capabilities: [["gpu"]] };
  return { Driver: "", DeviceIDs: gpus, Capabilities: [["gpu"]] };
}

/** `repo:tag@sha256:…` pulls by digest alone (what `docker pull` does). */
export function normalisePullRef(ref: string): string {
  const at = ref.indexOf("@");
  if (at < 0) return ref;
  const name = ref.slice(0, at);
  const digest = ref.slice(at + 1);
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const repo = colon > slash ? name.slice(0, colon) : name;
  return `${repo}@${digest}`;
}

function validateSpec(spec: SandboxSpec): void {
  const targets = new Set<string>();
  for (const mount of spec.mounts) {
    if (!path.isAbsolute(mount.hostPath)) throw new DockerError(`Mount source ${mount.hostPath} is not an absolute path.`, "This is a runner bug; please report it.");
    if (!path.posix.isAbsolute(mount.containerPath) || mount.containerPath === "/")
      throw new DockerError(`Mount target ${mount.containerPath} is not allowed.`, "This is a runner bug; please report it.");
    if (targets.has(mount.containerPath)) throw new DockerError(`Two mounts on ${mount.containerPath}.`, "This is a runner bug; please report it.");
    targets.add(mount.containerPath);
  }
  if (spec.mounts.filter((m) => m.kind === "output").length > 1)
    throw new DockerError("A sandbox has at most one writable output dir.", "This is a runner bug; please report it.");
  if (!(spec.pidsLimit > 0) || !(spec.memoryBytes > 0) || !(spec.tmpfsBytes > 0) || !(spec.timeoutMs > 0))
    throw new DockerError("Sandbox limits must be positive (pids, memory, tmpfs, timeout).", "Check the runner options.");
  if (spec.user && /^(0|root)(:|$)/.test(spec.user)) throw new DockerError("Sandboxes never run as root.", "Use a non-root user.");
}

async function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  ref: string,
  onProgress: (progress: PullProgress) => void,
): Promise<void> {
  const layers = new Map<string, { current: number; total: number }>();
  await new Promise<void>((resolve, reject) => {
    let failure: string | null = null;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err) reject(wrap(err, `Pulling ${ref} failed`, pullHint(ref)));
        else if (failure) reject(new DockerError(`Pulling ${ref} failed: ${failure}`, pullHint(ref)));
        else resolve();
      },
      (event: { id?: string; status?: string; progressDetail?: { current?: number; total?: number }; error?: string; errorDetail?: { message?: string } }) => {
        if (event.error || event.errorDetail) {
          failure = event.errorDetail?.message ?? event.error ?? "unknown error";
          return;
        }
        if (event.id && event.progressDetail && typeof event.progressDetail.total === "number" && event.status === "Downloading") {
          layers.set(event.id, { current: event.progressDetail.current ?? 0, total: event.progressDetail.total });
        } else if (event.id && (event.status === "Download complete" || event.status === "Pull complete" || event.status === "Already exists")) {
          const layer = layers.get(event.id);
          if (layer) layer.current = layer.total;
        }
        let current = 0;
        let total = 0;
        for (const layer of layers.values()) {
          current += layer.current;
          total += layer.total;
        }
        onProgress({ current, total, status: event.status ?? "" });
      },
    );
  });
}

function lineCollector(onLine?: (line: string) => void) {
  const lines: string[] = [];
  let partial = "";
  const keep = (line: string) => {
    lines.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    if (lines.length > TAIL_LINES) lines.shift();
    onLine?.(line);
  };
  return {
    push(chunk: Buffer) {
      partial += chunk.toString("utf8");
      let nl = partial.indexOf("\n");
      while (nl >= 0) {
        keep(partial.slice(0, nl).replace(/\r$/, ""));
        partial = partial.slice(nl + 1);
        nl = partial.indexOf("\n");
      }
      if (partial.length > 64_000) {
        keep(partial);
        partial = "";
      }
    },
    flush() {
      if (partial) keep(partial);
      partial = "";
    },
    tail: () => lines.join("\n"),
  };
}

/** docker stop: SIGTERM, SIGKILL after the grace period; already stopped or gone is fine. */
async function stopQuietly(container: Docker.Container, graceMs: number): Promise<void> {
  try {
    await container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) });
  } catch (error) {
    const code = statusCode(error);
    if (code !== 304 && code !== 404 && code !== 409) throw wrap(error, `Stopping container ${container.id.slice(0, 12)} failed`);
  }
}

async function killQuietly(container: Docker.Container): Promise<void> {
  try {
    await container.kill({ signal: "SIGKILL" });
  } catch (error) {
    // 409: it already stopped between the timer and the kill; 404: already gone. Anything else is real.
    const code = statusCode(error);
    if (code !== 409 && code !== 404) throw wrap(error, `Killing container ${container.id.slice(0, 12)} failed`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const json = (error as { json?: { message?: string } }).json;
    return json?.message ?? error.message;
  }
  return String(error);
}

function wrap(error: unknown, what: string, hint?: string): DockerError {
  if (error instanceof DockerError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = describe(error).trim();
  if (code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES") {
    return new DockerError(
      `${what}: cannot talk to the Docker engine (${code}).`,
      code === "EACCES"
        ? "Add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again) or run the runner with access to the Docker socket."
        : "Start Docker (`sudo systemctl start docker`, or Docker Desktop) or set DOCKER_HOST; `pnpm runner doctor` checks it.",
      { cause: error },
    );
  }
  return new DockerError(`${what}: ${message}`, hint ?? "See the Docker error above; `pnpm runner doctor` checks the Docker setup.", { cause: error });
}

function pullHint(ref: string): string {
  return `Check the image name and this machine's access to its registry (\`docker pull ${ref}\` shows the same error). Offline machines must load the image first (\`docker load\`).`;
}

function gpuHint(spec: SandboxSpec, error: unknown): string | undefined {
  if (spec.gpus === null) return undefined;
  const message = describe(error);
  if (/could not select device driver|nvidia|gpu/i.test(message)) {
    return "Docker cannot hand GPUs to containers: install the NVIDIA Container Toolkit and run `sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker` (see runner/README.md), or run without --gpus.";
  }
  return undefined;
}
