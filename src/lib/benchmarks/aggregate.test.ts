import { describe, expect, it } from "vitest";
import { aggregate, poolItemScores, wilsonInterval } from "./aggregate";
import { studentTCdf, studentTQuantile } from "./student-t";

describe("aggregate", () => {
  it("binary metrics: mean, n, the harness's stderr and a Wilson 95% interval", () => {
    const result = aggregate([1, 0, 1, 1, 0], "binary");
    expect(result.mean).toBe(0.6);
    expect(result.n).toBe(5);
    expect(result.stderr).toBeCloseTo(Math.sqrt(0.3) / Math.sqrt(5), 15); // sample sd sqrt(0.3)
    // Wilson 3/5: 0.2307 .. 0.8824 (standard tables)
    expect(result.lo).toBeCloseTo(0.23072, 4);
    expect(result.hi).toBeCloseTo(0.88236, 4);
  });

  it("Wilson stays informative at 0/5 and 5/5", () => {
    expect(wilsonInterval(0, 5)).toEqual({ lo: 0, hi: expect.closeTo(0.43448, 4) });
    expect(wilsonInterval(5, 5)).toEqual({ lo: expect.closeTo(0.56552, 4), hi: 1 });
  });

  it("continuous metrics: a t interval clipped to [0, 1]", () => {
    const values = [0.1, 0.2, 0.3, 0.4, 0.5];
    const result = aggregate(values, "continuous");
    const stderr = Math.sqrt(0.025) / Math.sqrt(5);
    expect(result.mean).toBeCloseTo(0.3, 15);
    expect(result.stderr).toBeCloseTo(stderr, 15);
    expect(result.lo).toBeCloseTo(0.3 - 2.7764451051977987 * stderr, 10);
    expect(result.hi).toBeCloseTo(0.3 + 2.7764451051977987 * stderr, 10);
    expect(aggregate([0.95, 0.99, 0.9], "continuous").hi).toBe(1);
    expect(aggregate([0.42], "continuous")).toEqual({ mean: 0.42, n: 1, stderr: null, lo: 0, hi: 1 });
  });

  it("refuses what is not a score", () => {
    expect(() => aggregate([], "binary")).toThrow(RangeError);
    expect(() => aggregate([1.5], "continuous")).toThrow(RangeError);
    expect(() => aggregate([Number.NaN], "binary")).toThrow(RangeError);
  });
});

describe("Student t", () => {
  it.each([
    [1, 12.706204736174698],
    [2, 4.302652729749464],
    [4, 2.7764451051977987],
    [10, 2.2281388519649385],
    [30, 2.0422724563012373],
    [1000, 1.9623390808264078],
  ])("t(0.975, df=%i) = %f", (df, expected) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(expected, 9);
  });

  it("has a symmetric CDF", () => {
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 15);
    expect(studentTCdf(-1.5, 7) + studentTCdf(1.5, 7)).toBeCloseTo(1, 14);
  });
});

describe("poolItemScores", () => {
  it("pools tasks, counting an item scored twice once", () => {
    const task1 = [
      { item: "test/1", scores: { m: 1 } },
      { item: "test/2", scores: { m: 0 } },
    ];
    const task2 = [
      { item: "test/2", scores: { m: 0 } },
      { item: "test/3", scores: { m: 1 } },
    ];
    const pooled = poolItemScores([task1, task2], "m", "binary");
    expect(pooled.n).toBe(3);
    expect(pooled.mean).toBeCloseTo(2 / 3, 15);
    expect(pooled).toEqual(aggregate([1, 0, 1], "binary"));
  });

  it("averages an item whose repeated evaluations disagree, and names a missing metric", () => {
    const pooled = poolItemScores([[{ item: "a", scores: { m: 1 } }], [{ item: "a", scores: { m: 0 } }]], "m", "binary");
    expect(pooled.mean).toBe(0.5);
    expect(() => poolItemScores([[{ item: "a", scores: {} }]], "m", "binary")).toThrow("item a has no score for m");
  });
});
