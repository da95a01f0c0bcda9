/**
 * Per-item token counts: the engine's own counts (usage.prompt_tokens) become an optional, bounded `tokens` on each
 * submitted output and stored record; they are validated, carried, and kept out of scoring and the outputs hash.
 */
import { describe, expect, it } from "vitest";
import { MAX_ITEM_TOKENS, ZItemOutputSchema, ZSubmissionPayloadSchema } from "@/lib/protocol/runner-api";
import { buildRequests } from "./build-requests";
import type { EngineResponse } from "./engine-contract";
import { checkEngineResponse, outputsFromResponses } from "./engine-responses";
import { BenchmarkInputError } from "./errors";
import { gsm8k } from "./gsm8k";
import { parseOpenAIBatchOutput, toOpenAIBatchJsonl } from "./openai-batch";
import { heldoutPerplexity } from "./perplexity";
import { scoreOutputs } from "./score-outputs";

describe("the protocol's per-item token count", () => {
  it("accepts whole numbers from 0 to 2^24 on both kinds of output, and no token count at all", () => {
    for (const tokens of [0, 1, 4096, MAX_ITEM_TOKENS]) {
      expect(ZItemOutputSchema.safeParse({ item: "test/0", output: "x", tokens }).success).toBe(true);
      expect(ZItemOutputSchema.safeParse({ item: "doc/0", loglikelihoods: { doc: [-1] }, tokens }).success).toBe(true);
    }
    expect(ZItemOutputSchema.safeParse({ item: "test/0", output: "x" }).success).toBe(true);
  });

  it("refuses negative, fractional, too large, non-numeric and non-finite counts", () => {
    for (const tokens of [-1, 1.5, MAX_ITEM_TOKENS + 1, "12", null, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(ZItemOutputSchema.safeParse({ item: "test/0", output: "x", tokens }).success).toBe(false);
      expect(ZItemOutputSchema.safeParse({ item: "doc/0", loglikelihoods: { doc: [-1] }, tokens }).success).toBe(false);
    }
  });

  it("is part of the signed payload's outputs", () => {
    const payload = {
      assignmentId: "a",
      taskId: "t",
      runnerId: "r",
      claimToken: "c",
      signedAt: new Date().toISOString(),
      benchmark: "gsm8k@3",
      outputs: [{ item: "test/0", output: "#### 1", tokens: 212 }],
      outputsSha256: "0".repeat(64),
      claimedScore: {},
      engine: { name: "vllm", version: "0.12.0", imageDigest: "sha256:x" },
      gpu: null,
      runtimeSeconds: 1,
      energyKwh: null,
    };
    expect(ZSubmissionPayloadSchema.parse(payload).outputs[0]).toEqual({ item: "test/0", output: "#### 1", tokens: 212 });
    expect(ZSubmissionPayloadSchema.safeParse({ ...payload, outputs: [{ item: "test/0", output: "#### 1", tokens: -3 }] }).success).toBe(false);
  });
});

describe("scoring with token counts", () => {
  const outputs = [
    { item: "test/0", output: "The answer is 18.\n#### 18" },
    { item: "test/1", output: "#### 3" },
  ];

  it("stores each count in the item's record, and neither the scores nor the outputs hash depend on it", () => {
    const bare = scoreOutputs(gsm8k, ["test/0", "test/1"], outputs);
    const counted = scoreOutputs(gsm8k, ["test/0", "test/1"], outputs.map((o, i) => ({ ...o, tokens: 100 + i })));
    expect(counted.records.map((r) => r.tokens)).toEqual([100, 101]);
    expect(bare.records.every((r) => r.tokens === undefined)).toBe(true);
    expect(counted.metrics).toEqual(bare.metrics);
    expect(counted.outputsSha256).toBe(bare.outputsSha256);
    // Different counts from two runners do not change what consensus compares either.
    const other = scoreOutputs(gsm8k, ["test/0", "test/1"], outputs.map((o) => ({ ...o, tokens: 7 })));
    expect(other.outputsSha256).toBe(bare.outputsSha256);
  });

  it("refuses a bad count naming the item", () => {
    expect(() => scoreOutputs(gsm8k, ["test/0", "test/1"], [outputs[0], { ...outputs[1], tokens: -1 }])).toThrow(BenchmarkInputError);
    expect(() => scoreOutputs(gsm8k, ["test/0", "test/1"], [outputs[0], { ...outputs[1], tokens: 2.5 }])).toThrow(/item test\/1/);
  });
});

/** A /v1/completions double with a word tokenizer (BOS first), as the openai-batch tests use. */
function fakeEngine(jsonl: string): string {
  const tokenize = (text: string) => ["<s>", ...(text.match(/\s*\S+|\s+/g) ?? [])];
  return jsonl
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { custom_id: string; body: { prompt: string; echo?: boolean } })
    .map(({ custom_id, body }) => {
      const tokens = tokenize(body.prompt);
      const logprobs = body.echo ? { tokens, token_logprobs: [null, ...tokens.slice(1).map(() => -0.25)], top_logprobs: null } : null;
      return JSON.stringify({
        id: custom_id,
        custom_id,
        response: {
          status_code: 200,
          request_id: custom_id,
          body: { choices: [{ index: 0, text: body.echo ? "" : " #### 18", logprobs }], usage: { prompt_tokens: tokens.length } },
        },
        error: null,
      });
    })
    .join("\n");
}

describe("token counts from the engine's responses", () => {
  it("reads a generation's prompt tokens and a log-likelihood's scored tokens from usage.prompt_tokens", () => {
    const generation = buildRequests(gsm8k, ["test/0"]);
    const [answer] = parseOpenAIBatchOutput(fakeEngine(toOpenAIBatchJsonl(generation, "m")), generation);
    const prompt = generation[0]!.kind === "generate_until" ? generation[0]!.prompt : "";
    expect(answer).toMatchObject({ text: " #### 18", tokens: 1 + (prompt.match(/\s*\S+|\s+/g) ?? []).length });

    const windows = buildRequests(heldoutPerplexity, ["doc/0"]);
    const responses = parseOpenAIBatchOutput(fakeEngine(toOpenAIBatchJsonl(windows, "m")), windows);
    const [output] = outputsFromResponses(heldoutPerplexity, ["doc/0"], windows, responses);
    // Each window's continuation tokens, summed over the document's windows.
    const scored = responses.reduce((n, r) => n + (r.tokens ?? 0), 0);
    expect(scored).toBeGreaterThan(10);
    expect(output!.tokens).toBe(scored);
  });

  it("leaves the count out when a response of the item has none, and refuses a bad one", () => {
    const requests = buildRequests(gsm8k, ["test/0", "test/1"]);
    const responses: EngineResponse[] = [
      { id: requests[0]!.id, text: "#### 1", tokens: 40 },
      { id: requests[1]!.id, text: "#### 2" },
    ];
    const outputs = outputsFromResponses(gsm8k, ["test/0", "test/1"], requests, responses);
    expect(outputs).toEqual([
      { item: "test/0", output: "#### 1", tokens: 40 },
      { item: "test/1", output: "#### 2" },
    ]);
    expect(() => checkEngineResponse(requests[0]!, { id: requests[0]!.id, text: "x", tokens: -2 })).toThrow(/"tokens" must be a whole number/);
    expect(() => checkEngineResponse(requests[0]!, { id: requests[0]!.id, text: "x", tokens: MAX_ITEM_TOKENS + 1 })).toThrow(BenchmarkInputError);
  });
});
