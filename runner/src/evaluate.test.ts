import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZSubmitResultRequestSchema } from "@/lib/protocol/runner-api";
import { generateRunnerKeyPair, verifyPayload } from "@/lib/protocol/signing";
import { createDockerEngine } from "./docker/dockerode-docker";
import { EngineRunError } from "./engines/engine";
import { createFixtureEngine, noisyAnswersCorrectly } from "./engines/fixture";
import { energyOf, evaluateClaim, resignSubmission, type EvaluateOptions } from "./evaluate";
import { createMemoryLogger } from "./log";
import { syntheticClaim } from "./synthetic-claim";
import { buildRequests } from "@/lib/benchmarks/build-requests";
import { longContextBenchmarks } from "@/lib/benchmarks/long-context";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { submittedOutputsSha256 } from "@/lib/benchmarks/score-outputs";
import { fixturePromptTokens } from "./engines/fixture-key";
import { dockerIsAvailable } from "./test-helpers/docker";

const hasDocker = await dockerIsAvailable();
const keys = generateRunnerKeyPair();
let workDir: string;

function options(model: string, benchmark: string, extra: Partial<EvaluateOptions> = {}): EvaluateOptions {
  const docker = createDockerEngine();
  return {
    claim: syntheticClaim({ model, benchmark }),
    engine: createFixtureEngine({ docker }),
    runner: { id: "runner-1", name: "alice-box", privateKeyPem: keys.privateKeyPem },
    workDir,
    cacheDir: path.join(workDir, "cache"),
    gpus: null,
    timeoutMs: 60_000,
    logger: createMemoryLogger().logger,
    ...extra,
  };
}

describe.skipIf(!hasDocker)("evaluateClaim with the fixture engine (real Docker)", () => {
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), "quorum-eval-"));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("evaluates fixture/perfect on gsm8k: every item right, signed, and the task dir cleaned up", async () => {
    const result = await evaluateClaim(options("fixture/perfect", "gsm8k@3"));
    expect(result.scores["exact_match,strict-match"]).toBe(1);
    expect(result.scores["exact_match,flexible-extract"]).toBe(1);
    const { payload, signature } = ZSubmitResultRequestSchema.parse(result.submission);
    expect(verifyPayload(payload, signature, keys.publicKey)).toBe(true);
    expect(payload.outputs).toHaveLength(5);
    expect(payload.outputsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(payload.engine.name).toBe("fixture");
    expect(payload.engine.imageDigest).toMatch(/^sha256:/);
    expect(payload.gpu).toBeNull();
    expect(payload.energyKwh).toBeNull();
    expect(payload.runtimeSeconds).toBeGreaterThan(0);
    expect(await readdir(path.join(workDir, "tasks"))).toEqual([]);
    // A resubmission after a long wait gets a fresh signedAt and a valid signature.
    const later = resignSubmission(result.submission, keys.privateKeyPem, new Date(Date.now() + 60_000));
    expect(later.payload.signedAt).not.toBe(payload.signedAt);
    expect(verifyPayload(later.payload, later.signature, keys.publicKey)).toBe(true);
  });

  it("reports each item's token count from the engine: a long-context tier's prompt tokens, perplexity's scored tokens", async () => {
    const tier = longContextBenchmarks[0]!;
    const long = await evaluateClaim(options("fixture/perfect", tier.key, { claim: syntheticClaim({ model: "fixture/perfect", benchmark: tier.key, items: 2 }) }));
    const prompts = new Map(buildRequests(tier, long.submission.payload.outputs.map((o) => o.item)).map((r) => [r.item, r.kind === "generate_until" ? r.prompt : ""]));
    for (const output of long.submission.payload.outputs) {
      // The fixture counts one token per CHARS_PER_TOKEN characters of the prompt, as its usage.prompt_tokens.
      expect(output.tokens).toBe(fixturePromptTokens(prompts.get(output.item)!));
      expect(output.tokens).toBeGreaterThan(tier.contextTokens! * 0.8);
    }
    expect(long.records.every((r) => typeof r.tokens === "number")).toBe(true);

    const ppl = await evaluateClaim(options("fixture/perfect", "heldout_ppl@1"));
    const requests = buildRequests(getBenchmark("heldout_ppl@1"), ppl.submission.payload.outputs.map((o) => o.item));
    for (const output of ppl.submission.payload.outputs) {
      // One scored (continuation) token per window in the fixture's usage: the document's windows.
      expect(output.tokens).toBe(requests.filter((r) => r.item === output.item).length);
    }
    // Reported, not scored: the outputs hash is the one the same outputs without counts have.
    const bare = ppl.submission.payload.outputs.map(({ tokens: _tokens, ...rest }) => rest);
    expect(submittedOutputsSha256(getBenchmark("heldout_ppl@1"), bare)).toBe(ppl.submission.payload.outputsSha256);
  });

  it("evaluates fixture/perfect and fixture/wrong on truthfulqa_mc (log-likelihoods through echo+logprobs)", async () => {
    const right = await evaluateClaim(options("fixture/perfect", "truthfulqa_mc@2"));
    expect(right.scores.mc1).toBe(1);
    expect(right.scores.mc2).toBeGreaterThan(0.99);
    const wrong = await evaluateClaim(options("fixture/wrong", "truthfulqa_mc@2"));
    expect(wrong.scores.mc1).toBe(0);
    expect(wrong.scores.mc2).toBeLessThan(0.01);
  });

  it("makes runners disagree on fixture/noisy-<seed> by the published rule", async () => {
    const seed = "42";
    const names = ["r-a", "r-b", "r-c", "r-d", "r-e", "r-f", "r-g", "r-h"];
    const good = names.find((n) => noisyAnswersCorrectly(seed, n))!;
    const bad = names.find((n) => !noisyAnswersCorrectly(seed, n))!;
    expect(good && bad).toBeTruthy();
    const base = options(`fixture/noisy-${seed}`, "gsm8k@3");
    const a = await evaluateClaim({ ...base, runner: { ...base.runner, name: good } });
    const b = await evaluateClaim({ ...base, claim: syntheticClaim({ model: `fixture/noisy-${seed}`, benchmark: "gsm8k@3" }), runner: { ...base.runner, name: bad } });
    expect(a.scores["exact_match,strict-match"]).toBe(1);
    expect(b.scores["exact_match,strict-match"]).toBe(0);
  });

  it("reports an engine crash with its exit code and last words", async () => {
    const error = await evaluateClaim(options("fixture/crash", "gsm8k@3")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineRunError);
    expect((error as EngineRunError).failure).toBe("crash");
    expect((error as EngineRunError).message).toMatch(/exited with code 3: .*simulated engine crash/);
  });

  it("kills a hung engine at the wall-clock timeout and says so", async () => {
    const started = Date.now();
    const error = await evaluateClaim(options("fixture/hang", "gsm8k@3", { timeoutMs: 2000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineRunError);
    expect((error as EngineRunError).failure).toBe("timeout");
    expect((error as EngineRunError).message).toMatch(/did not finish within 2 s and was killed/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("refuses a model the fixture engine cannot run, before starting anything", async () => {
    const error = await evaluateClaim(options("someone/real-model", "gsm8k@3")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineRunError);
    expect((error as EngineRunError).failure).toBe("unsupported-model");
    const unknown = await evaluateClaim(options("fixture/telepathic", "gsm8k@3")).catch((e: unknown) => e);
    expect((unknown as EngineRunError).message).toMatch(/unknown fixture model/);
  });
});

describe("energyOf", () => {
  it("prefers power readings, falls back to declared watts marked as declared, and never invents zero", () => {
    expect(energyOf(0.002, 300, 60_000)).toEqual({ energyKwh: 0.002, energySource: "measured" });
    expect(energyOf(null, 300, 60_000)).toEqual({ energyKwh: 0.005, energySource: "declared" });
    expect(energyOf(null, undefined, 60_000)).toEqual({ energyKwh: null });
  });
});
