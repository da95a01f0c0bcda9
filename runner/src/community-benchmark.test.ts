/**
 * The runner's side of a community benchmark: the claim carries the definition, the runner downloads the dataset
 * from a local HTTP file server (a test double for a public dataset host), verifies its sha256, and evaluates it with
 * the fixture engine in real Docker; a dataset whose bytes are not the pinned ones fails the evaluation with that
 * reason (cause `download`), never a crash.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommunityBenchmark } from "@/lib/benchmarks/community/definition";
import { DatasetFetchError } from "@/lib/benchmarks/community/fetch-dataset";
import { sha256Hex } from "@/lib/benchmarks/sha256";
import { ZClaimSchema, type TClaim } from "@/lib/protocol/runner-api";
import { generateRunnerKeyPair } from "@/lib/protocol/signing";
import { createDockerEngine } from "./docker/dockerode-docker";
import { createFixtureEngine } from "./engines/fixture";
import { evaluateClaim } from "./evaluate";
import { failureCauseOf } from "./failure-cause";
import { createMemoryLogger } from "./log";
import { syntheticClaim } from "./synthetic-claim";
import { dockerIsAvailable } from "./test-helpers/docker";

const hasDocker = await dockerIsAvailable();
const DATA = Array.from({ length: 8 }, (_, i) => JSON.stringify({ input: `${i} + 1`, target: String(i + 1) })).join("\n") + "\n";
const MC = Array.from({ length: 8 }, (_, i) => JSON.stringify({ input: `Pick ${i}`, choices: ["a", "b", "c"], label: i % 3 })).join("\n") + "\n";
const TEXT = Array.from({ length: 8 }, (_, i) => JSON.stringify({ text: `Document ${i}: ${"some words ".repeat(i + 1)}` })).join("\n") + "\n";
const keys = generateRunnerKeyPair();
let fileServer: Server;
let base: string;
let workDir: string;

function communityClaim(slug: string, sha256: string, overrides: Record<string, unknown> = {}): TClaim {
  const parsed = parseCommunityBenchmark({
    slug,
    name: "Runner arithmetic",
    family: "generate_until_exact_match",
    promptTemplate: "Q: {{input}}\nA:",
    fewshot: { count: 1 },
    metric: "exact_match",
    itemsPerTask: 3,
    dataset: { url: `${base}/data.jsonl`, sha256, licence: "CC0-1.0" },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const claim = syntheticClaim({ model: "fixture/perfect", benchmark: "gsm8k@3" });
  return ZClaimSchema.parse({
    ...claim,
    task: {
      ...claim.task,
      benchmark: { key: `${slug}@1`, name: "Runner arithmetic", community: { version: "1", itemCount: 8 - parsed.value.fewshot.count, definition: parsed.value } },
      itemIds: ["item/1", "item/4", "item/7"],
    },
  });
}

function evaluate(claim: TClaim) {
  return evaluateClaim({
    claim,
    engine: createFixtureEngine({ docker: createDockerEngine() }),
    runner: { id: "runner-1", name: "alice-box", privateKeyPem: keys.privateKeyPem },
    workDir,
    cacheDir: path.join(workDir, "cache"),
    gpus: null,
    timeoutMs: 60_000,
    logger: createMemoryLogger().logger,
    datasets: { allowPrivateHosts: true },
  });
}

describe.skipIf(!hasDocker)("a community benchmark on the runner (fixture engine, real Docker)", () => {
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), "quorum-community-"));
    fileServer = createServer((request, response) => {
      if (request.url === "/data.jsonl") return response.end(DATA);
      if (request.url === "/mc.jsonl") return response.end(MC);
      if (request.url === "/text.jsonl") return response.end(TEXT);
      response.writeHead(404);
      response.end();
    });
    await new Promise<void>((resolve) => fileServer.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
    await new Promise<void>((resolve) => fileServer.close(() => resolve()));
  });

  it("builds the benchmark from the claim, downloads and verifies the dataset, and scores every item right", async () => {
    const result = await evaluate(communityClaim("runner_arith", sha256Hex(DATA)));
    expect(result.scores.exact_match).toBe(1);
    expect(result.records.map((record) => record.extracted.answer)).toEqual(["2", "5", "8"]);
    expect(result.submission.payload.benchmark).toBe("runner_arith@1");
  }, 120_000);

  it("multiple choice and rolling log-likelihoods: the fixture engine answers them, the runner scores them", async () => {
    const mc = await evaluate(
      communityClaim("runner_mc", sha256Hex(MC), { family: "loglikelihood_multiple_choice", metric: "acc", dataset: { url: `${base}/mc.jsonl`, sha256: sha256Hex(MC), licence: "CC0-1.0" } }),
    );
    expect(mc.scores.acc).toBe(1);
    // Items 1, 4 and 7: label i % 3 = 1 each time.
    expect(mc.records.map((record) => record.extracted.acc)).toEqual(["1", "1", "1"]);
    const rolling = await evaluate(
      communityClaim("runner_text", sha256Hex(TEXT), {
        family: "loglikelihood_rolling",
        metric: "bits_per_byte",
        promptTemplate: "Text:\n{{input}}",
        fewshot: { count: 0 },
        dataset: { url: `${base}/text.jsonl`, sha256: sha256Hex(TEXT), licence: "CC0-1.0" },
      }),
    );
    // The fixture engine's right model: 0.5 nats per byte, 0.72 bits per byte.
    expect(rolling.scores.bits_per_byte).toBeCloseTo(0.5 / Math.LN2, 6);
  }, 120_000);

  it("fails the evaluation with the reason when the dataset is not the pinned bytes", async () => {
    const error = await evaluate(communityClaim("runner_arith_bad", "0".repeat(64))).then(() => null, (caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(DatasetFetchError);
    expect(error!.message).toContain(`has sha256 ${sha256Hex(DATA)}, not the pinned ${"0".repeat(64)}`);
    expect(failureCauseOf(error!)).toBe("download");
  });
});
