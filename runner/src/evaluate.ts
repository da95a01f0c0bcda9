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
import { prepareClaimBenchmark } from "@/lib/benchmarks/community/claim-benchmark";
import type { DatasetSourceOptions } from "@/lib/benchmarks/community/dataset-cache";
import { scoreOutputsAsync, type ItemRecord } from "@/lib/benchmarks/score-outputs";
import {
  ZSubmissionPayloadSchema,
  type TClaim,
  type TSubmissionPayload,
  type TSubmitResultRequest,
} from "@/lib/protocol/runner-api";
import { signPayload } from "@/lib/protocol/signing";
import type { GpuRequest } from "./docker/docker";
import type { Engine, EngineIdentity, EngineRunInput, EngineRunResult } from "./engines/engine";
import { selectGpus, gpuLabel, startPowerMeter, type CommandRunner, type GpuInfo } from "./gpu";
import { fetchModelWeights, type FetchedWeights } from "./hf/fetch-weights";
import { readWeightsReport } from "./hf/weight-report";
import type { Logger } from "./log";
import { silentProgress, type Progress } from "./progress";
import { WarmEngine } from "./warm-engine";

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
  /**
   * The GPUs' power in watts as the owner declares it (`--gpu-watts`): used for energy, marked as declared, when
   * no power readings are available (boards without power sensors, or no nvidia-smi).
   */
  declaredGpuWatts?: number;
  /** Power sampling interval; the command runner is injectable for tests. */
  power?: { intervalMs?: number; run?: CommandRunner };
  onContainerStarted?: (containerId: string) => void;
  /**
   * Community benchmarks: how their datasets are downloaded (verified against the pinned sha256, cached by it).
   * Default: public hosts only, unless QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS=true (a mirror on the LAN, tests).
   */
  datasets?: DatasetSourceOptions;
  /** The runner's warm engine: the job goes to the running engine when it serves this model, else starts one. */
  warm?: WarmEngine | null;
}

function datasetOptionsOf(options: Pick<EvaluateOptions, "datasets">): DatasetSourceOptions {
  return options.datasets ?? { allowPrivateHosts: process.env.QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS === "true" };
}

/** A warm engine when the runner keeps one and this engine can stay warm; else one container for this run. */
function runEngine(options: Pick<EvaluateOptions, "engine" | "warm" | "logger">, input: EngineRunInput): Promise<EngineRunResult> {
  if (options.warm && WarmEngine.supports(options.engine)) return options.warm.run(input);
  options.logger.info(`starting the engine for ${input.model.repo}@${input.model.revision.slice(0, 7)}`);
  return options.engine.run(input);
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
  // A community benchmark's definition travels in the claim; its dataset is downloaded and verified here, and a
  // dataset that is unreachable or not the pinned bytes fails the task with that reason (DatasetFetchError).
  const definition = await prepareClaimBenchmark(claim, datasetOptionsOf(options));
  const itemIds = claim.task.itemIds;
  engine.checkModel(model);
  options.signal?.throwIfAborted();

  const { taskRoot, taskDir, outputDir } = await createTaskDirs(options.workDir, claim.assignmentId);

  try {
    let t = performance.now();
    await engine.prepare(progress, options.signal);
    const prepareMs = since(t);

    t = performance.now();
    const { weights, weightsReport } = await fetchWeights(options, model, progress);
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
      run = await runEngine(options, {
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
    const scored = await scoreOutputsAsync(definition, itemIds, outputs);
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
      ...energyOf(energy?.energyKwh ?? null, options.declaredGpuWatts, run.sandbox.durationMs),
      ...(weightsReport ? { weights: weightsReport } : {}),
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
    await removeTaskDirs(options, taskRoot);
  }
}

/** A fresh signature with a new signedAt (the server refuses signatures outside its clock-skew window). */
export function resignSubmission(submission: TSubmitResultRequest, privateKeyPem: string, now: Date = new Date()): TSubmitResultRequest {
  const payload = { ...submission.payload, signedAt: now.toISOString() };
  return { payload, signature: signPayload(payload, privateKeyPem) };
}

/** The separator between a bundle part's index and a request's own id (request ids never hold it). */
const PART_SEPARATOR = "|";

export interface BundleEvaluation {
  /** One per claim, in order. */
  results: EvaluationResult[];
  /** Engine starts this bundle cost (1), the engine's wall time, and the whole bundle's. */
  engineMs: number;
  totalMs: number;
}

/**
 * Several claims of one model with ONE engine start: the weights are fetched once, every task's requests go into one
 * batch file (ids prefixed with the task's index), one container answers them all, and each task is parsed, scored,
 * hashed and signed on its own exactly as evaluateClaim does. A failing engine fails every task of the bundle.
 */
export async function evaluateClaims(options: Omit<EvaluateOptions, "claim"> & { claims: TClaim[] }): Promise<BundleEvaluation> {
  const [first] = options.claims;
  if (!first) throw new Error("evaluateClaims needs at least one claim");
  if (options.claims.some((c) => c.task.model.id !== first.task.model.id)) throw new Error("a bundle holds tasks of one model only");
  const t0 = performance.now();
  const { engine, logger } = options;
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? (() => new Date());
  const model = first.task.model;
  for (const claim of options.claims) await prepareClaimBenchmark(claim, datasetOptionsOf(options));
  engine.checkModel(model);
  options.signal?.throwIfAborted();

  const { taskRoot, taskDir, outputDir } = await createTaskDirs(options.workDir, `bundle-${first.assignmentId}`);
  try {
    let t = performance.now();
    await engine.prepare(progress, options.signal);
    const prepareMs = since(t);
    t = performance.now();
    const { weights, weightsReport } = await fetchWeights(options, model, progress);
    const weightsMs = since(t);

    t = performance.now();
    const parts = options.claims.map((claim, index) => {
      const benchmark = getBenchmark(claim.task.benchmark.key);
      const requests = buildRequests(benchmark, claim.task.itemIds).map((r) => ({ ...r, id: `${index}${PART_SEPARATOR}${r.id}` }));
      return { claim, benchmark, itemIds: claim.task.itemIds, requests };
    });
    const requests = parts.flatMap((p) => p.requests);
    const requestsMs = since(t);
    const totalItems = parts.reduce((n, p) => n + p.itemIds.length, 0);

    const selected = selectGpus(options.gpuInfo ?? [], options.gpus);
    const meter = selected.length > 0 ? startPowerMeter({ gpus: selected, ...options.power, onError: (m) => logger.warn(m) }) : null;
    const items = progress.start("items", { unit: "items", total: totalItems, label: `items (${parts.length} tasks)` });
    t = performance.now();
    let run;
    let energy: Awaited<ReturnType<NonNullable<typeof meter>["stop"]>> | null = null;
    try {
      run = await runEngine(options, {
        model,
        benchmark: parts[0]!.benchmark,
        itemIds: parts[0]!.itemIds,
        requests,
        parts: parts.map(({ benchmark, itemIds, requests: own }) => ({ benchmark, itemIds, requests: own })),
        weights,
        taskDir,
        outputDir,
        runnerName: options.runner.name,
        gpus: options.gpus,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        logger,
        onContainerStarted: options.onContainerStarted,
        onItemsProgress: (done, total) => items.update(total > 0 ? Math.floor((done / total) * totalItems) : 0, totalItems),
      });
      items.done();
    } catch (error) {
      items.fail((error as Error).message);
      throw error;
    } finally {
      if (meter) energy = await meter.stop();
    }
    const engineMs = since(t);

    const results: EvaluationResult[] = [];
    for (const [index, part] of parts.entries()) {
      const ts = performance.now();
      const prefix = `${index}${PART_SEPARATOR}`;
      const strip = <T extends { id: string }>(x: T): T => ({ ...x, id: x.id.slice(prefix.length) });
      const own = run.responses.filter((r) => r.id.startsWith(prefix)).map(strip);
      const ownRequests = part.requests.map(strip);
      const outputs = outputsFromResponses(part.benchmark, part.itemIds, ownRequests, own);
      const scored = await scoreOutputsAsync(part.benchmark, part.itemIds, outputs);
      const scoreMs = since(ts);
      const share = part.itemIds.length / totalItems;
      const payload: TSubmissionPayload = ZSubmissionPayloadSchema.parse({
        assignmentId: part.claim.assignmentId,
        taskId: part.claim.task.id,
        runnerId: options.runner.id,
        claimToken: part.claim.claimToken,
        signedAt: now().toISOString(),
        benchmark: part.benchmark.key,
        outputs,
        outputsSha256: scored.outputsSha256,
        claimedScore: scored.metrics,
        engine: { name: run.identity.name, version: run.identity.version, imageDigest: run.identity.imageDigest },
        gpu: gpuLabel(selected),
        // The bundle's engine time, shared out by items.
        runtimeSeconds: Math.round(run.sandbox.durationMs * share) / 1000,
        ...energyOf(energy?.energyKwh == null ? null : energy.energyKwh * share, options.declaredGpuWatts, run.sandbox.durationMs * share),
        ...(weightsReport ? { weights: weightsReport } : {}),
      });
      const signature = signPayload(payload, options.runner.privateKeyPem);
      results.push({
        submission: { payload, signature },
        scores: scored.metrics,
        records: scored.records,
        engine: run.identity,
        weights,
        timings: { prepareMs, weightsMs, requestsMs, containerMs: run.sandbox.durationMs, engineMs, scoreMs, signMs: 0, totalMs: since(t0) },
      });
    }
    return { results, engineMs, totalMs: since(t0) };
  } finally {
    await removeTaskDirs(options, taskRoot);
  }
}

/** A task's private dirs under the work dir: `task` (read-only in the sandbox) and `out` (the sandbox writes it). */
async function createTaskDirs(workDir: string, name: string): Promise<{ taskRoot: string; taskDir: string; outputDir: string }> {
  const taskRoot = path.join(workDir, "tasks", `${name.replace(/[^A-Za-z0-9_-]/g, "_")}-${randomBytes(4).toString("hex")}`);
  const taskDir = path.join(taskRoot, "task");
  const outputDir = path.join(taskRoot, "out");
  await mkdir(taskRoot, { recursive: true, mode: 0o700 });
  await mkdir(taskDir, { mode: 0o755 });
  await mkdir(outputDir);
  // The sandbox user (uid 65534) writes here; the 0700 parent keeps other local users out.
  await chmod(outputDir, 0o777);
  return { taskRoot, taskDir, outputDir };
}

async function removeTaskDirs(options: Pick<EvaluateOptions, "keepTaskDir" | "logger">, taskRoot: string): Promise<void> {
  if (options.keepTaskDir) return options.logger.info("kept the task dir", { dir: taskRoot });
  try {
    await rm(taskRoot, { recursive: true, force: true });
  } catch (error) {
    // Reported, not thrown: it must not hide the evaluation's own outcome.
    options.logger.warn("could not remove the task dir", { dir: taskRoot, error: (error as Error).message });
  }
}

/**
 * The model's weights (when the engine needs them) with the runner's Hub settings and download cap, shown as the
 * `weights` phase; then the fingerprint and parameter count, read from the files fetchModelWeights has just verified.
 */
async function fetchWeights(
  options: Pick<EvaluateOptions, "engine" | "cacheDir" | "hub" | "signal" | "logger">,
  model: TClaim["task"]["model"],
  progress: Progress,
): Promise<{ weights: FetchedWeights | null; weightsReport: Awaited<ReturnType<typeof readWeightsReport>> | null }> {
  if (!options.engine.needsWeights) return { weights: null, weightsReport: null };
  const phase = progress.start("weights", { unit: "bytes", label: "weights" });
  let weights: FetchedWeights;
  try {
    weights = await fetchModelWeights(model, {
      cacheDir: options.cacheDir,
      hubUrl: options.hub?.url,
      accessToken: options.hub?.accessToken,
      fetch: options.hub?.fetch,
      maxDownloadBytes: options.hub?.maxDownloadBytes,
      signal: options.signal,
      logger: options.logger,
      onProgress: (p) => phase.update(p.downloadedBytes, p.totalBytes),
    });
    phase.done(weights.downloadedBytes > 0 ? model.repo : `${model.repo}, cached`);
  } catch (error) {
    phase.fail((error as Error).message);
    throw error;
  }
  return { weights, weightsReport: await readWeightsReport(weights.model.snapshotDir, weights.model.config) };
}

/** Measured energy when there is any; otherwise the declared watts over the engine's run time; otherwise null. */
export function energyOf(
  measuredKwh: number | null,
  declaredWatts: number | undefined,
  durationMs: number,
): { energyKwh: number | null; energySource?: "measured" | "declared" } {
  if (measuredKwh !== null) return { energyKwh: measuredKwh, energySource: "measured" };
  if (declaredWatts !== undefined && declaredWatts > 0) return { energyKwh: (declaredWatts * durationMs) / 3.6e9, energySource: "declared" };
  return { energyKwh: null };
}
