import { describe, expect, it } from "vitest";
import { aggregateRatio, poolMetric } from "./aggregate";
import { goldOutputFromResponses } from "./gold-answer";
import { byteCount, documentWindows, heldoutDocument, heldoutPerplexity, WINDOW_CHARS, wordCount } from "./perplexity";
import { scoreOutputs } from "./score-outputs";

describe("heldout_ppl@1 (loglikelihood_rolling)", () => {
  it("hand-checked: document 0 is train solution 0 without calculator annotations, one window, fixed first context", () => {
    const text = heldoutDocument(0);
    expect(text).toBe(
      "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72",
    );
    expect(wordCount(text)).toBe(21); // 8 + 11 + 2 whitespace-separated words
    expect(byteCount(text)).toBe(text.length);
    expect(heldoutPerplexity.buildItemRequests("doc/0")).toEqual([
      { kind: "loglikelihood", id: "doc/0/w0", item: "doc/0", context: "Worked solution:", continuation: `\n${text}` },
    ]);
  });

  it("cuts long documents into windows of at most 2,000 characters at whitespace, losing nothing", () => {
    const text = Array.from({ length: 900 }, (_, i) => `word${i}`).join(" ");
    const windows = documentWindows(text);
    expect(windows.join("")).toBe(text);
    expect(windows.every((window) => window.length <= WINDOW_CHARS)).toBe(true);
    expect(windows.slice(1).every((window) => window.startsWith(" "))).toBe(true);
  });

  it("word perplexity, byte perplexity and bits per byte by hand; corpus-level, not a mean of documents", () => {
    // doc/0: 21 words; a log-likelihood of -0.5 nats per byte.
    const bytes0 = byteCount(heldoutDocument(0));
    const words0 = wordCount(heldoutDocument(0));
    const scored = scoreOutputs(heldoutPerplexity, null, [{ item: "doc/0", loglikelihoods: { windows: [-0.5 * bytes0] } }]);
    expect(scored.records[0]!.scores.bits_per_byte).toBeCloseTo(0.5 / Math.LN2, 12);
    expect(scored.records[0]!.scores.byte_perplexity).toBeCloseTo(Math.exp(0.5), 12);
    expect(scored.records[0]!.scores.word_perplexity).toBeCloseTo(Math.exp((0.5 * bytes0) / words0), 12);
    const bytes1 = byteCount(heldoutDocument(1));
    const two = scoreOutputs(heldoutPerplexity, null, [
      { item: "doc/0", loglikelihoods: { windows: [-0.5 * bytes0] } },
      { item: "doc/1", loglikelihoods: { windows: [-2 * bytes1] } },
    ]);
    // Σ nll / Σ bytes, as the harness's weighted_perplexity / bits_per_byte aggregations.
    expect(two.metrics.bits_per_byte).toBeCloseTo((0.5 * bytes0 + 2 * bytes1) / (bytes0 + bytes1) / Math.LN2, 12);
  });

  it("refuses a wrong number of windows or a positive log-likelihood, naming the item", () => {
    expect(() => scoreOutputs(heldoutPerplexity, null, [{ item: "doc/0", loglikelihoods: { windows: [-1, -2] } }])).toThrow(
      "item doc/0: loglikelihoods.windows has 2 values, but the document has 1 windows",
    );
    expect(() => scoreOutputs(heldoutPerplexity, null, [{ item: "doc/0", loglikelihoods: { windows: [1] } }])).toThrow(/windows\[0\] is 1/);
    expect(() => scoreOutputs(heldoutPerplexity, null, [{ item: "doc/0", loglikelihoods: { w: [-1] } }])).toThrow(/exactly one key, "windows"/);
  });

  it("intervals: the ratio estimator's, transformed; lower is better; gold outputs", () => {
    const single = aggregateRatio([{ num: 10, den: 20 }], "bits");
    expect(single).toMatchObject({ n: 1, stderr: null, lo: 0 });
    const pooled = aggregateRatio(
      [
        { num: 10, den: 20 },
        { num: 30, den: 20 },
        { num: 20, den: 20 },
      ],
      "exp",
    );
    expect(pooled.mean).toBeCloseTo(Math.exp(1), 12);
    expect(pooled.lo).toBeLessThan(pooled.mean);
    expect(pooled.hi).toBeGreaterThan(pooled.mean);
    expect(heldoutPerplexity.metrics.every((metric) => !metric.higherIsBetter)).toBe(true);
    const right = scoreOutputs(heldoutPerplexity, null, [goldOutputFromResponses(heldoutPerplexity, "doc/3", true)!]);
    const wrong = scoreOutputs(heldoutPerplexity, null, [goldOutputFromResponses(heldoutPerplexity, "doc/3", false)!]);
    expect(right.metrics.bits_per_byte).toBeLessThan(wrong.metrics.bits_per_byte!);
    const metric = heldoutPerplexity.metrics[0]!;
    expect(poolMetric([right.records, right.records], metric).n).toBe(1);
  });
});
