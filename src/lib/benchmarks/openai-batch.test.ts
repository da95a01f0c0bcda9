import { describe, expect, it } from "vitest";
import { buildRequests } from "./build-requests";
import type { EngineRequest } from "./engine-contract";
import { gsm8k } from "./gsm8k";
import { contextLineId, encodePair, parseOpenAIBatchOutput, toOpenAIBatchJsonl } from "./openai-batch";
import { truthfulqaMc } from "./truthfulqa";

/** A stand-in for vLLM's /v1/completions: a word tokenizer with a BOS token, log-probabilities from token length. */
function tokenize(text: string): string[] {
  return ["<s>", ...(text.match(/\s*\S+|\s+/g) ?? [])];
}
const tokenLogprob = (token: string) => -0.125 * token.length;

function fakeVllm(jsonl: string, options: { greedyTop?: boolean } = {}): string {
  return jsonl
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { custom_id: string; body: { prompt: string; echo?: boolean; logprobs?: number } })
    .map(({ custom_id, body }) => {
      const tokens = tokenize(body.prompt);
      const generated = body.echo ? "\n" : " #### 18";
      const logprobs = body.logprobs
        ? {
            tokens: [...tokens, generated],
            token_logprobs: [null, ...tokens.slice(1).map(tokenLogprob), -0.5],
            top_logprobs: [null, ...tokens.slice(1).map((t) => ({ [t]: tokenLogprob(t), ...(options.greedyTop ? {} : { " the": -0.01 }) })), { "\n": -0.5 }],
            text_offset: [],
          }
        : null;
      return JSON.stringify({
        id: `vllm-${custom_id}`,
        custom_id,
        response: {
          status_code: 200,
          request_id: `vllm-batch-${custom_id}`,
          body: {
            id: "cmpl-1",
            object: "text_completion",
            model: "m",
            choices: [{ index: 0, text: body.echo ? body.prompt + generated : generated, logprobs, finish_reason: "length" }],
            usage: { prompt_tokens: tokens.length, completion_tokens: 1, total_tokens: tokens.length + 1 },
          },
        },
        error: null,
      });
    })
    .join("\n");
}

describe("toOpenAIBatchJsonl", () => {
  it("writes /v1/completions lines: greedy generation with stop sequences", () => {
    const [line] = toOpenAIBatchJsonl(buildRequests(gsm8k, ["test/0"]), "org/model").trim().split("\n");
    expect(JSON.parse(line!)).toEqual({
      custom_id: "test/0",
      method: "POST",
      url: "/v1/completions",
      body: {
        model: "org/model",
        prompt: gsm8k.promptOf("test/0"),
        max_tokens: 256,
        temperature: 0,
        stop: ["Question:", "</s>", "<|im_end|>"],
        seed: 1234,
      },
    });
  });

  it("writes echo + logprobs lines for log-likelihoods, plus one line per distinct context", () => {
    const requests = buildRequests(truthfulqaMc, ["mc/0", "mc/1"]);
    const lines = toOpenAIBatchJsonl(requests, "m").trim().split("\n").map((l) => JSON.parse(l) as { custom_id: string; body: Record<string, unknown> });
    expect(lines).toHaveLength(requests.length + 2);
    expect(lines[0]!.body).toEqual({
      model: "m",
      prompt: `${truthfulqaMc.promptOf("mc/0")} Nauru is the smallest country in the world that is at least one square mile in area.`,
      max_tokens: 1,
      temperature: 0,
      logprobs: 1,
      echo: true,
      seed: 1234,
    });
    expect(lines.at(-2)).toEqual({
      custom_id: contextLineId(truthfulqaMc.promptOf("mc/0")),
      method: "POST",
      url: "/v1/completions",
      body: { model: "m", prompt: truthfulqaMc.promptOf("mc/0"), max_tokens: 1, temperature: 0, seed: 1234 },
    });
  });

  it("moves the context's trailing whitespace to the continuation, as the harness's _encode_pair does", () => {
    expect(encodePair({ context: "Q: x\nA: ", continuation: "yes" })).toEqual({ context: "Q: x\nA:", continuation: " yes" });
  });

  it("refuses duplicate and reserved request ids", () => {
    const [request] = buildRequests(gsm8k, ["test/0"]);
    expect(() => toOpenAIBatchJsonl([request!, request!], "m")).toThrow("request id test/0 is used twice");
    expect(() => toOpenAIBatchJsonl([{ ...request!, id: "ctx/1" }], "m")).toThrow(/reserved prefix/);
  });
});

describe("parseOpenAIBatchOutput", () => {
  it("returns generations in request order", () => {
    const requests = buildRequests(gsm8k, ["test/0", "test/1"]);
    const output = fakeVllm(toOpenAIBatchJsonl(requests, "m")).split("\n").reverse().join("\n");
    const prompts = requests.map((r) => (r.kind === "generate_until" ? r.prompt : ""));
    // With the prompt's token count as the engine reported it (usage.prompt_tokens).
    expect(parseOpenAIBatchOutput(output, requests)).toEqual([
      { id: "test/0", text: " #### 18", tokens: tokenize(prompts[0]!).length },
      { id: "test/1", text: " #### 18", tokens: tokenize(prompts[1]!).length },
    ]);
  });

  it("sums the continuation's token log-probabilities: whole[len(context tokens):], like the harness", () => {
    const requests = buildRequests(truthfulqaMc, ["mc/0"]);
    const responses = parseOpenAIBatchOutput(fakeVllm(toOpenAIBatchJsonl(requests, "m")), requests);
    const first = requests[0] as Extract<EngineRequest, { kind: "loglikelihood" }>;
    const continuationTokens = tokenize(first.context + first.continuation).slice(tokenize(first.context).length);
    expect(continuationTokens[0]).toBe(" Nauru");
    expect(responses[0]).toEqual({
      id: first.id,
      loglikelihood: continuationTokens.reduce((sum, t) => sum + tokenLogprob(t), 0),
      isGreedy: false,
      tokens: continuationTokens.length,
    });
    const greedy = parseOpenAIBatchOutput(fakeVllm(toOpenAIBatchJsonl(requests, "m"), { greedyTop: true }), requests);
    expect(greedy.every((r) => "isGreedy" in r && r.isGreedy)).toBe(true);
  });

  const requests = buildRequests(truthfulqaMc, ["mc/0"]);
  const good = () => fakeVllm(toOpenAIBatchJsonl(requests, "m")).split("\n");
  it.each([
    ["a missing line", () => good().slice(1), "custom_id mc/0/mc1/0 (item mc/0): no line in the batch output"],
    ["a missing context line", () => good().slice(0, -1), /custom_id ctx\/[0-9a-f]{16}: no line in the batch output/],
    ["a duplicate line", () => [...good(), good()[0]!], "batch output line 10: custom_id mc/0/mc1/0 appears twice"],
    ["an unknown custom_id", () => [...good(), good()[0]!.replace('"mc/0/mc1/0"', '"mc/0/mc1/7"')], "batch output line 10: custom_id mc/0/mc1/7 matches no request"],
    ["a failed request", () => [JSON.stringify({ custom_id: "mc/0/mc1/0", response: { status_code: 400, request_id: "x" }, error: { message: "prompt too long" } }), ...good().slice(1)], "custom_id mc/0/mc1/0 (item mc/0) failed: prompt too long"],
    ["invalid JSON", () => ["{oops", ...good()], "batch output line 1 is not valid JSON"],
    ["no echo", () => good().map((l) => l.replace(/"logprobs":\{.*?\},"finish_reason"/, '"logprobs":null,"finish_reason"')), "custom_id mc/0/mc1/0 (item mc/0): no logprobs.token_logprobs (the request needs echo and logprobs)"],
  ])("names the custom_id for %s", (_name, make, message) => {
    expect(() => parseOpenAIBatchOutput(make().join("\n"), requests)).toThrow(message);
  });
});
