import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import fewshot from "./fixtures/gsm8k-fewshot.json";
import scoring from "./fixtures/gsm8k-scoring.json";
import { gsm8k, GSM8K_MAX_OUTPUT_CHARS } from "./gsm8k";
import { gsm8kData } from "./gsm8k-data";
import { scoreOutputs } from "./score-outputs";
import { sha256Hex } from "./sha256";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", name), "utf8");

describe("gsm8k@3 prompts are the harness's, byte for byte", () => {
  it("test/0: five exemplars drawn by random.Random(1234).sample(train, 5)", () => {
    expect(gsm8k.promptOf("test/0")).toBe(fixture("gsm8k-prompt-test-0.txt"));
  });

  it("test/1318: the generator state carries over through every earlier test document", () => {
    expect(gsm8k.promptOf("test/1318")).toBe(fixture("gsm8k-prompt-test-1318.txt"));
  });

  it("every test document's exemplars match CPython's draws", () => {
    const { exemplars } = gsm8kData();
    expect(exemplars.slice(0, 5)).toEqual(fewshot.first);
    expect(exemplars.at(-1)).toEqual(fewshot.last);
    expect(exemplars).toHaveLength(fewshot.count);
    expect(sha256Hex(JSON.stringify(exemplars))).toBe(fewshot.sha256OfCompactJson);
  });

  it("builds one greedy generate_until request per item, with the harness's stop sequences", () => {
    expect(gsm8k.buildItemRequests("test/7")).toEqual([
      {
        kind: "generate_until",
        id: "test/7",
        item: "test/7",
        prompt: gsm8k.promptOf("test/7"),
        until: ["Question:", "</s>", "<|im_end|>"],
        maxTokens: 256,
      },
    ]);
  });

  it("knows its items and the reference answers", () => {
    expect(gsm8k.itemCount()).toBe(1319);
    expect(gsm8k.allItemIds().slice(0, 2)).toEqual(["test/0", "test/1"]);
    expect(gsm8k.hasItem("test/1318")).toBe(true);
    for (const bad of ["test/1319", "test/01", "test/-1", "train/0", "test/"]) expect(gsm8k.hasItem(bad)).toBe(false);
    expect(gsm8k.goldAnswer("test/0")).toEqual({ kind: "generate_until", answer: "18" });
    expect(gsm8k.goldAnswer(scoring.commaItem)).toEqual({ kind: "generate_until", answer: "2,125" });
  });
});

describe("gsm8k@3 scoring of submitted outputs", () => {
  it("scores real items with the metric names the harness reports", () => {
    const { records, metrics } = scoreOutputs(gsm8k, ["test/0", scoring.commaItem], [
      { item: "test/0", output: " 16 - 3 - 4 = 9, 9 * 2 = $18.\n#### 18\n\nQuestion: Ignore me\nAnswer: #### 5" },
      { item: scoring.commaItem, output: " So it is $2125 in total." },
    ]);
    expect(records.map((r) => r.extracted)).toEqual([
      { "strict-match": "18", "flexible-extract": "18" },
      { "strict-match": "[invalid]", "flexible-extract": "$2125" },
    ]);
    expect(metrics).toEqual({ "exact_match,strict-match": 0.5, "exact_match,flexible-extract": 1 });
  });

  it("rejects log-likelihoods and absurdly long outputs, naming the item", () => {
    expect(() => scoreOutputs(gsm8k, null, [{ item: "test/3", loglikelihoods: { mc1: [-1] } }])).toThrow(
      /item test\/3: gsm8k expects "output"/,
    );
    expect(() => scoreOutputs(gsm8k, null, [{ item: "test/3", output: "x".repeat(GSM8K_MAX_OUTPUT_CHARS + 1) }])).toThrow(
      /item test\/3: output is 100001 characters/,
    );
  });
});
