/**
 * `pnpm runner start`: claim, evaluate, submit, again, with heartbeats while working and an idle back-off while the
 * queue is empty (polls are scheduled after the previous one ends; separate busy and idle pacing).
 * stop() (first SIGINT/SIGTERM): no more claims; the current task may finish for up to `drainTimeoutMs`, then it is
 * cancelled (its container killed and removed) and released back to the queue. abort() (second signal): cancel now.
 * Results are saved to a pending folder before the first submission attempt, so a crash or an unreachable server
 * loses nothing: the next start submits them again (the server answers ALREADY_SUBMITTED when it has them).
 */
import { failureCauseOf } from "./failure-cause";
import path from "node:path";
import type { TClaim, TEngineName } from "@/lib/protocol/runner-api";
import { RunnerApiError, type RunnerApi } from "./api-client";
import type { ContainerEngine, GpuRequest } from "./docker/docker";
import { EngineRunError, type Engine } from "./engines/engine";
import { evaluateClaim, evaluateClaims, type EvaluateOptions, type EvaluateRunner } from "./evaluate";
import { gpuLabel, selectGpus, type GpuInfo } from "./gpu";
import { startHeartbeat } from "./heartbeat";
import type { Logger } from "./log";
import { silentProgress, type Progress } from "./progress";
import { submitResult } from "./submit";
import { PendingResults, resultFile } from "./task-files";
import { errorHint } from "./errors";
import { WarmEngine } from "./warm-engine";

export interface LoopOptions {
  api: RunnerApi;
  engine: Engine;
  docker: ContainerEngine;
  runner: EvaluateRunner;
  engineName: TEngineName;
  /** The context the engine is started with (--max-model-len), reported with each claim: long-context tiers up to it. */
  maxContextTokens?: number | null;
  gpus: GpuRequest | null;
  gpuInfo: GpuInfo[];
  workDir: string;
  cacheDir: string;
  hub?: { url?: string; accessToken?: string; maxDownloadBytes?: number };
  taskTimeoutMs: number;
  logger: Logger;
  progress?: Progress;
  /** Idle back-off: from min to max, doubling while the queue stays empty (the server's retryAfter is a floor). */
  idleMinMs?: number;
  idleMaxMs?: number;
  /** After stop(): how long the current task may still run before it is cancelled and released. */
  drainTimeoutMs?: number;
  /** Stop after this many claimed tasks (evaluated or failed). */
  maxTasks?: number;
  /** Stop as soon as the queue is empty (demos, benchmarks). */
  exitWhenIdle?: boolean;
  /** Keep task dirs for debugging. */
  keepTaskDirs?: boolean;
  /** Tasks of one model to take in one claim, evaluated with one engine start (default 8; 1: one task a claim). */
  bundle?: number;
  /**
   * How long the engine container (model loaded) stays up after a task or bundle, for the next one of the same model
   * revision, adapter and engine settings (default 10 min; 0: stopped at once). Engines that cannot stay warm start
   * a container per task or bundle whatever this says.
   */
  engineIdleMs?: number;
  /** How long the last model counts as warm (weights cached, engine image ready): the server prefers it (default 10 min). */
  warmIdleMs?: number;
  /** --gpu-watts: energy from declared watts when the boards give no power readings. */
  declaredGpuWatts?: number;
}

export const DEFAULT_BUNDLE = 8;
export const DEFAULT_ENGINE_IDLE_MS = 10 * 60_000;

export type LoopEnd = "stopped" | "max-tasks" | "idle" | "fatal";

export interface LoopSummary {
  end: LoopEnd;
  claimed: number;
  submitted: number;
  failed: number;
  released: number;
  error: Error | null;
}

export class RunnerLoop {
  private stopping = false;
  private aborting = false;
  private wake: (() => void) | null = null;
  private current: AbortController | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly summary: LoopSummary = { end: "stopped", claimed: 0, submitted: 0, failed: 0, released: 0, error: null };
  private readonly pending: PendingResults;
  private readonly progress: Progress;
  private warm: { modelId: string; until: number } | null = null;
  /** The warm engine container (null when the engine cannot stay warm or --engine-idle is 0). */
  readonly warmEngine: WarmEngine | null;

  constructor(private readonly options: LoopOptions) {
    this.pending = new PendingResults(path.join(options.workDir, "pending"));
    this.progress = options.progress ?? silentProgress;
    const idleMs = options.engineIdleMs ?? DEFAULT_ENGINE_IDLE_MS;
    this.warmEngine =
      idleMs > 0 && WarmEngine.supports(options.engine) ? new WarmEngine({ engine: options.engine, workDir: options.workDir, idleMs, logger: options.logger }) : null;
  }

  /** Stop claiming; let the current task finish within the drain bound. Idempotent. */
  stop(reason = "stop requested"): void {
    if (this.stopping) return;
    this.stopping = true;
    const log = this.options.logger;
    log.event("runner.stopping", { reason, busy: this.current !== null });
    if (this.current) {
      const drainMs = this.options.drainTimeoutMs ?? 120_000;
      log.info(`${reason}: finishing the current task (at most ${Math.round(drainMs / 1000)} s; signal again to cancel it now)`);
      this.drainTimer = setTimeout(() => {
        log.warn("the current task did not finish in time; cancelling it");
        this.current?.abort(new Error("drain timeout"));
      }, drainMs);
    } else {
      log.info(`${reason}: stopping`);
    }
    this.wake?.();
  }

  /** Cancel the current task now (its container is killed and removed, the claim released). */
  abort(reason = "abort requested"): void {
    this.aborting = true;
    this.stop(reason);
    this.current?.abort(new Error(reason));
  }

  async run(): Promise<LoopSummary> {
    const { logger, api, runner } = this.options;
    try {
      const swept = await this.options.docker.sweepOrphans();
      if (swept.removed.length > 0) logger.info(`removed ${swept.removed.length} orphaned sandbox container(s) from an earlier run`);
      // Before the first claim, so that a long image pull never eats into a lease.
      await this.options.engine.prepare(this.progress);
      logger.event("runner.started", { runnerId: runner.id, name: runner.name, engine: this.options.engineName, gpu: this.gpu() });
      logger.info(`runner ${runner.name} is up (engine ${this.options.engineName}${this.gpu() ? `, ${this.gpu()}` : ", no GPU"}); asking ${api.server} for work`);
      await this.flushPending();

      let idleMs = this.options.idleMinMs ?? 2000;
      while (!this.stopping) {
        if (this.options.maxTasks !== undefined && this.summary.claimed >= this.options.maxTasks) {
          this.summary.end = "max-tasks";
          break;
        }
        let claim: TClaim | null;
        let bundle: TClaim[] = [];
        let retryAfterMs: number;
        try {
          // The model whose engine is up (its next task costs no start), else the last one (weights cached).
          const warmModelId = this.warmEngine?.warmModelId ?? (this.warm && Date.now() < this.warm.until ? this.warm.modelId : null);
          const response = await api.claim({
            runnerId: runner.id,
            engine: this.options.engineName,
            gpu: this.gpu(),
            bundle: this.bundleSize(),
            warmModelId,
            maxContextTokens: this.options.maxContextTokens ?? null,
          });
          claim = response.claim;
          bundle = response.bundle ?? [];
          retryAfterMs = response.retryAfterSeconds * 1000;
          if (response.notice) logger.warn(`no task for this runner: ${response.notice}`);
        } catch (error) {
          if (error instanceof RunnerApiError && !error.isRetryable) throw error;
          logger.warn(`could not ask for work: ${(error as Error).message}`, { retryInMs: idleMs });
          await this.sleep(idleMs);
          idleMs = Math.min(idleMs * 2, this.options.idleMaxMs ?? 60_000);
          continue;
        }
        if (!claim) {
          if (this.options.exitWhenIdle) {
            this.summary.end = "idle";
            break;
          }
          const waitMs = Math.max(retryAfterMs, idleMs);
          logger.event("runner.idle", { retryInMs: waitMs });
          logger.debug("no task available", { retryInMs: waitMs });
          await this.sleep(waitMs);
          idleMs = Math.min(idleMs * 2, this.options.idleMaxMs ?? 60_000);
          continue;
        }
        idleMs = this.options.idleMinMs ?? 2000;
        if (bundle.length === 0) await this.handle(claim);
        else await this.handleBundle([claim, ...bundle]);
        this.warm = { modelId: claim.task.model.id, until: Date.now() + (this.options.warmIdleMs ?? 10 * 60_000) };
        await this.warmEngine?.idle();
        await this.flushPending();
      }
    } catch (error) {
      this.summary.end = "fatal";
      this.summary.error = error as Error;
      logger.error((error as Error).message, { hint: errorHint(error) });
    } finally {
      if (this.drainTimer) clearTimeout(this.drainTimer);
      // Whatever ended the loop (a signal, --max-tasks, an empty queue, an error): no engine container outlives it.
      await this.warmEngine?.stop(this.summary.end === "fatal" ? "the runner stopped on an error" : "the runner is stopping");
      this.progress.stop();
    }
    logger.event("runner.stopped", { ...this.summary, error: this.summary.error?.message ?? null });
    logger.info(
      `stopped: ${this.summary.claimed} claimed, ${this.summary.submitted} submitted, ${this.summary.failed} failed, ${this.summary.released} released`,
    );
    return this.summary;
  }

  /** The bundle to ask for: never more tasks than --max-tasks leaves. */
  private bundleSize(): number {
    const wanted = Math.max(1, this.options.bundle ?? DEFAULT_BUNDLE);
    return this.options.maxTasks === undefined ? wanted : Math.max(1, Math.min(wanted, this.options.maxTasks - this.summary.claimed));
  }

  private gpu(): string | null {
    return gpuLabel(selectGpus(this.options.gpuInfo, this.options.gpus));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async handle(claim: TClaim): Promise<void> {
    const { logger, api, runner } = this.options;
    const model = claim.task.model;
    const log = logger.child({ assignment: claim.assignmentId });
    this.summary.claimed += 1;
    log.event("task.claimed", {
      taskId: claim.task.id,
      model: `${model.repo}@${model.revision}`,
      benchmark: claim.task.benchmark.key,
      items: claim.task.itemIds.length,
      leaseSeconds: claim.leaseSeconds,
    });
    log.info(`claimed ${model.repo}@${model.revision.slice(0, 7)} × ${claim.task.benchmark.key} (${claim.task.itemIds.length} items)`);

    const controller = new AbortController();
    this.current = controller;
    let leaseLost: Error | null = null;
    const heartbeat = startHeartbeat({
      api,
      claim,
      logger: log,
      onLost: (error) => {
        leaseLost = error;
        controller.abort(error);
      },
    });
    if (this.aborting) controller.abort(new Error("abort requested"));

    try {
      let result;
      try {
        result = await evaluateClaim({ claim, ...this.evaluation(controller.signal, log) });
      } catch (error) {
        await this.onEvaluationFailed(claim, error as Error, leaseLost, controller.signal.aborted && !leaseLost);
        return;
      } finally {
        this.current = null;
        if (this.drainTimer) clearTimeout(this.drainTimer);
      }
      log.event("task.evaluated", { scores: result.scores, engine: result.engine, timings: result.timings });
      log.info(`evaluated: ${formatScores(result.scores)} in ${(result.timings.totalMs / 1000).toFixed(1)} s`);

      const file = resultFile({ server: api.server, runnerId: runner.id, claim, scores: result.scores, submission: result.submission });
      await this.pending.save(file);
      await this.submitPending(file);
    } finally {
      heartbeat.stop();
    }
  }

  /** What an evaluation of one task or a bundle is given: this runner's settings, the claim's signal and logger. */
  private evaluation(signal: AbortSignal, logger: Logger): Omit<EvaluateOptions, "claim"> {
    return {
      engine: this.options.engine,
      runner: this.options.runner,
      workDir: this.options.workDir,
      cacheDir: this.options.cacheDir,
      hub: this.options.hub,
      gpus: this.options.gpus,
      gpuInfo: this.options.gpuInfo,
      timeoutMs: this.options.taskTimeoutMs,
      signal,
      logger,
      progress: this.progress,
      keepTaskDir: this.options.keepTaskDirs,
      declaredGpuWatts: this.options.declaredGpuWatts,
      warm: this.warmEngine,
    };
  }

  /** Several tasks of one model: heartbeats for each, one engine start for all, then each submitted on its own. */
  private async handleBundle(claims: TClaim[]): Promise<void> {
    const { logger, api, runner } = this.options;
    const model = claims[0]!.task.model;
    const log = logger.child({ bundle: claims[0]!.assignmentId });
    this.summary.claimed += claims.length;
    for (const claim of claims) {
      log.event("task.claimed", { taskId: claim.task.id, model: `${model.repo}@${model.revision}`, benchmark: claim.task.benchmark.key, items: claim.task.itemIds.length, leaseSeconds: claim.leaseSeconds, bundle: claims.length });
    }
    log.info(`claimed a bundle of ${claims.length} tasks of ${model.repo}@${model.revision.slice(0, 7)} (${claims.map((c) => `${c.task.benchmark.key} epoch ${c.task.epoch}`).join(", ")}): ${this.warmEngine?.warmModelId === model.id ? "the warm engine answers them all" : "one engine start"}`);
    const controller = new AbortController();
    this.current = controller;
    let leaseLost: Error | null = null;
    const heartbeats = claims.map((claim) =>
      startHeartbeat({ api, claim, logger: log, onLost: (error) => { leaseLost = error; controller.abort(error); } }),
    );
    if (this.aborting) controller.abort(new Error("abort requested"));
    try {
      let evaluation;
      try {
        evaluation = await evaluateClaims({ claims, ...this.evaluation(controller.signal, log) });
      } catch (error) {
        for (const claim of claims) await this.onEvaluationFailed(claim, error as Error, leaseLost, controller.signal.aborted && !leaseLost);
        return;
      } finally {
        this.current = null;
        if (this.drainTimer) clearTimeout(this.drainTimer);
      }
      log.info(`evaluated ${claims.length} tasks in ${(evaluation.totalMs / 1000).toFixed(1)} s (engine ${(evaluation.engineMs / 1000).toFixed(1)} s)`);
      for (const [index, result] of evaluation.results.entries()) {
        const claim = claims[index]!;
        log.event("task.evaluated", { assignment: claim.assignmentId, scores: result.scores, engine: result.engine, timings: result.timings });
        const file = resultFile({ server: api.server, runnerId: runner.id, claim, scores: result.scores, submission: result.submission });
        await this.pending.save(file);
        await this.submitPending(file);
      }
    } finally {
      for (const heartbeat of heartbeats) heartbeat.stop();
    }
  }

  private async onEvaluationFailed(claim: TClaim, error: Error, leaseLost: Error | null, cancelled: boolean): Promise<void> {
    const log = this.options.logger.child({ assignment: claim.assignmentId });
    if (leaseLost) {
      this.summary.failed += 1;
      log.event("task.dropped", { reason: leaseLost.message });
      log.warn(`dropped the task: ${leaseLost.message}`);
      return;
    }
    const kind = cancelled ? "released" : "failed";
    const reason = cancelled ? "The runner shut down before finishing the task." : error.message;
    if (cancelled) this.summary.released += 1;
    else this.summary.failed += 1;
    const failure = error instanceof EngineRunError ? error.failure : error.name;
    log.event(cancelled ? "task.released" : "task.failed", { failure, message: error.message });
    if (cancelled) log.info("released the task back to the queue");
    else log.error(`evaluation failed: ${error.message}`, { hint: errorHint(error) });
    try {
      await this.options.api.release({
        claimToken: claim.claimToken,
        kind,
        reason: reason.slice(0, 2000),
        ...(cancelled ? {} : { cause: failureCauseOf(error) }),
      });
    } catch (releaseError) {
      log.warn(`could not tell the server (${(releaseError as Error).message}); the lease expires on its own`);
    }
  }

  private async submitPending(file: ReturnType<typeof resultFile>): Promise<boolean> {
    const log = this.options.logger.child({ assignment: file.submission.payload.assignmentId });
    try {
      const report = await submitResult({
        api: this.options.api,
        submission: file.submission,
        privateKeyPem: this.options.runner.privateKeyPem,
        logger: log,
        progress: this.progress,
      });
      await this.pending.remove(file.submission.payload.assignmentId);
      if (report.status === "rejected") {
        this.summary.failed += 1;
        log.event("task.rejected", { code: report.code, message: report.message });
        log.error(`the server refused the result: ${report.message}`, { hint: report.hint });
        return true;
      }
      this.summary.submitted += 1;
      if (report.status === "stored") {
        log.event("task.submitted", { resultId: report.response.resultId, taskStatus: report.response.taskStatus, verdict: report.response.verdict, alreadySubmitted: false });
        log.info(`submitted: result ${report.response.resultId}, task ${report.response.taskStatus.toLowerCase()}, verdict ${report.response.verdict.toLowerCase()}`);
      } else {
        log.event("task.submitted", { alreadySubmitted: true });
        log.info("submitted (the server already had this result)");
      }
      return true;
    } catch (error) {
      log.warn(`could not submit yet (${(error as Error).message}); kept it and will try again`, { hint: errorHint(error) });
      return false;
    }
  }

  /** Submits results left over from earlier attempts or runs. */
  private async flushPending(): Promise<void> {
    const { results, unreadable } = await this.pending.list(this.options.api.server);
    for (const bad of unreadable) this.options.logger.warn(`cannot read a pending result: ${bad.error}`, { file: bad.file });
    for (const result of results) {
      if (this.stopping && this.aborting) return;
      this.options.logger.info("submitting a result left from earlier", { assignment: result.submission.payload.assignmentId });
      if (!(await this.submitPending(result))) return;
    }
  }
}

function formatScores(scores: Record<string, number>): string {
  return Object.entries(scores)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(", ");
}
