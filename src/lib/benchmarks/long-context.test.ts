import { describe, expect, it } from "vitest";
import { goldOutputFromResponses } from "./gold-answer";
import { CONTEXT_TIERS, CHARS_PER_TOKEN, generateItem, longContextBenchmarks, stringMatchAll, tierOf, tierReward } from "./long-context";
import { sampleItems } from "./sampling";
import { scoreOutputs } from "./score-outputs";

const tier4k = longContextBenchmarks[0]!;

describe("long context (RULER-style, QUASAR tiers)", () => {
  it("one benchmark per tier, 4k … 2M, with QUASAR's multipliers", () => {
    expect(longContextBenchmarks.map((def) => [def.key, def.contextTokens])).toEqual([
      ["longctx_4k@1", 4096],
      ["longctx_8k@1", 8192],
      ["longctx_16k@1", 16384],
      ["longctx_32k@1", 32768],
      ["longctx_128k@1", 131072],
      ["longctx_512k@1", 524288],
      ["longctx_1m@1", 1048576],
      ["longctx_2m@1", 2097152],
    ]);
    expect(CONTEXT_TIERS.map((tier) => tier.multiplier)).toEqual([1, 1, 1, 1, 1.2, 1.5, 1.8, 2]);
    expect(tierReward(0.6, CONTEXT_TIERS[7]!)).toBe(1);
    expect(tierReward(0.5, CONTEXT_TIERS[4]!)).toBeCloseTo(0.6, 12);
    expect(tierOf("longctx_512k@1")?.multiplier).toBe(1.5);
    expect(tierOf("gsm8k@3")).toBeNull();
  });

  it("items are a pure function of (tier, item); the needles are in the haystack; sizes follow the estimate", () => {
    const a = generateItem(CONTEXT_TIERS[0]!, "longctx_4k@1", "niah_multivalue/7");
    const b = generateItem(CONTEXT_TIERS[0]!, "longctx_4k@1", "niah_multivalue/7");
    expect(a).toEqual(b);
    expect(a.expected).toHaveLength(4);
    for (const value of a.expected) expect(a.prompt).toContain(`is: ${value}.`);
    expect(a.prompt.length).toBeGreaterThan(4096 * CHARS_PER_TOKEN * 0.9);
    expect(a.prompt.length).toBeLessThan(4096 * CHARS_PER_TOKEN * 1.05);
    const vt = generateItem(CONTEXT_TIERS[0]!, "longctx_4k@1", "vt/3");
    expect(vt.expected).toHaveLength(5);
    expect(vt.prompt).toContain(`${vt.expected[1]} = ${vt.expected[0]}.`);
    expect(generateItem(CONTEXT_TIERS[1]!, "longctx_8k@1", "vt/3").prompt).not.toBe(vt.prompt);
  });

  it("string_match_all by hand; the epoch seed picks the items", () => {
    expect(stringMatchAll("The numbers are 1234567 and 7654321.", ["1234567", "7654321", "1111111", "2222222"])).toBe(0.5);
    expect(stringMatchAll("VAR_AMBER_1, var_birch_2", ["VAR_AMBER_1", "VAR_BIRCH_2"])).toBe(1);
    const items = sampleItems(tier4k, "a".repeat(64), 5);
    expect(items).toHaveLength(5);
    expect(sampleItems(tier4k, "b".repeat(64), 5)).not.toEqual(items);
    const right = scoreOutputs(tier4k, null, items.map((item) => goldOutputFromResponses(tier4k, item, true)!));
    const wrong = scoreOutputs(tier4k, null, items.map((item) => goldOutputFromResponses(tier4k, item, false)!));
    expect(right.metrics.string_match_all).toBe(1);
    expect(wrong.metrics.string_match_all).toBe(0);
    expect(() => scoreOutputs(tier4k, null, [{ item: "niah_single/200", output: "x" }])).toThrow(/not a long-context item/);
  });
});
