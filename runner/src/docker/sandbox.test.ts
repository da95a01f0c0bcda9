/**
 * The sandbox against a real Docker engine, probed from inside by the fixture program: no network, a contained
 * fork bomb, a memory hog killed and reported, a hang killed at the timeout and reported, writes outside the output
 * dir refused, every container labelled, removed afterwards, and orphans swept.
 */
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerIsAvailable } from "../test-helpers/docker";
import { LABEL_DEADLINE, LABEL_HOST, LABEL_PID, RUNNER_LABEL, type SandboxSpec } from "./docker";
import { createDockerEngine, deviceRequest, isOrphan, normalisePullRef } from "./dockerode-docker";
import { ensureFixtureImage } from "./fixture-image";

const hasDocker = await dockerIsAvailable();

describe("sandbox policy helpers", () => {
  it("asks Docker for GPUs the way `docker run --gpus` does", () => {
    expect(deviceRequest("all")).toEqual({ Driver: "", Count: -1, Capabilities: [["gpu"]] });
    expect(deviceRequest(2)).toEqual({ Driver: "", Count: 2, Capabilities: [["gpu"]] });
    expect(deviceRequest(["0", "3"])).toEqual({ Driver: "", DeviceIDs: ["0", "3"], Capabilities: [["gpu"]] });
  });

  it("pulls `repo:tag@digest` by digest", () => {
    expect(normalisePullRef("vllm/vllm-openai:v0.12.0@sha256:abc")).toBe("vllm/vllm-openai@sha256:abc");
    expect(normalisePullRef("localhost:5000/x:1")).toBe("localhost:5000/x:1");
  });

  it("treats a container as an orphan when its runner is gone or its deadline is long past", () => {
    const now = 1_000_000_000;
    const alive = () => true;
    const dead = () => false;
    const labels = { [LABEL_HOST]: "box", [LABEL_PID]: "123", [LABEL_DEADLINE]: String(now + 1000) };
    expect(isOrphan(labels, now, "box", alive)).toBe(false);
    expect(isOrphan(labels, now, "box", dead)).toBe(true);
    expect(isOrphan(labels, now, "other-host", dead)).toBe(false);
    expect(isOrphan({ ...labels, [LABEL_DEADLINE]: String(now - 11 * 60_000) }, now, "other-host", alive)).toBe(true);
  });
});

describe.skipIf(!hasDocker)("the sandbox, probed from inside (real Docker)", () => {
  const engine = createDockerEngine();
  let image: string;
  let root: string;
  let hostServer: http.Server;
  let hostHits = 0;

  beforeAll(async () => {
    image = (await ensureFixtureImage({ engine })).tag;
    root = await mkdtemp(path.join(os.tmpdir(), "quorum-sandbox-"));
    hostServer = http.createServer((_req, res) => {
      hostHits += 1;
      res.end("reached");
    });
    await new Promise<void>((resolve) => hostServer.listen(0, "0.0.0.0", resolve));
  });

  afterAll(async () => {
    hostServer.closeAllConnections();
    await new Promise((resolve) => hostServer.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  async function run(model: string, overrides: Partial<SandboxSpec> = {}, env: Record<string, string> = {}) {
    const dir = await mkdtemp(path.join(root, "t-"));
    const taskDir = path.join(dir, "task");
    const outDir = path.join(dir, "out");
    await mkdir(taskDir);
    await mkdir(outDir);
    await chmod(outDir, 0o777);
    await writeFile(path.join(taskDir, "requests.jsonl"), '{"custom_id":"a","method":"POST","url":"/v1/completions","body":{}}\n');
    await writeFile(path.join(taskDir, "fixture-key.json"), JSON.stringify({ answers: { a: { correct: { ok: 1 }, wrong: { ok: 0 } } } }));
    const modelsDir = path.join(dir, "models");
    await mkdir(modelsDir);
    let containerId = "";
    const result = await engine.runSandboxed({
      image,
      env: { QUORUM_FIXTURE_MODEL: model, QUORUM_RUNNER_NAME: "probe", ...env },
      mounts: [
        { kind: "models", hostPath: modelsDir, containerPath: "/models" },
        { kind: "task", hostPath: taskDir, containerPath: "/task" },
        { kind: "output", hostPath: outDir, containerPath: "/out" },
      ],
      memoryBytes: 512 * 2 ** 20,
      pidsLimit: 512,
      tmpfsBytes: 16 * 2 ** 20,
      gpus: null,
      timeoutMs: 20_000,
      onStarted: (id) => {
        containerId = id;
      },
      ...overrides,
    });
    const probe = async (name: string) => JSON.parse(await readFile(path.join(outDir, name), "utf8")) as Record<string, unknown>;
    return { result, probe, containerId, outDir };
  }

  it("answers normally as a non-root user, then the container is gone", async () => {
    const { result, containerId, outDir } = await run("fixture/perfect");
    expect(result.end).toBe("exited");
    expect(result.exitCode).toBe(0);
    expect(await readFile(path.join(outDir, "output.jsonl"), "utf8")).toContain('"ok":1');
    await expect(new Docker().getContainer(containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("has no network: public addresses, the Docker host and DNS are all unreachable", async () => {
    const { port } = hostServer.address() as AddressInfo;
    const gateway = "172.17.0.1";
    const { result, probe } = await run("fixture/net", {}, { QUORUM_FIXTURE_NET_PROBE: `${gateway}:${port}` });
    expect(result.exitCode).toBe(0);
    const attempts = (await probe("net-probe.json")).attempts as Array<{ target: string; ok: boolean; error: string }>;
    expect(attempts.length).toBeGreaterThanOrEqual(5);
    expect(attempts.filter((a) => a.ok)).toEqual([]);
    expect(attempts.find((a) => a.target === `${gateway}:${port}`)?.error).toBe("ENETUNREACH");
    expect(hostHits).toBe(0);
  });

  it("contains a fork bomb at the pids limit", async () => {
    const { result, probe } = await run("fixture/forkbomb", { pidsLimit: 128, memoryBytes: 1024 * 2 ** 20 });
    expect(result.end).toBe("exited");
    expect(result.exitCode).toBe(2);
    const report = await probe("forkbomb-probe.json");
    expect(report.error).toBe("EAGAIN");
    expect(report.spawned as number).toBeLessThan(128);
    expect(result.stderrTail).toMatch(/contained after \d+ processes/);
  });

  it("kills a memory hog at the memory limit and reports it as out of memory", async () => {
    const { result } = await run("fixture/memhog", { memoryBytes: 256 * 2 ** 20 });
    expect(result.end).toBe("oom");
    expect(result.oomKilled).toBe(true);
    expect(result.exitCode).toBe(137);
  });

  it("kills a hang at the wall-clock timeout and reports it", async () => {
    const started = Date.now();
    const { result } = await run("fixture/hang", { timeoutMs: 1500 });
    expect(result.end).toBe("timeout");
    expect(result.exitCode).toBe(137);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("refuses writes outside the output dir (read-only root, task and model mounts); /out and /tmp work, and /tmp runs programs", async () => {
    const { result, probe } = await run("fixture/escape");
    expect(result.exitCode).toBe(0);
    const report = await probe("escape-probe.json");
    expect(report.uid).toBe(65534);
    const attempts = report.attempts as Array<{ file: string; ok: boolean; allowed: boolean; error: string | null }>;
    for (const attempt of attempts) {
      expect(attempt.ok, attempt.file).toBe(attempt.allowed);
      // ENOENT: the scratch image has no /var, and nothing can create it.
      if (!attempt.allowed) expect(["EROFS", "EACCES", "ENOENT"]).toContain(attempt.error);
    }
    for (const file of ["/escape-probe", "/usr/escape-probe", "/task/escape-probe", "/models/escape-probe"]) {
      expect(attempts.find((a) => a.file === file)?.error, file).toBe("EROFS");
    }
    // The engine's scratch is writable and executable (Triton/torch.compile load kernels they build there).
    expect(attempts.find((a) => a.file === "/tmp/escape-probe")?.ok).toBe(true);
    expect(report.scratchExec).toEqual({ ok: true, error: null });
  });

  it("starts a warm engine with exactly the one-shot sandbox, answers its jobs inside it, and stop() removes it", async () => {
    const policy = (info: Docker.ContainerInspectInfo) => ({
      user: info.Config.User,
      networkDisabled: (info.Config as { NetworkDisabled?: boolean }).NetworkDisabled,
      host: {
        NetworkMode: info.HostConfig.NetworkMode,
        ReadonlyRootfs: info.HostConfig.ReadonlyRootfs,
        CapDrop: info.HostConfig.CapDrop,
        SecurityOpt: info.HostConfig.SecurityOpt,
        PidsLimit: info.HostConfig.PidsLimit,
        Memory: info.HostConfig.Memory,
        MemorySwap: info.HostConfig.MemorySwap,
        Tmpfs: info.HostConfig.Tmpfs,
        Init: info.HostConfig.Init,
        Mounts: (info.HostConfig.Mounts ?? []).map((m) => [m.Target, m.ReadOnly ?? false]),
      },
    });
    let oneShot: ReturnType<typeof policy> | null = null;
    const docker = new Docker();
    await run("fixture/slow-1", { onStarted: (id) => void docker.getContainer(id).inspect().then((info) => (oneShot = policy(info))) });

    const dir = await mkdtemp(path.join(root, "w-"));
    const taskDir = path.join(dir, "task");
    const outDir = path.join(dir, "out");
    const modelsDir = path.join(dir, "models");
    await mkdir(path.join(taskDir, "jobs"), { recursive: true });
    await mkdir(outDir);
    await mkdir(modelsDir);
    await chmod(outDir, 0o777);
    const handle = await engine.startSandboxed({
      image,
      env: { QUORUM_FIXTURE_MODEL: "fixture/escape", QUORUM_RUNNER_NAME: "probe", QUORUM_ENGINE_SESSION: "1" },
      mounts: [
        { kind: "models", hostPath: modelsDir, containerPath: "/models" },
        { kind: "task", hostPath: taskDir, containerPath: "/task" },
        { kind: "output", hostPath: outDir, containerPath: "/out" },
      ],
      memoryBytes: 512 * 2 ** 20,
      pidsLimit: 512,
      tmpfsBytes: 16 * 2 ** 20,
      gpus: null,
      timeoutMs: 60_000,
    });
    try {
      expect(oneShot).not.toBeNull();
      expect(policy(await docker.getContainer(handle.containerId).inspect())).toEqual(oneShot);
      expect(await handle.running()).toBe(true);
      // One job through the session protocol: the escape probe runs inside the warm container and finds no way out.
      const job = path.join(taskDir, "jobs", ".tmp-1");
      await mkdir(job);
      await writeFile(path.join(job, "requests.jsonl"), '{"custom_id":"a","method":"POST","url":"/v1/completions","body":{}}\n');
      await writeFile(path.join(job, "fixture-key.json"), JSON.stringify({ answers: { a: { correct: { ok: 1 }, wrong: { ok: 0 } } } }));
      await writeFile(path.join(job, "job.json"), "{}");
      await rename(job, path.join(taskDir, "jobs", "1"));
      for (let i = 0; i < 200; i++) {
        if (await readFile(path.join(outDir, "1.done"), "utf8").catch(() => null)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await readFile(path.join(outDir, "1.output.jsonl"), "utf8")).toContain('"ok":1');
      const report = JSON.parse(await readFile(path.join(outDir, "escape-probe.json"), "utf8")) as { attempts: Array<{ ok: boolean; allowed: boolean }> };
      expect(report.attempts.filter((a) => a.ok && !a.allowed)).toEqual([]);
      expect(await handle.running()).toBe(true);
    } finally {
      const ended = await handle.stop(1000);
      expect(ended.end).toBe("stopped");
    }
    expect(await handle.running()).toBe(false);
    await expect(docker.getContainer(handle.containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("cancels a run on abort, and refuses unsafe specs", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const { result } = await run("fixture/hang", { signal: controller.signal });
    expect(result.end).toBe("aborted");
    await expect(run("fixture/perfect", { user: "0:0" })).rejects.toThrow(/never run as root/);
    await expect(run("fixture/perfect", { pidsLimit: 0 })).rejects.toThrow(/positive/);
  });

  it("labels its containers and sweeps orphans left by a dead runner", async () => {
    const docker = new Docker();
    const orphan = await docker.createContainer({
      Image: image,
      Labels: { [RUNNER_LABEL]: "1", [LABEL_HOST]: os.hostname(), [LABEL_PID]: "999999", [LABEL_DEADLINE]: String(Date.now() + 60_000) },
    });
    const live = await docker.createContainer({
      Image: image,
      Labels: { [RUNNER_LABEL]: "1", [LABEL_HOST]: os.hostname(), [LABEL_PID]: String(process.pid), [LABEL_DEADLINE]: String(Date.now() + 60_000) },
    });
    try {
      const swept = await engine.sweepOrphans();
      expect(swept.removed).toContain(orphan.id);
      expect(swept.removed).not.toContain(live.id);
      await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await live.remove({ force: true });
      await orphan.remove({ force: true }).catch(() => undefined);
    }
  });

  it("surfaces pull errors (no registry here) as failures with a next step", async () => {
    const error = await engine.pullImage("quorum-test/does-not-exist:0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Pulling quorum-test\/does-not-exist:0 failed/);
    expect((error as { hint?: string }).hint).toMatch(/docker pull/);
  });
});
