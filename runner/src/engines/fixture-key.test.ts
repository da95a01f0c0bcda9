import { describe, expect, it } from "vitest";
import { buildRequests } from "@/lib/benchmarks/build-requests";
import { outputsFromResponses } from "@/lib/benchmarks/engine-responses";
import { parseOpenAIBatchOutput, toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { scoreOutputs, scoreOutputsAsync } from "@/lib/benchmarks/score-outputs";
import { answersCorrectly, FIXTURE_BEHAVIOURS, parseFixtureModel } from "../../fixture-image/rules.mjs";
import { noisyAnswersCorrectly } from "./fixture";
import { buildFixtureKey } from "./fixture-key";

/** What the fixture program writes for a batch input, given which body it picks (see fixture-engine.mjs). */
function fixtureOutput(jsonl: string, key: ReturnType<typeof buildFixtureKey>, correct: boolean): string {
  return jsonl
    .split("\n")
    .filter((l) => l.trim())
    .map((l, n) => {
      const customId = (JSON.parse(l) as { custom_id: string }).custom_id;
      const entry = key.answers[customId]!;
      return JSON.stringify({
        id: `fixture-${n}`,
        custom_id: customId,
        response: { status_code: 200, request_id: `fixture-req-${n}`, body: correct ? entry.correct : entry.wrong },
        error: null,
      });
    })
    .join("\n");
}

describe("the fixture key, over every item of every benchmark", () => {
  it.each(["gsm8k@3", "truthfulqa_mc@2"])("%s: the right bodies score every item right, the wrong ones every item wrong", (key) => {
    const definition = getBenchmark(key);
    const itemIds = definition.allItemIds();
    const requests = buildRequests(definition, itemIds);
    const jsonl = toOpenAIBatchJsonl(requests, "fixture/perfect");
    const fixtureKey = buildFixtureKey(definition, itemIds, requests, jsonl, "fixture/perfect");
    for (const correct of [true, false]) {
      const responses = parseOpenAIBatchOutput(fixtureOutput(jsonl, fixtureKey, correct), requests);
      const scored = scoreOutputs(definition, itemIds, outputsFromResponses(definition, itemIds, requests, responses));
      for (const record of scored.records) {
        for (const metric of definition.metrics) {
          const score = record.scores[metric.name]!;
          if (correct) expect(score, `${record.item} ${metric.name}`).toBeGreaterThan(0.99);
          else expect(score, `${record.item} ${metric.name}`).toBeLessThan(0.01);
        }
      }
    }
  });
});

describe("fixture model names", () => {
  it("parses every behaviour, with slow's seconds from the name or QUORUM_FIXTURE_SECONDS", () => {
    for (const behaviour of FIXTURE_BEHAVIOURS.filter((b: string) => b !== "noisy")) {
      expect(parseFixtureModel(`fixture/${behaviour}`, {}).behaviour).toBe(behaviour);
    }
    expect(parseFixtureModel("fixture/noisy-7", {})).toMatchObject({ behaviour: "noisy", seed: "7" });
    expect(parseFixtureModel("fixture/slow-60", {}).seconds).toBe(60);
    expect(parseFixtureModel("fixture/slow", { QUORUM_FIXTURE_SECONDS: "12" }).seconds).toBe(12);
    expect(parseFixtureModel("fixture/slow", {}).seconds).toBe(5);
    expect(() => parseFixtureModel("fixture/noisy", {})).toThrow(/seed/);
    expect(() => parseFixtureModel("fixture/unknown", {})).toThrow(/unknown fixture model/);
    expect(() => parseFixtureModel("org/model", {})).toThrow(/not a fixture model/);
  });

  it("decides noisy answers by the parity of sha256('<seed>:<runner name>')[0], even = correct", () => {
    // First bytes computed independently with `printf '1:a' | sha256sum`: 0x41 (odd), 0xb8 (even), 0x24 (even).
    expect(noisyAnswersCorrectly("1", "a")).toBe(false);
    expect(noisyAnswersCorrectly("1", "c")).toBe(true);
    expect(noisyAnswersCorrectly("1", "d")).toBe(true);
    expect(answersCorrectly(parseFixtureModel("fixture/wrong", {}), "x")).toBe(false);
    expect(answersCorrectly(parseFixtureModel("fixture/slow-1", {}), "x")).toBe(true);
  });
});

describe("the fixture key answers the newer families right and wrong", () => {
  it.each(["humaneval@1", "claim_verdict_ll@1", "claim_verdict_gen@1", "heldout_ppl@1", "longctx_4k@1"])(
    "%s: right bodies score the primary metric best, wrong ones worst",
    async (key) => {
      const definition = getBenchmark(key);
      const itemIds = definition.allItemIds().slice(0, 6);
      const requests = buildRequests(definition, itemIds);
      const jsonl = toOpenAIBatchJsonl(requests, "fixture/perfect");
      const fixtureKey = buildFixtureKey(definition, itemIds, requests, jsonl, "fixture/perfect");
      const primary: number[] = [];
      for (const correct of [true, false]) {
        const responses = parseOpenAIBatchOutput(fixtureOutput(jsonl, fixtureKey, correct), requests);
        const scored = await scoreOutputsAsync(definition, itemIds, outputsFromResponses(definition, itemIds, requests, responses));
        primary.push(scored.metrics[definition.primaryMetric]!);
      }
      const [right, wrong] = primary as [number, number];
      if (key === "heldout_ppl@1") expect(right).toBeLessThan(wrong);
      else expect([right, wrong]).toEqual([1, 0]);
    },
    120_000,
  );
});
