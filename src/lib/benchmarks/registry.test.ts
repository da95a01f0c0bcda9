import { describe, expect, it } from "vitest";
import { UnknownBenchmarkError } from "./errors";
import { getBenchmark, listBenchmarks, resolveBenchmark } from "./registry";

describe("registry", () => {
  it("lists gsm8k@3 and truthfulqa_mc@2 with the defaults the database rows start from", () => {
    expect(listBenchmarks().map((def) => def.key)).toEqual(["gsm8k@3", "truthfulqa_mc@2", "humaneval@1", "claim_verdict_ll@1", "claim_verdict_gen@1", "heldout_ppl@1", "longctx_4k@1", "longctx_8k@1", "longctx_16k@1", "longctx_32k@1", "longctx_128k@1", "longctx_512k@1", "longctx_1m@1", "longctx_2m@1"]);
    for (const def of listBenchmarks()) {
      expect(def.key).toBe(`${def.id}@${def.version}`);
      expect({ n: def.itemsPerTask, quorum: def.quorum, minAgreement: def.minAgreement, max: def.maxResults }).toEqual({
        n: 5,
        quorum: 3,
        minAgreement: 0.8,
        max: 7,
      });
      expect(def.metrics.map((metric) => metric.name)).toContain(def.primaryMetric);
      expect(def.datasets.filter((dataset) => dataset.role === "scored").map((dataset) => dataset.sha256)).toEqual([
        def.scoredDatasetSha256,
      ]);
    }
    expect(getBenchmark("gsm8k@3").metrics).toEqual([
      { name: "exact_match,strict-match", higherIsBetter: true, kind: "binary" },
      { name: "exact_match,flexible-extract", higherIsBetter: true, kind: "binary" },
    ]);
    expect(getBenchmark("truthfulqa_mc@2").metrics).toEqual([
      { name: "mc1", higherIsBetter: true, kind: "binary" },
      { name: "mc2", higherIsBetter: true, kind: "continuous" },
    ]);
  });

  it("names the known keys when a key is unknown", () => {
    expect(() => getBenchmark("gsm8k")).toThrow(UnknownBenchmarkError);
    expect(() => getBenchmark("gsm8k@2")).toThrow('unknown benchmark "gsm8k@2"; known benchmarks: gsm8k@3, truthfulqa_mc@2, humaneval@1, claim_verdict_ll@1, claim_verdict_gen@1, heldout_ppl@1, longctx_4k@1, longctx_8k@1, longctx_16k@1, longctx_32k@1, longctx_128k@1, longctx_512k@1, longctx_1m@1, longctx_2m@1');
  });

  it("resolves a bare id for people typing a name", () => {
    expect(resolveBenchmark("gsm8k").key).toBe("gsm8k@3");
    expect(resolveBenchmark("truthfulqa_mc@2").key).toBe("truthfulqa_mc@2");
    expect(() => resolveBenchmark("mmlu")).toThrow(/known benchmarks/);
  });
});
