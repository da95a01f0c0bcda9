/**
 * The paired bootstrap behind every duel and every head-to-head comparison (pure; no database, no network).
 *
 * Input: per-item improvements d_i (challenger minus incumbent, already oriented so that positive means "the
 * challenger is better": for a lower-is-better metric d_i = incumbent_i - challenger_i), grouped in strata (one per
 * benchmark of a weighted competition; one stratum for a single benchmark). The statistic is the weighted mean of
 * the strata's means. Each of `resamples` bootstrap replicates draws, stratum by stratum in the given order, n_s
 * indices with replacement from that stratum and takes the same statistic.
 *
 * The draws come from CPython's own generator (src/lib/benchmarks/python-random.ts, bit-exact): the seed is the
 * integer value of sha256(label), where the label names the duel (`duelLabel`). Anyone can recompute a decision in
 * a few lines of Python: `rng = random.Random(int(sha256(label).hexdigest(), 16))`, then for each replicate and each
 * stratum `rng.randrange(n_s)` n_s times (see fixtures/paired-bootstrap.py, which produced the committed fixture).
 *
 * Bounds, with the replicates sorted ascending (B = resamples):
 *  - one-sided lower confidence bound at level alpha (the duel gate): sorted[floor(alpha * B)];
 *  - two-sided interval at level alpha (the compare page): [sorted[floor(alpha / 2 * B)], sorted[ceil((1 - alpha / 2) * B) - 1]].
 */
import { PythonRandom } from "@/lib/benchmarks/python-random";
import { sha256Hex } from "@/lib/benchmarks/sha256";

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_RESAMPLES = 10_000;

export interface Stratum {
  /** Relative weight of this stratum's mean in the statistic (> 0). */
  weight: number;
  /** Per-item improvements, in a canonical order (sorted by item key) so the draws are reproducible. */
  differences: readonly number[];
}

export interface BootstrapResult {
  /** The observed statistic: the weighted mean of the strata's mean improvements. */
  mean: number;
  /** One-sided lower confidence bound at level alpha. */
  lcb: number;
  /** Two-sided interval at level alpha. */
  lo: number;
  hi: number;
  /** Items over all strata. */
  n: number;
  alpha: number;
  resamples: number;
  /** sha256(label), hex: the seed as an integer is its value. */
  seedHex: string;
}

/** The label whose sha256 seeds a duel's draws: names both models (repo@revision) and the scope of the duel. */
export function duelLabel(scope: string, challenger: string, incumbent: string): string {
  return `quorum-duel-v1|${scope}|${challenger}|${incumbent}`;
}

export function seedFromLabel(label: string): { seedHex: string; seed: bigint } {
  const seedHex = sha256Hex(label);
  return { seedHex, seed: BigInt(`0x${seedHex}`) };
}

function weightedMean(strata: readonly Stratum[], means: readonly number[]): number {
  let total = 0;
  let weights = 0;
  for (let s = 0; s < strata.length; s++) {
    total += strata[s]!.weight * means[s]!;
    weights += strata[s]!.weight;
  }
  return total / weights;
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * The k-th smallest value (0-based), as sorted[k] would give it, by quickselect (Hoare partition, middle pivot):
 * O(n) instead of a full sort. Reorders `values` in place.
 */
export function kthSmallest(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >>> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k]!;
  }
  return values[k]!;
}

export function pairedBootstrap(
  strata: readonly Stratum[],
  options: { label: string; alpha?: number; resamples?: number },
): BootstrapResult {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must lie in (0, 1), got ${alpha}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  const used = strata.filter((stratum) => stratum.differences.length > 0);
  if (used.length === 0) throw new RangeError("the paired bootstrap needs at least one shared item");
  for (const stratum of used) {
    if (!(stratum.weight > 0)) throw new RangeError(`stratum weights must be positive, got ${stratum.weight}`);
    for (const d of stratum.differences) if (!Number.isFinite(d)) throw new RangeError(`differences must be finite, got ${d}`);
  }
  const { seedHex, seed } = seedFromLabel(options.label);
  const rng = new PythonRandom(seed);
  const replicates = new Float64Array(resamples);
  // weightedMean inlined, with the same operations in the same order (identical replicates).
  const weights = Float64Array.from(used.map((stratum) => stratum.weight));
  let weightSum = 0;
  for (const weight of weights) weightSum += weight;
  // randbelow(n) inlined (the hot loop): the top bit_length(n) bits of one output, redrawn while >= n.
  // The generator's outputs are taken a state block (624 words) at a time: the same sequence as nextUint32.
  const shifts = used.map((stratum) => 32 - (32 - Math.clz32(stratum.differences.length)));
  const columns = used.map((stratum) => Float64Array.from(stratum.differences));
  const block = new Uint32Array(624);
  let length = 0;
  let position = 0;
  for (let b = 0; b < resamples; b++) {
    let total = 0;
    for (let s = 0; s < columns.length; s++) {
      const values = columns[s]!;
      const n = values.length;
      const shift = shifts[s]!;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        let r: number;
        do {
          if (position === length) {
            length = rng.fillBlock(block);
            position = 0;
          }
          r = block[position++]! >>> shift;
        } while (r >= n);
        sum += values[r]!;
      }
      total += weights[s]! * (sum / n);
    }
    replicates[b] = total / weightSum;
  }
  return {
    mean: weightedMean(used, used.map((stratum) => mean(stratum.differences))),
    lcb: kthSmallest(replicates, Math.floor(alpha * resamples)),
    lo: kthSmallest(replicates, Math.floor((alpha / 2) * resamples)),
    hi: kthSmallest(replicates, Math.ceil((1 - alpha / 2) * resamples) - 1),
    n: used.reduce((sum, stratum) => sum + stratum.differences.length, 0),
    alpha,
    resamples,
    seedHex,
  };
}
