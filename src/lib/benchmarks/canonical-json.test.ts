import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/protocol/signing";
import { fastCanonicalJson } from "./canonical-json";

describe("fastCanonicalJson", () => {
  it.each([
    ["records", [{ item: "mc/1", scores: { mc2: 0.1234567890123, mc1: 0 }, loglikelihoods: { mc2: [-1e-7, -1234.5], mc1: [-0] }, extracted: { mc1: "0" } }]],
    ["awkward strings", { "é": "\u2028\u0000\"\\", a: "😀\ud800", B: "tab\t", "": null }],
    ["numbers", [1e21, 1e-7, 0.1 + 0.2, -5e-324, 2 ** 53, 123456789.123]],
    ["nesting and booleans", { z: [{ y: true, x: [false, null, { b: 1, a: 2 }] }], a: {} }],
    ["array-index-like keys", { "10": 1, "9": 2, a: { "0": "x", "01": "y" } }],
    ["undefined members", { a: undefined, b: 1 }],
  ])("writes exactly what canonicalJson writes: %s", (_name, value) => {
    expect(fastCanonicalJson(value)).toBe(canonicalJson(value));
  });

  it("refuses NaN like canonicalJson", () => {
    expect(() => fastCanonicalJson({ a: Number.NaN })).toThrow(/NaN is not allowed/);
  });
});
