import { describe, expect, it } from "vitest";
import snapshot from "./fixtures/sampler-snapshot.json";
import { getBenchmark, listBenchmarks } from "./registry";
import { sampleItems } from "./sampling";

const SEED = "5eed".repeat(16);

describe("sampleItems", () => {
  // The snapshot was computed by the Python reference of the algorithm (fixtures/generate-fixtures.py) with
  // CPython's own random.shuffle: another process, another language, the same items.
  it.each(snapshot.map((s) => [s.key, s.n, s.seeds] as const))("%s with n=%i matches the recorded items", (key, n, seeds) => {
    const def = getBenchmark(key);
    for (const [seed, items] of Object.entries(seeds)) expect(sampleItems(def, seed, n)).toEqual(items);
  });

  it.each(listBenchmarks().map((def) => [def.key, def] as const))("%s: distinct items, and another seed gives other items", (_key, def) => {
    const items = sampleItems(def, SEED);
    expect(new Set(items).size).toBe(def.itemsPerTask);
    expect(sampleItems(def, "0".repeat(64))).not.toEqual(items);
  });

  it("defaults to the benchmark's itemsPerTask, and a larger n extends the same draw", () => {
    const def = getBenchmark("truthfulqa_mc@2");
    expect(sampleItems(def, SEED)).toEqual(sampleItems(def, SEED, 5));
    expect(sampleItems(def, SEED, 7).slice(0, 5)).toEqual(sampleItems(def, SEED, 5));
  });

  it("refuses seeds and sizes it cannot honour", () => {
    const def = getBenchmark("gsm8k@3");
    expect(() => sampleItems(def, "not-a-seed")).toThrow(RangeError);
    expect(() => sampleItems(def, SEED.toUpperCase())).toThrow(RangeError);
    expect(() => sampleItems(def, SEED, 0)).toThrow(RangeError);
    expect(() => sampleItems(def, SEED, 1320)).toThrow(RangeError);
  });
});
