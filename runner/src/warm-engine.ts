/**
 * The warm engine: the runner keeps the last engine container (model loaded) running for `--engine-idle` after a
 * task or bundle, and answers the next one with it when it is for the same key: the same model revision, adapter,
 * precision, engine settings and sandbox (Engine.sessionKey). Anything else stops it first, then starts a fresh
 * one, so a container only ever sees one model's prompts. A warm engine that died between tasks is found by a
 * health check (Docker's own state) before reuse and started again; the task does not fail for it. It is stopped
 * when its idle time passes, when a job in it fails, and when the runner stops (signals, --max-tasks, errors).
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Engine, EngineRunInput, EngineRunResult } from "./engines/engine";
import { makeSessionDirs, type EngineSession } from "./engines/session";
import type { Logger } from "./log";

export interface WarmEngineOptions {
  engine: Engine;
  /** Sessions' dirs go under <workDir>/engines. */
  workDir: string;
  /** How long an engine stays up after its last job; 0 stops it at once. */
  idleMs: number;
  logger: Logger;
}

export class WarmEngine {
  private session: EngineSession | null = null;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Engine containers started and jobs that found one warm (for logs, tests and the bench). */
  starts = 0;
  reuses = 0;

  constructor(private readonly options: WarmEngineOptions) {}

  /** Whether this engine can stay warm at all. */
  static supports(engine: Engine): boolean {
    return typeof engine.startSession === "function" && typeof engine.sessionKey === "function";
  }

  /** The model whose engine is up now (sent with claims: the server prefers its next tasks), or null. */
  get warmModelId(): string | null {
    return this.session?.usable ? this.session.model.id : null;
  }

  /** One job: on the warm engine when it serves this key and is alive, else on a freshly started one. */
  async run(input: EngineRunInput): Promise<EngineRunResult> {
    const session = await this.exclusive(() => this.acquire(input));
    try {
      return await session.run(input);
    } finally {
      // A failed job stops its session; forget it so that the next job starts a fresh one.
      if (!session.usable && this.session === session) this.session = null;
    }
  }

  /** After a task or bundle: the engine stays up for the idle time, then stops (at once with 0). */
  async idle(): Promise<void> {
    this.clearTimer();
    if (!this.session) return;
    if (this.options.idleMs <= 0) return this.stop("--engine-idle 0");
    const idleS = Math.round(this.options.idleMs / 1000);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.stop(`idle for ${idleS} s`);
    }, this.options.idleMs);
    this.timer.unref();
  }

  /** Stops and removes the warm engine, if any. Never throws. */
  async stop(reason: string): Promise<void> {
    this.clearTimer();
    await this.exclusive(async () => {
      const session = this.session;
      if (!session) return;
      this.session = null;
      await this.put(session, reason);
    });
  }

  private async acquire(input: EngineRunInput): Promise<EngineSession> {
    this.clearTimer();
    const { engine, logger } = this.options;
    const key = engine.sessionKey!(input);
    const label = `${input.model.repo}@${input.model.revision.slice(0, 7)}`;
    const current = this.session;
    if (current) {
      if (current.key !== key) {
        this.session = null;
        await this.put(current, `the next task is for another model or engine setting (${label})`);
      } else if (!(await current.healthy())) {
        this.session = null;
        logger.warn(`the warm engine for ${label} is no longer running; starting it again`);
        logger.event("engine.dead", { model: label, container: current.containerId.slice(0, 12) });
        await this.put(current, "found dead by the health check");
      } else {
        this.reuses += 1;
        logger.info(`reusing the warm engine for ${label} (job ${current.jobs + 1})`);
        logger.event("engine.reused", { model: label, container: current.containerId.slice(0, 12), jobs: current.jobs });
        return current;
      }
    }
    input.signal?.throwIfAborted();
    logger.info(`starting the engine for ${label}`);
    const dirs = await makeSessionDirs(path.join(this.options.workDir, "engines", randomBytes(6).toString("hex")));
    // No job's signal: the container outlives this job (a job's cancel stops it through the session instead).
    const session = await engine.startSession!({
      model: input.model,
      weights: input.weights,
      gpus: input.gpus,
      runnerName: input.runnerName,
      dirs,
      logger: this.options.logger,
    }).catch(async (error: unknown) => {
      await rm(dirs.root, { recursive: true, force: true }).catch(() => {});
      throw error;
    });
    this.starts += 1;
    logger.event("engine.started", { model: label, container: session.containerId.slice(0, 12) });
    this.session = session;
    return session;
  }

  private async put(session: EngineSession, reason: string): Promise<void> {
    const label = `${session.model.repo}@${session.model.revision.slice(0, 7)}`;
    try {
      await session.stop();
      this.options.logger.info(`stopped the warm engine for ${label} (${reason}; ${session.jobs} job${session.jobs === 1 ? "" : "s"} answered)`);
      this.options.logger.event("engine.stopped", { model: label, reason, jobs: session.jobs });
    } catch (error) {
      this.options.logger.warn(`could not stop the warm engine for ${label}: ${(error as Error).message}; the next start sweeps it`);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One acquire or stop at a time (the idle timer may fire while a claim arrives). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }
}
