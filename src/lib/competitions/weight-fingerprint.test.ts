import { describe, expect, it } from "vitest";
import { MAX_FINGERPRINT_VALUES } from "@/lib/protocol/runner-api";
import { cosineSimilarity, MAX_TENSORS, SAMPLES_PER_TENSOR } from "./weight-fingerprint";

describe("weight fingerprints", () => {
  it("the protocol accepts exactly the largest fingerprint a runner can compute", () => {
    expect(MAX_FINGERPRINT_VALUES).toBe(MAX_TENSORS * SAMPLES_PER_TENSOR);
  });

  it("cosine similarity: 1 for a scaled copy, 0 across architectures (lengths differ) or for zeros", () => {
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 2], [1, 2, 3])).toBe(0);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
  });
});
