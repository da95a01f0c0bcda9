import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PythonRandom } from "@/lib/benchmarks/python-random";
import { duelLabel, kthSmallest, pairedBootstrap, seedFromLabel, type Stratum } from "./paired-bootstrap";

interface FixtureCase {
  name: string;
  label: string;
  strata: Stratum[];
  alpha: number;
  resamples: number;
  expected: { mean: number; lcb: number; lo: number; hi: number; seedHex: string };
}

// Produced once by CPython (fixtures/paired-bootstrap.py), independently of the TypeScript implementation.
const cases = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "fixtures", "paired-bootstrap.json"), "utf8"),
) as FixtureCase[];

describe("pairedBootstrap", () => {
  it.each(cases)("matches CPython's reference: $name", (fixture) => {
    const result = pairedBootstrap(fixture.strata, { label: fixture.label, alpha: fixture.alpha, resamples: fixture.resamples });
    expect(result.seedHex).toBe(fixture.expected.seedHex);
    expect(result.mean).toBeCloseTo(fixture.expected.mean, 12);
    expect(result.lcb).toBeCloseTo(fixture.expected.lcb, 12);
    expect(result.lo).toBeCloseTo(fixture.expected.lo, 12);
    expect(result.hi).toBeCloseTo(fixture.expected.hi, 12);
    expect(result.n).toBe(fixture.strata.reduce((n, s) => n + s.differences.length, 0));
  });

  it("derives the seed from the duel's label: sha256 of the text, read as one integer", () => {
    const label = duelLabel("gsm8k@3", "alice/b@1111111", "bob/a@2222222");
    expect(label).toBe("quorum-duel-v1|gsm8k@3|alice/b@1111111|bob/a@2222222");
    // sha256 checked by hand with `printf %s "$label" | sha256sum`.
    expect(seedFromLabel(label).seedHex).toBe("cdddbfd2d295a4d7a28c705596163bf20bb1d50918d776947c52dbb7593c3879");
    expect(seedFromLabel(label).seed).toBe(BigInt("0xcdddbfd2d295a4d7a28c705596163bf20bb1d50918d776947c52dbb7593c3879"));
  });

  it("is exact on a hand-checked case: constant differences give a point interval", () => {
    const result = pairedBootstrap([{ weight: 1, differences: [0.5, 0.5, 0.5] }], { label: "constant", resamples: 100 });
    expect(result).toMatchObject({ mean: 0.5, lcb: 0.5, lo: 0.5, hi: 0.5, n: 3 });
  });

  it("gives the same bounds for the same label and different ones for another", () => {
    const strata = cases[0]!.strata;
    const a = pairedBootstrap(strata, { label: "one", resamples: 2000 });
    expect(pairedBootstrap(strata, { label: "one", resamples: 2000 })).toEqual(a);
    const b = pairedBootstrap([{ weight: 1, differences: [1, -1, 0, 1, -1, 0, 1, 1] }], { label: "two", resamples: 2000 });
    const c = pairedBootstrap([{ weight: 1, differences: [1, -1, 0, 1, -1, 0, 1, 1] }], { label: "three", resamples: 2000 });
    expect(b.seedHex).not.toBe(c.seedHex);
  });

  it("refuses empty input and bad settings with a clear error", () => {
    expect(() => pairedBootstrap([{ weight: 1, differences: [] }], { label: "x" })).toThrow(/at least one shared item/);
    expect(() => pairedBootstrap([{ weight: 1, differences: [1] }], { label: "x", alpha: 1.5 })).toThrow(/alpha/);
    expect(() => pairedBootstrap([{ weight: 0, differences: [1] }], { label: "x" })).toThrow(/weights/);
    expect(() => pairedBootstrap([{ weight: 1, differences: [Number.NaN] }], { label: "x" })).toThrow(/finite/);
  });
});

describe("kthSmallest", () => {
  it("gives what a full sort gives, for every k, with ties", () => {
    const rng = new PythonRandom(5);
    const values = Float64Array.from({ length: 301 }, () => rng.randbelow(40) / 8);
    const sorted = Float64Array.from(values).sort();
    for (let k = 0; k < values.length; k++) expect(kthSmallest(Float64Array.from(values), k)).toBe(sorted[k]);
  });
});
