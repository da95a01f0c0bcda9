/**
 * When do two results of one task agree? Item by item (pure; no database).
 *
 * Two results agree when
 *  1. their per-item evidence matches on at least `minAgreement` of the task's items, and
 *  2. their primary scores differ by no more than one item's worth (1 / items: every metric lies in [0, 1] per
 *     item, so one differing item moves the mean by at most that much).
 *
 * Per-item evidence, by request kind:
 *  - generate_until (GSM8K): the answers the benchmark's filters extracted (strict-match and flexible-extract) are
 *    identical. The raw text may differ (a kernel can change a token late in a generation); the answer may not.
 *  - loglikelihood (TruthfulQA): the same argmax choice for every choice set (the extracted answers), and every
 *    per-choice log-likelihood within LOGLIKELIHOOD_TOLERANCE of the other's. Honest GPUs differ in the last bits
 *    (batching, bf16 kernels); fabricated numbers rarely land within it on every choice.
 */

/** One item's evidence as a record stores it (see ItemRecord in src/lib/benchmarks/score-outputs.ts). */
export interface ItemEvidence {
  extracted: Record<string, string>;
  loglikelihoods?: Record<string, number[]>;
}

export interface AgreementInput {
  primary: number;
  items: Record<string, ItemEvidence>;
  /** sha256 of the result's weights report (fingerprint, parameter count, config); null when it reported none. */
  weightsKey?: string | null;
}

/** Absolute tolerance in nats, widened for large sums: |a - b| <= max(0.05, 0.005 * |a|). */
export const LOGLIKELIHOOD_ABS_TOLERANCE = 0.05;
export const LOGLIKELIHOOD_REL_TOLERANCE = 0.005;

const EPSILON = 1e-9;

export function loglikelihoodsClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(LOGLIKELIHOOD_ABS_TOLERANCE, LOGLIKELIHOOD_REL_TOLERANCE * Math.abs(a)) + EPSILON;
}

export function itemsMatch(a: ItemEvidence | undefined, b: ItemEvidence | undefined): boolean {
  if (!a || !b) return false;
  const keys = Object.keys(a.extracted);
  if (keys.length !== Object.keys(b.extracted).length) return false;
  if (!keys.every((key) => a.extracted[key] === b.extracted[key])) return false;
  if (!a.loglikelihoods && !b.loglikelihoods) return true;
  if (!a.loglikelihoods || !b.loglikelihoods) return false;
  const sets = Object.keys(a.loglikelihoods);
  if (sets.length !== Object.keys(b.loglikelihoods).length) return false;
  return sets.every((set) => {
    const x = a.loglikelihoods![set]!;
    const y = b.loglikelihoods![set];
    return y !== undefined && x.length === y.length && x.every((value, i) => loglikelihoodsClose(value, y[i]!));
  });
}

export interface PairAgreement {
  agree: boolean;
  /** How many items matched. */
  matching: number;
  /** Share of items that matched, over `itemIds`. */
  share: number;
  scoreGap: number;
}

export function compareResults(
  a: AgreementInput,
  b: AgreementInput,
  itemIds: readonly string[],
  minAgreement: number,
): PairAgreement {
  const matching = itemIds.filter((item) => itemsMatch(a.items[item], b.items[item])).length;
  const share = itemIds.length === 0 ? 0 : matching / itemIds.length;
  const scoreGap = Math.abs(a.primary - b.primary);
  const oneItem = itemIds.length === 0 ? 0 : 1 / itemIds.length;
  // Two results that both read the weights must have read the same weights (competitions rely on the report).
  const sameWeights = !a.weightsKey || !b.weightsKey || a.weightsKey === b.weightsKey;
  return { agree: sameWeights && share + EPSILON >= minAgreement && scoreGap <= oneItem + EPSILON, matching, share, scoreGap };
}
