/**
 * The warm-engine manager on its own, with an engine double (no Docker): one start for consecutive jobs of one key,
 * stop then start for another key, a dead engine started again, idle expiry, a failed job forgotten, stop() always.
 * The same behaviours against the real Docker engine and API are in loop.test.ts ("the warm engine").
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TModelRef } from "@/lib/protocol/runner-api";
import type { Engine, EngineRunInput, EngineRunResult } from "./engines/engine";
import { EngineRunError } from "./engines/engine";
import type { EngineSession, SessionStartInput } from "./engines/session";
import { createMemoryLogger } from "./log";
import { WarmEngine } from "./warm-engine";

const model = (n: number): TModelRef => ({
  id: `m${n}`,
  repo: `org/model-${n}`,
  revision: n.toString(16).padStart(40, "0"),
  weightType: "ORIGINAL",
  baseModel: null,
  precision: "BFLOAT16",
});

interface FakeSession extends EngineSession {
  alive: boolean;
  stopped: boolean;
  failNext: boolean;
}

function fakeEngine() {
  const sessions: FakeSession[] = [];
  const engine: Engine = {
    name: "fixture",
    needsWeights: false,
    checkModel: () => {},
    prepare: () => Promise.resolve({ id: "img", repoDigests: [], tags: [], labels: {} }),
    run: () => Promise.reject(new Error("one-shot runs are not used here")),
    sessionKey: ({ model: m }) => `${m.id}@${m.revision}`,
    startSession: (input: SessionStartInput) => {
      let jobs = 0;
      const session: FakeSession = {
        key: `${input.model.id}@${input.model.revision}`,
        model: input.model,
        containerId: `c${sessions.length + 1}`.padEnd(12, "0"),
        alive: true,
        stopped: false,
        failNext: false,
        get jobs() {
          return jobs;
        },
        get usable() {
          return !this.stopped;
        },
        run(job: EngineRunInput): Promise<EngineRunResult> {
          if (this.failNext) {
            this.stopped = true;
            return Promise.reject(new EngineRunError("crash", "boom", "hint"));
          }
          jobs += 1;
          return Promise.resolve({
            responses: [],
            identity: { name: "fixture", version: "1", imageDigest: "x", image: "x" },
            sandbox: { containerId: this.containerId, end: "exited", exitCode: 0, oomKilled: false, durationMs: 1, stdoutTail: "", stderrTail: job.model.id },
          });
        },
        healthy() {
          return Promise.resolve(this.alive && !this.stopped);
        },
        stop() {
          this.stopped = true;
          return Promise.resolve(null);
        },
      };
      sessions.push(session);
      return Promise.resolve(session);
    },
  };
  return { engine, sessions };
}

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "quorum-warm-"));
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

function job(m: TModelRef): EngineRunInput {
  return { model: m, weights: null, gpus: null, runnerName: "r", logger: createMemoryLogger().logger, timeoutMs: 1000 } as unknown as EngineRunInput;
}

describe("WarmEngine", () => {
  it("answers consecutive jobs of one key with one start, and another key only after stopping the first", async () => {
    const { engine, sessions } = fakeEngine();
    const { logger, lines } = createMemoryLogger();
    const warm = new WarmEngine({ engine, workDir, idleMs: 60_000, logger });
    await warm.run(job(model(1)));
    await warm.idle();
    expect(warm.warmModelId).toBe("m1");
    await warm.run(job(model(1)));
    expect({ starts: warm.starts, reuses: warm.reuses }).toEqual({ starts: 1, reuses: 1 });
    await warm.run(job(model(2)));
    expect(sessions.map((s) => s.stopped)).toEqual([true, false]);
    expect(warm.warmModelId).toBe("m2");
    // A revision of the same repository is another key.
    await warm.run(job({ ...model(2), revision: "f".repeat(40) }));
    expect(sessions).toHaveLength(3);
    await warm.stop("test");
    expect(sessions.every((s) => s.stopped)).toBe(true);
    expect(warm.warmModelId).toBeNull();
    const text = lines.join("\n");
    expect(text).toMatch(/starting the engine for org\/model-1@0000000/);
    expect(text).toMatch(/reusing the warm engine for org\/model-1@0000000 \(job 2\)/);
  });

  it("starts a fresh engine when the warm one died, and forgets one whose job failed", async () => {
    const { engine, sessions } = fakeEngine();
    const warm = new WarmEngine({ engine, workDir, idleMs: 60_000, logger: createMemoryLogger().logger });
    await warm.run(job(model(1)));
    sessions[0]!.alive = false;
    await warm.run(job(model(1)));
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.stopped).toBe(true);
    sessions[1]!.failNext = true;
    await expect(warm.run(job(model(1)))).rejects.toThrow("boom");
    expect(warm.warmModelId).toBeNull();
    await warm.run(job(model(1)));
    expect(sessions).toHaveLength(3);
    await warm.stop("test");
  });

  it("stops the engine once the idle time has passed, and at once with an idle time of 0", async () => {
    const { engine, sessions } = fakeEngine();
    const warm = new WarmEngine({ engine, workDir, idleMs: 50, logger: createMemoryLogger().logger });
    await warm.run(job(model(1)));
    await warm.idle();
    expect(sessions[0]!.stopped).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sessions[0]!.stopped).toBe(true);
    expect(warm.warmModelId).toBeNull();

    const immediate = new WarmEngine({ engine, workDir, idleMs: 0, logger: createMemoryLogger().logger });
    await immediate.run(job(model(2)));
    await immediate.idle();
    expect(sessions[1]!.stopped).toBe(true);
  });

  it("is only used for engines that can stay warm", () => {
    const { engine } = fakeEngine();
    expect(WarmEngine.supports(engine)).toBe(true);
    const { sessionKey: _k, startSession: _s, ...oneShot } = engine;
    expect(WarmEngine.supports(oneShot)).toBe(false);
  });
});
