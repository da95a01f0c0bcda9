import { describe, expect, it } from "vitest";
import snapshot from "./fixtures/sampler-snapshot.json";
import { getBenchmark, listBenchmarks } from "./registry";
import { sampleItems } from "./sampling";

describe("sampleItems", () => {
  // The snapshot was computed by the Python reference of the algorithm (fixtures/generate-fixtures.py) with
  // CPython's own random.shuffle: another process, another language, the same items.
  it.each(snapshot.map((s) => [s.key, s.n, s.epochs] as const))("%s with n=%i matches the recorded items", (key, n, epochs) => {
    const def = getBenchmark(key);
    for (const [epoch, items] of Object.entries(epochs)) expect(sampleItems(def, Number(epoch), n)).toEqual(items);
  });

  it.each(listBenchmarks().map((def) => [def.key, def] as const))("%s: one cycle of epochs covers the whole split", (_key, def) => {
    const size = def.itemCount();
    const perCycle = Math.ceil(size / 5);
    const seen = new Map<string, number>();
    for (let epoch = 0; epoch < perCycle; epoch++) {
      const items = sampleItems(def, epoch);
      expect(new Set(items).size).toBe(5);
      for (const item of items) seen.set(item, (seen.get(item) ?? 0) + 1);
    }
    expect(seen.size).toBe(size);
    // Only the cycle's last window tops up from the start, so at most n - 1 items are seen twice.
    expect([...seen.values()].filter((count) => count > 1).length).toBeLessThan(5);
  });

  it("defaults to the benchmark's itemsPerTask and walks a new permutation each cycle", () => {
    const def = getBenchmark("truthfulqa_mc@2");
    expect(sampleItems(def, 3)).toEqual(sampleItems(def, 3, 5));
    const perCycle = Math.ceil(def.itemCount() / 5);
    expect(sampleItems(def, perCycle)).not.toEqual(sampleItems(def, 0));
  });

  it("refuses epochs and sizes it cannot honour", () => {
    const def = getBenchmark("gsm8k@3");
    expect(() => sampleItems(def, -1)).toThrow(RangeError);
    expect(() => sampleItems(def, 1.5)).toThrow(RangeError);
    expect(() => sampleItems(def, 0, 0)).toThrow(RangeError);
    expect(() => sampleItems(def, 0, 1320)).toThrow(RangeError);
  });
});
