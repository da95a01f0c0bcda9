import { describe, expect, it } from "vitest";
import { buildRequests } from "./build-requests";
import type { EngineResponse } from "./engine-contract";
import { outputsFromResponses } from "./engine-responses";
import { goldAnswer } from "./gold-answer";
import { gsm8k } from "./gsm8k";
import { scoreOutputs } from "./score-outputs";
import { truthfulqaMc } from "./truthfulqa";

describe("outputsFromResponses", () => {
  it("gsm8k: one output per item, in item order, from responses in any order", () => {
    const items = ["test/4", "test/9"];
    const requests = buildRequests(gsm8k, items);
    const responses = [
      { id: "test/9", text: "#### 1" },
      { id: "test/4", text: "#### 2" },
    ];
    expect(outputsFromResponses(gsm8k, items, requests, responses)).toEqual([
      { item: "test/4", output: "#### 2" },
      { item: "test/9", output: "#### 1" },
    ]);
  });

  it("truthfulqa: log-likelihood arrays per item in the data file's choice order; a perfect engine scores 1 on mc1", () => {
    const items = ["mc/0", "mc/25"];
    const requests = buildRequests(truthfulqaMc, items);
    const responses: EngineResponse[] = requests.map((request) => {
      if (request.kind !== "loglikelihood") throw new Error("unexpected request kind");
      const gold = goldAnswer(truthfulqaMc, request.item);
      if (gold.kind !== "loglikelihood") throw new Error("unexpected gold kind");
      const [, target, index] = request.id.split("/").slice(1);
      const isTrue = target === "mc1" ? Number(index) === gold.mc1Correct : gold.mc2Labels[Number(index)] === 1;
      return { id: request.id, loglikelihood: isTrue ? -0.01 : -30 };
    });
    const outputs = outputsFromResponses(truthfulqaMc, items, requests, responses.reverse());
    expect(outputs.map((o) => o.item)).toEqual(items);
    const first = outputs[0]!;
    if (!("loglikelihoods" in first)) throw new Error("expected log-likelihoods");
    expect(first.loglikelihoods).toEqual({ mc1: [-0.01, -30, -30, -30], mc2: [-0.01, -30, -30, -30] });
    const { metrics } = scoreOutputs(truthfulqaMc, items, outputs);
    expect(metrics.mc1).toBe(1);
    expect(metrics.mc2).toBeGreaterThan(0.999);
  });

  const items = ["mc/0"];
  const requests = buildRequests(truthfulqaMc, items);
  const answers = () => requests.map((request) => ({ id: request.id, loglikelihood: -1 }) as Record<string, unknown>);
  it.each([
    ["a missing response", () => answers().slice(1), "item mc/0, request mc/0/mc1/0: no response"],
    ["an extra response", () => [...answers(), { id: "mc/0/mc1/9", loglikelihood: -1 }], 'response 8: no request has id "mc/0/mc1/9"'],
    ["a duplicate response", () => [...answers(), answers()[0]!], "item mc/0, request mc/0/mc1/0: answered twice"],
    ["a response without id", () => [{ loglikelihood: -1 }], 'response 0: "id" must be the request id, got missing'],
    ["NaN", () => answers().map((a, i) => (i === 2 ? { ...a, loglikelihood: Number.NaN } : a)), 'item mc/0, request mc/0/mc1/2: "loglikelihood" must be a finite number, got NaN'],
    ["a positive log-likelihood", () => answers().map((a, i) => (i === 5 ? { ...a, loglikelihood: 0.25 } : a)), 'item mc/0, request mc/0/mc2/1: "loglikelihood" is 0.25; a log-likelihood is at most 0'],
    ["a string log-likelihood", () => answers().map((a, i) => (i === 0 ? { ...a, loglikelihood: "-1" } : a)), 'item mc/0, request mc/0/mc1/0: "loglikelihood" must be a finite number, got "-1" (string)'],
    ["text for a log-likelihood request", () => answers().map((a, i) => (i === 0 ? { id: a.id, text: "Nauru" } : a)), 'item mc/0, request mc/0/mc1/0: "loglikelihood" must be a finite number, got missing'],
    ["a non-boolean isGreedy", () => answers().map((a, i) => (i === 0 ? { ...a, isGreedy: 1 } : a)), 'item mc/0, request mc/0/mc1/0: "isGreedy" must be a boolean when present, got 1 (number)'],
  ])("rejects %s with a message naming the item", (_name, make, message) => {
    expect(() => outputsFromResponses(truthfulqaMc, items, requests, make())).toThrow(message);
  });

  it("rejects a generation that is not text, and requests that are not the benchmark's", () => {
    const gsmRequests = buildRequests(gsm8k, ["test/0"]);
    expect(() => outputsFromResponses(gsm8k, ["test/0"], gsmRequests, [{ id: "test/0", text: 18 }])).toThrow(
      'item test/0, request test/0: "text" must be a string, got 18 (number)',
    );
    const tampered = [{ ...gsmRequests[0]!, prompt: "Question: 1+1?\nAnswer:" }];
    expect(() => outputsFromResponses(gsm8k, ["test/0"], tampered, [{ id: "test/0", text: "2" }])).toThrow(
      /not gsm8k@3's requests for these items/,
    );
  });
});
