import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/protocol/signing";
import { BenchmarkInputError } from "./errors";
import { gsm8k } from "./gsm8k";
import { canonicalRecordsSha256, scoreOutputs } from "./score-outputs";
import { sha256Hex } from "./sha256";
import { truthfulqaMc } from "./truthfulqa";

const items = ["test/0", "test/1", "test/2"];
const outputs = [
  { item: "test/0", output: " 9 * 2 = 18\n#### 18" },
  { item: "test/1", output: " It takes 2 + 1 = 3 bolts.\n#### 3" },
  { item: "test/2", output: " I am not sure" },
];

function thrown(fn: () => unknown): BenchmarkInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BenchmarkInputError) return error;
    throw error;
  }
  throw new Error("expected a BenchmarkInputError");
}

describe("scoreOutputs", () => {
  it("produces per-item records with prompt hash, raw output, extracted answers and scores", () => {
    const { records, metrics } = scoreOutputs(gsm8k, items, outputs);
    expect(records[0]).toEqual({
      item: "test/0",
      promptSha256: sha256Hex(gsm8k.promptOf("test/0")),
      output: " 9 * 2 = 18\n#### 18",
      extracted: { "strict-match": "18", "flexible-extract": "18" },
      scores: { "exact_match,strict-match": 1, "exact_match,flexible-extract": 1 },
    });
    expect(records.map((r) => r.scores["exact_match,strict-match"])).toEqual([1, 1, 0]);
    expect(metrics["exact_match,strict-match"]).toBeCloseTo(2 / 3, 15);
  });

  it("hashes the canonical (RFC 8785) records: same bytes whatever the submission's order or key order", () => {
    const a = scoreOutputs(gsm8k, items, outputs);
    const shuffled = [outputs[2]!, { output: outputs[0]!.output, item: "test/0" }, outputs[1]!];
    const b = scoreOutputs(gsm8k, items, shuffled);
    expect(b.records).toEqual(a.records);
    expect(b.outputsSha256).toBe(a.outputsSha256);
    expect(a.outputsSha256).toBe(sha256Hex(canonicalJson(a.records)));
    expect(canonicalRecordsSha256(a.records)).toBe(a.outputsSha256);
    // Pinned (and cross-checked with Python's json.dumps(sort_keys=True, separators=(",", ":"))): runner and server
    // of any version must agree, so a change here is a protocol change.
    expect(a.outputsSha256).toBe("67ab2f77a50eea3ad1513b87e442d043f5990d4749d0388a6e0ab0b6200046bc");
  });

  it("changes the hash when any output changes", () => {
    const a = scoreOutputs(gsm8k, items, outputs);
    const b = scoreOutputs(gsm8k, items, [outputs[0]!, outputs[1]!, { item: "test/2", output: " I am not sure." }]);
    expect(b.outputsSha256).not.toBe(a.outputsSha256);
  });

  it("keeps log-likelihood records for truthfulqa", () => {
    const loglikelihoods = { mc1: [-1, -2, -3, -4], mc2: [-4, -3, -2, -1] };
    const { records } = scoreOutputs(truthfulqaMc, ["mc/0"], [{ item: "mc/0", loglikelihoods }]);
    expect(records[0]!.loglikelihoods).toEqual(loglikelihoods);
    expect(records[0]!.output).toBeUndefined();
    expect(records[0]!.promptSha256).toBe(sha256Hex(truthfulqaMc.promptOf("mc/0")));
  });

  it("rejects outputs that do not match the task's items, naming the item", () => {
    expect(thrown(() => scoreOutputs(gsm8k, items, [...outputs, { item: "test/9", output: "x" }]))).toMatchObject({
      item: "test/9",
      index: 3,
      message: "item test/9 is not one of this task's items",
    });
    expect(thrown(() => scoreOutputs(gsm8k, items, [...outputs, outputs[0]!])).message).toBe("item test/0 appears twice");
    expect(thrown(() => scoreOutputs(gsm8k, items, outputs.slice(0, 2)))).toMatchObject({ item: "test/2", message: "item test/2 has no output" });
    expect(thrown(() => scoreOutputs(gsm8k, null, []))).toBeInstanceOf(BenchmarkInputError);
    expect(thrown(() => scoreOutputs(gsm8k, ["test/0", "test/0"], outputs)).message).toBe("item test/0 is listed twice");
  });

  it("allows repeats and any known item without a task (pnpm score)", () => {
    const { records } = scoreOutputs(gsm8k, null, [outputs[0]!, outputs[0]!]);
    expect(records).toHaveLength(2);
  });

  it("rejects everything the protocol schema rejects, however close to well-formed", () => {
    const sparse: number[] = [-1, -2, -3, -4];
    delete sparse[1];
    const good = { mc1: [-1, -2, -3, -4], mc2: [-1, -2, -3, -4] };
    for (const [def, value] of [
      [gsm8k, { item: "test/0", output: "x", extra: undefined }],
      [gsm8k, { item: 0, output: "x" }],
      [truthfulqaMc, { item: "mc/0", loglikelihoods: { ...good, mc1: sparse } }],
      [truthfulqaMc, { item: "mc/0", loglikelihoods: { ...good, mc1: [-1, -2, -3, Number.NEGATIVE_INFINITY] } }],
      [truthfulqaMc, { item: "mc/0", loglikelihoods: [good.mc1, good.mc2] }],
    ] as const) {
      expect(() => scoreOutputs(def, null, [value])).toThrow(/expected \{"item": string/);
    }
    expect(scoreOutputs(truthfulqaMc, null, [{ item: "mc/0", loglikelihoods: good }]).records).toHaveLength(1);
  });

  it("names the item and the bad field for malformed outputs", () => {
    expect(thrown(() => scoreOutputs(gsm8k, null, [{ item: "test/0", output: 18 }])).message).toMatch(
      /^item test\/0: expected .* \(output: Invalid input: expected string, received number\)$/,
    );
    expect(thrown(() => scoreOutputs(gsm8k, null, [{ item: "test/0", output: "x", extra: true }])).message).toMatch(/Unrecognized key: "extra"/);
    expect(thrown(() => scoreOutputs(gsm8k, null, ["test/0"])).message).toMatch(/^output 0: expected/);
  });
});
