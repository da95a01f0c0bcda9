import { describe, expect, it } from "vitest";
import vectors from "./fixtures/python-random.json";
import { PythonRandom } from "./python-random";

// Every expected value below was produced by CPython 3.11's `random` module (fixtures/generate-fixtures.py).
describe("PythonRandom reproduces CPython's random.Random", () => {
  it.each(vectors.getrandbits32)("seed $seed: key words and getrandbits(32)", ({ seed, key, values }) => {
    expect(PythonRandom.keyOf(BigInt(seed))).toEqual(key);
    const r = new PythonRandom(BigInt(seed));
    expect(values.map(() => r.getrandbits(32))).toEqual(values);
  });

  it("getrandbits(k) takes the top k bits of each output", () => {
    for (const v of vectors.getrandbits) {
      const r = new PythonRandom(BigInt(v.seed));
      expect(v.calls.map(([k]) => r.getrandbits(k!))).toEqual(v.calls.map(([, value]) => value));
    }
  });

  it("_randbelow rejects draws >= n with k = n.bit_length()", () => {
    for (const v of vectors.randbelow) {
      const r = new PythonRandom(BigInt(v.seed));
      expect(v.calls.map(([n]) => r.randbelow(n!))).toEqual(v.calls.map(([, value]) => value));
    }
  });

  it.each(vectors.sample)("sample(range($n), $k) from seed $seed, consecutive draws", ({ seed, n, k, draws }) => {
    const r = new PythonRandom(BigInt(seed));
    expect(draws.map(() => r.sampleIndices(n, k))).toEqual(draws);
  });

  it.each(vectors.shuffle)("shuffle(range($n)) from seed $seed", ({ seed, n, result }) => {
    const r = new PythonRandom(BigInt(seed));
    expect(r.shuffle(Array.from({ length: n }, (_, i) => i))).toEqual(result);
  });

  it("accepts a number seed the same as the bigint", () => {
    expect(new PythonRandom(1234).getrandbits(32)).toBe(new PythonRandom(1234n).getrandbits(32));
  });

  it("refuses what it does not implement instead of drawing wrongly", () => {
    const r = new PythonRandom(1);
    expect(() => r.getrandbits(33)).toThrow(RangeError);
    expect(() => r.randbelow(0)).toThrow(RangeError);
    expect(() => r.sampleIndices(3, 4)).toThrow(/Sample larger than population/);
  });
});
