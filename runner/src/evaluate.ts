/**
 * One evaluation, in process and without a server: claim in, signed submission out.
 * fetch weights (outside the sandbox) -> build requests -> engine container -> parse -> score -> hash -> sign.
 * The loop (loop.ts) and `pnpm runner run` call it with a real claim; benchmarks and tests call it with a
 * synthetic one. It never talks to the server: heartbeats, release and submission belong to the caller.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { buildRequests } from "@/lib/benchmarks/build-requests";
import { outputsFromResponses } from "@/lib/benchmarks/engine-responses";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { scoreOutputs, type ItemRecord } from "@/lib/benchmarks/score-outputs";
import {
  ZSubmissionPayloadSchema,
  type TClaim,
  type TSubmissionPayload,
  type TSubmitResultRequest,
} from "@/lib/protocol/runner-api";
import { signPayload } from "@/lib/protocol/signing";
import type { GpuRequest } from "./docker/docker";
import type { Engine, EngineIdentity } from "./engines/engine";
import { selectGpus, gpuLabel, startPowerMeter, type CommandRunner, type GpuInfo } from "./gpu";
import { fetchModelWeights, type FetchedWeights } from "./hf/fetch-weights";
import type { Logger } from "./log";
import { silentProgress, type Progress } from "./progress";

export interface EvaluateRunner {
  id: string;
  name: string;
  privateKeyPem: string;
}

export interface EvaluateOptions {
  claim: TClaim;
  engine: Engine;
  runner: EvaluateRunner;
  /** Task dirs are created under `<workDir>/tasks/` and removed afterwards. */
  workDir: string;
  /** The weight cache (Hub layout). */
  cacheDir: string;
  hub?: { url?: string; accessToken?: string; fetch?: typeof fetch; maxDownloadBytes?: number };
  gpus: GpuRequest | null;
  /** GPUs nvidia-smi reported (for the result's GPU model and the power meter); [] without GPUs. */
  gpuInfo?: GpuInfo[];
  /** Wall-clock limit of the engine container. */
  timeoutMs: number;
  signal?: AbortSignal;
  logger: Logger;
  progress?: Progress;
  now?: () => Date;
  /** Keep the task dir (inputs, outputs) for debugging. */
  keepTaskDir?: boolean;
  /** Power sampling interval; the command runner is injectable for tests. */
  power?: { intervalMs?: number; run?: CommandRunner };
  onContainerStarted?: (containerId: string) => void;
}

export interface EvaluationTimings {
  /** Image present (pull or build when missing). */
  prepareMs: number;
  weightsMs: number;
  requestsMs: number;
  /** From container create to container removed, as the Docker layer measured it. */
  containerMs: number;
  /** engine.run as a whole: writing inputs, the container, reading and parsing outputs. */
  engineMs: number;
  scoreMs: number;
  signMs: number;
  totalMs: number;
}

export interface EvaluationResult {
  submission: TSubmitResultRequest;
  scores: Record<string, number>;
  records: ItemRecord[];
  engine: EngineIdentity;
  weights: FetchedWeights | null;
  timings: EvaluationTimings;
}

function since(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

export async function evaluateClaim(options: EvaluateOptions): Promise<EvaluationResult> {
  const t0 = performance.now();
  const { claim, engine, logger } = options;
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? (() => new Date());
  const model = claim.task.model;
  const definition = getBenchmark(claim.task.benchmark.key);
  const itemIds = claim.task.itemIds;
  engine.checkModel(model);
  options.signal?.throwIfAborted();

  const taskRoot = path.join(options.workDir, "tasks", `${claim.assignmentId.replace(/[^A-Za-z0-9_-]/g, "_")}-${randomBytes(4).toString("hex")}`);
  const taskDir = path.join(taskRoot, "task");
  const outputDir = path.join(taskRoot, "out");
  await mkdir(taskRoot, { recursive: true, mode: 0o700 });
  await mkdir(taskDir, { mode: 0o755 });
  await mkdir(outputDir);
  // The sandbox user (uid 65534) writes here; the 0700 parent keeps other local users out.
  await chmod(outputDir, 0o777);

  try {
    let t = performance.now();
    await engine.prepare(progress, options.signal);
    const prepareMs = since(t);

    t = performance.now();
    let weights: FetchedWeights | null = null;
    if (engine.needsWeights) {
      const phase = progress.start("weights", { unit: "bytes", label: "weights" });
      try {
        weights = await fetchModelWeights(model, {
          cacheDir: options.cacheDir,
          hubUrl: options.hub?.url,
          accessToken: options.hub?.accessToken,
          fetch: options.hub?.fetch,
          maxDownloadBytes: options.hub?.maxDownloadBytes,
          signal: options.signal,
          logger,
          onProgress: (p) => phase.update(p.downloadedBytes, p.totalBytes),
        });
        phase.done(weights.downloadedBytes > 0 ? `${model.repo}` : `${model.repo}, cached`);
      } catch (error) {
        phase.fail((error as Error).message);
        throw error;
      }
    }
    const weightsMs = since(t);

    t = performance.now();
    const requests = buildRequests(definition, itemIds);
    const requestsMs = since(t);

    const selected = selectGpus(options.gpuInfo ?? [], options.gpus);
    const meter = selected.length > 0 ? startPowerMeter({ gpus: selected, ...options.power, onError: (m) => logger.warn(m) }) : null;
    const items = progress.start("items", { unit: "items", total: itemIds.length, label: "items" });
    t = performance.now();
    let run;
    let energy: Awaited<ReturnType<NonNullable<typeof meter>["stop"]>> | null = null;
    try {
      run = await engine.run({
        model,
        benchmark: definition,
        itemIds,
        requests,
        weights,
        taskDir,
        outputDir,
        runnerName: options.runner.name,
        gpus: options.gpus,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        logger,
        onContainerStarted: options.onContainerStarted,
        onItemsProgress: (done, total) => items.update(total > 0 ? Math.floor((done / total) * itemIds.length) : 0, itemIds.length),
      });
      items.done();
    } catch (error) {
      items.fail((error as Error).message);
      throw error;
    } finally {
      if (meter) energy = await meter.stop();
    }
    const engineMs = since(t);

    t = performance.now();
    const outputs = outputsFromResponses(definition, itemIds, requests, run.responses);
    const scored = scoreOutputs(definition, itemIds, outputs);
    const scoreMs = since(t);

    t = performance.now();
    const payload: TSubmissionPayload = ZSubmissionPayloadSchema.parse({
      assignmentId: claim.assignmentId,
      taskId: claim.task.id,
      runnerId: options.runner.id,
      claimToken: claim.claimToken,
      signedAt: now().toISOString(),
      benchmark: definition.key,
      outputs,
      outputsSha256: scored.outputsSha256,
      claimedScore: scored.metrics,
      engine: { name: run.identity.name, version: run.identity.version, imageDigest: run.identity.imageDigest },
      gpu: gpuLabel(selected),
      runtimeSeconds: Math.round(run.sandbox.durationMs) / 1000,
      energyKwh: energy?.energyKwh ?? null,
    });
    const signature = signPayload(payload, options.runner.privateKeyPem);
    const signMs = since(t);

    return {
      submission: { payload, signature },
      scores: scored.metrics,
      records: scored.records,
      engine: run.identity,
      weights,
      timings: {
        prepareMs,
        weightsMs,
        requestsMs,
        containerMs: run.sandbox.durationMs,
        engineMs,
        scoreMs,
        signMs,
        totalMs: since(t0),
      },
    };
  } finally {
    if (options.keepTaskDir) logger.info("kept the task dir", { dir: taskRoot });
    else {
      try {
        await rm(taskRoot, { recursive: true, force: true });
      } catch (error) {
        // Reported, not thrown: it must not hide the evaluation's own outcome.
        logger.warn("could not remove the task dir", { dir: taskRoot, error: (error as Error).message });
      }
    }
  }
}

/** A fresh signature with a new signedAt (the server refuses signatures outside its clock-skew window). */
export function resignSubmission(submission: TSubmitResultRequest, privateKeyPem: string, now: Date = new Date()): TSubmitResultRequest {
  const payload = { ...submission.payload, signedAt: now.toISOString() };
  return { payload, signature: signPayload(payload, privateKeyPem) };
}
