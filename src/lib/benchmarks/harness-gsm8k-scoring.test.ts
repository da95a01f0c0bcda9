import { describe, expect, it } from "vitest";
import golden from "./fixtures/gsm8k-scoring.json";
import { GSM8K_UNTIL } from "./gsm8k";
import { cutAtStopSequences, exactMatch, flexibleExtract, INVALID, strictMatch } from "./harness-gsm8k-scoring";

// Expected values come from a literal copy of the harness's RegexFilter, exact_match and stop-sequence code run
// under CPython (fixtures/generate-fixtures.py), so each case pins one of the harness's rules.
describe("gsm8k scoring reproduces the harness", () => {
  it.each(golden.cases)("$name", ({ output, reference, strict, flexible, strictScore, flexibleScore }) => {
    const response = cutAtStopSequences(output, GSM8K_UNTIL);
    expect(strictMatch(response)).toBe(strict);
    expect(flexibleExtract(response)).toBe(flexible);
    expect(exactMatch(strictMatch(response), reference)).toBe(strictScore);
    expect(exactMatch(flexibleExtract(response), reference)).toBe(flexibleScore);
  });

  it("covers every rule the issue lists", () => {
    const names = golden.cases.map((c) => c.name).join("|");
    for (const rule of ["comma", "dollar", "trailing period", "negative", "decimal", "no number", "recited", "several numbers", "stop sequence"]) {
      expect(names).toContain(rule);
    }
  });

  it("cuts at the earliest stop sequence, whatever the order they are listed in", () => {
    expect(cutAtStopSequences("a</s>bQuestion:c", ["Question:", "</s>"])).toBe("a");
    expect(cutAtStopSequences("aQuestion:b</s>c", ["</s>", "Question:"])).toBe("a");
    expect(cutAtStopSequences("no stop here", GSM8K_UNTIL)).toBe("no stop here");
    expect(cutAtStopSequences("x", ["", "y"])).toBe("x");
  });

  it("strict-match takes the first '#### ' answer, flexible-extract the last number", () => {
    expect(strictMatch("#### 1\n#### 2")).toBe("1");
    expect(flexibleExtract("1 then 22 then -3.5")).toBe("-3.5");
    expect(strictMatch("#### abc")).toBe(INVALID);
  });

  it("removes a final period only at the end (Python's $ also matches before a final newline)", () => {
    expect(exactMatch("18.\n", "#### 18\n")).toBe(1);
    expect(exactMatch("1.8", "#### 18")).toBe(0);
  });
});
