/**
 * `pnpm runner doctor`: everything a runner needs, each with a fix hint. Docker reachable and enforcing the sandbox's
 * limits, GPUs and the NVIDIA container toolkit (with a real GPU passthrough check), disk space for weights, the
 * server reachable and the token's scopes, the engine's image, the Hub reachable.
 */
import { statfs, mkdir } from "node:fs/promises";
import type { TEngineName } from "@/lib/protocol/runner-api";
import { createRunnerApi } from "./api-client";
import { ConfigError, loadConfig, type RunnerDirs } from "./config";
import type { ContainerEngine, DockerInfo } from "./docker/docker";
import { ensureFixtureImage } from "./docker/fixture-image";
import { DEFAULT_VLLM_IMAGE } from "./engines/vllm";
import { detectGpus, gpuLabel, type CommandRunner } from "./gpu";
import { resolveHubUrl } from "./hf/fetch-weights";
import { REQUIRED_SCOPES } from "./login";
import { formatBytes } from "./progress";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
}

export interface DoctorOptions {
  dirs: RunnerDirs;
  engine: TEngineName;
  docker: ContainerEngine;
  /** Overrides the configured server. */
  server?: string;
  vllmImage?: string;
  hubUrl?: string;
  run?: CommandRunner;
  fetch?: typeof fetch;
}

const MIN_FREE_VLLM = 50e9;
const MIN_FREE = 2e9;

export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (check: Check) => checks.push(check);

  // Server and token.
  let config = null;
  try {
    config = await loadConfig(options.dirs.config);
    add({ name: "config", status: "ok", detail: `runner ${config.runner.name} (${config.runner.id}) of ${config.runner.ownerName}, key in ${options.dirs.config} (0600)` });
  } catch (error) {
    add({ name: "config", status: "fail", detail: (error as Error).message, hint: error instanceof ConfigError ? error.hint : undefined });
  }
  if (config) {
    const server = options.server ?? config.server;
    const api = createRunnerApi({ server, token: config.token, fetch: options.fetch, retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, timeoutMs: 10_000 });
    try {
      const whoami = await api.whoami();
      add({ name: "server", status: "ok", detail: `${server} answers; token ${whoami.tokenPrefix}… of ${whoami.userName}` });
      const missing = REQUIRED_SCOPES.filter((s) => !whoami.scopes.includes(s));
      add(
        missing.length === 0
          ? { name: "token scopes", status: "ok", detail: whoami.scopes.join(", ") }
          : {
              name: "token scopes",
              status: "fail",
              detail: `missing ${missing.join(", ")} (has ${whoami.scopes.join(", ") || "none"})`,
              hint: "Create a token with the task:pull and task:submit scopes on your account page, then `pnpm runner login` with it.",
            },
      );
    } catch (error) {
      add({ name: "server", status: "fail", detail: (error as Error).message, hint: (error as { hint?: string }).hint });
      add({ name: "token scopes", status: "skip", detail: "the server did not answer" });
    }
  } else {
    add({ name: "server", status: "skip", detail: "not logged in" });
  }

  // Docker.
  let info: DockerInfo | null = null;
  try {
    info = await options.docker.info();
    add({ name: "docker", status: "ok", detail: `engine ${info.serverVersion} (API ${info.apiVersion}), ${info.operatingSystem}, cgroup v${info.cgroupVersion ?? "?"}` });
  } catch (error) {
    add({ name: "docker", status: "fail", detail: (error as Error).message, hint: (error as { hint?: string }).hint });
  }

  // GPUs and the NVIDIA container toolkit.
  const { gpus, error: gpuError } = await detectGpus(options.run);
  if (gpus.length > 0) {
    add({ name: "gpu", status: "ok", detail: `${gpuLabel(gpus)} (driver ${gpus[0]!.driverVersion}, ${gpus.map((g) => `${g.memoryMiB ?? "?"} MiB`).join(", ")})` });
    const hasRuntime = info?.runtimes.includes("nvidia") ?? false;
    const passthrough = info ? await gpuPassthrough(options.docker) : null;
    if (passthrough?.ok) {
      add({ name: "nvidia container toolkit", status: "ok", detail: `containers see ${passthrough.devices.join(", ")}${hasRuntime ? " (nvidia runtime registered)" : ""}` });
    } else {
      add({
        name: "nvidia container toolkit",
        status: "fail",
        detail: passthrough ? `a container asked for GPUs but got none (${passthrough.error})` : "Docker is not reachable",
        hint: "Install the NVIDIA Container Toolkit, then `sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker` (runner/README.md, 'GPU runners').",
      });
    }
  } else {
    add({
      name: "gpu",
      status: options.engine === "vllm" ? "fail" : "skip",
      detail: gpuError ? `nvidia-smi failed: ${gpuError}` : "no NVIDIA GPU found (no nvidia-smi)",
      hint:
        options.engine === "vllm"
          ? "The vllm engine needs an NVIDIA GPU with its driver (nvidia-smi must work). Without one, only --engine fixture runs."
          : undefined,
    });
  }

  // Disk space for weights.
  try {
    await mkdir(options.dirs.cache, { recursive: true });
    const fs = await statfs(options.dirs.cache);
    const free = fs.bavail * fs.bsize;
    const need = options.engine === "vllm" ? MIN_FREE_VLLM : MIN_FREE;
    add({
      name: "disk space",
      status: free >= need ? "ok" : free >= MIN_FREE ? "warn" : "fail",
      detail: `${formatBytes(free)} free for weights in ${options.dirs.cache}`,
      hint: free >= need ? undefined : `Free space or point QUORUM_RUNNER_CACHE_DIR at a bigger disk (a 7B model in bf16 is ~15 GB).`,
    });
  } catch (error) {
    add({ name: "disk space", status: "warn", detail: `cannot check ${options.dirs.cache}: ${(error as Error).message}` });
  }

  // The engine's image, and the Hub for real models.
  if (info) {
    if (options.engine === "fixture") {
      try {
        const fixture = await ensureFixtureImage({ engine: options.docker });
        add({ name: "fixture image", status: "ok", detail: `${fixture.tag}${fixture.built ? " (built now)" : ""}` });
      } catch (error) {
        add({ name: "fixture image", status: "fail", detail: (error as Error).message, hint: (error as { hint?: string }).hint });
      }
    } else {
      const ref = options.vllmImage ?? DEFAULT_VLLM_IMAGE;
      const image = await options.docker.inspectImage(ref).catch(() => null);
      add(
        image
          ? { name: "vllm image", status: "ok", detail: `${ref} (${image.repoDigests[0] ?? image.id})` }
          : { name: "vllm image", status: "warn", detail: `${ref} is not on this machine yet`, hint: `\`pnpm runner start\` pulls it (about 10 GB); or run \`docker pull ${ref}\` now.` },
      );
    }
  }
  if (options.engine === "vllm") {
    const hub = resolveHubUrl(options.hubUrl);
    try {
      const response = await (options.fetch ?? fetch)(`${hub}/api/models?limit=1`, { signal: AbortSignal.timeout(10_000) });
      add(
        response.ok
          ? { name: "hugging face hub", status: "ok", detail: `${hub} answers${process.env.HF_TOKEN ? " (HF_TOKEN set)" : ""}` }
          : { name: "hugging face hub", status: "warn", detail: `${hub} answered HTTP ${response.status}`, hint: "Check HF_ENDPOINT." },
      );
    } catch (error) {
      add({ name: "hugging face hub", status: "fail", detail: `${hub} is not reachable (${(error as Error).message})`, hint: "The runner fetches weights from the Hub: check the network, or set HF_ENDPOINT to a mirror." });
    }
  }
  return checks;
}

/** Starts a throwaway container with a GPU device request and lists the NVIDIA devices it sees. */
async function gpuPassthrough(docker: ContainerEngine): Promise<{ ok: boolean; devices: string[]; error: string | null }> {
  try {
    const { tag } = await ensureFixtureImage({ engine: docker });
    const lines: string[] = [];
    const result = await docker.runSandboxed({
      image: tag,
      entrypoint: ["/usr/bin/node", "-e", "console.log(JSON.stringify(require('fs').readdirSync('/dev').filter((n) => n.startsWith('nvidia'))))"],
      mounts: [],
      memoryBytes: 256 * 2 ** 20,
      pidsLimit: 64,
      tmpfsBytes: 2 ** 20,
      gpus: "all",
      timeoutMs: 30_000,
      onStdoutLine: (line) => lines.push(line),
    });
    const devices = JSON.parse(lines.find((l) => l.startsWith("[")) ?? "[]") as string[];
    if (result.exitCode !== 0) return { ok: false, devices, error: result.stderrTail.split("\n").pop() ?? `exit ${result.exitCode}` };
    return { ok: devices.some((d) => /^nvidia\d+$/.test(d)), devices, error: devices.length ? null : "no /dev/nvidia* devices" };
  } catch (error) {
    return { ok: false, devices: [], error: (error as Error).message };
  }
}
