/**
 * Consensus over one task's results (pure; no database). Modelled on BOINC's validator — a canonical result,
 * replication that grows only when results disagree — with item-level comparison (agreement.ts) instead of a score
 * tolerance.
 *
 * 1. Nothing is decided until the task's target number of results is in (the quorum K, at first).
 * 2. The results are compared pairwise. The largest group in which every pair agrees is found (results per task are
 *    few, at most 12, so every subset is tried). The task is accepted when that group
 *      - has at least K results, and
 *      - is a strict majority of all results, and
 *      - contains an established runner's result whenever the pool has established runners (`requireEstablished`):
 *        results of new runners never form a majority on their own.
 *    Its canonical result is the member that matches the other members on the most items (the earliest on ties),
 *    chosen among the group's established runners when it has any; the results that agree with the canonical one
 *    are VALID, every other result INVALID.
 * 3. Otherwise the task is DISPUTED and two more slots open (so a strict majority can form), up to maxResults; at
 *    maxResults it stays DISPUTED for good. While a task is open its reason names no scores (a runner must not be
 *    able to match its peers without running the model); a final reason may, since everything is public then.
 */
import { compareResults, type AgreementInput } from "@/server/services/tasks/agreement";

export interface ConsensusInput extends AgreementInput {
  id: string;
  /** The runner was established when it submitted. */
  isEstablished: boolean;
}

export type ConsensusDecision =
  | { kind: "waiting" }
  | {
      kind: "accepted";
      acceptedId: string;
      acceptedScore: number;
      valid: string[];
      invalid: string[];
      itemAgreement: number;
    }
  | { kind: "disputed"; targetResults: number; reason: string; isFinal: boolean; itemAgreement: number };

export interface ConsensusSettings {
  quorum: number;
  targetResults: number;
  maxResults: number;
  /** Share of items two results must match on (the benchmark's setting). */
  minAgreement: number;
  itemIds: readonly string[];
  /** True when the pool has established runners: an accepted group must include one. */
  requireEstablished: boolean;
}

/** Results per task are capped well below this by the benchmark settings; the subset search is 2^n. */
const MAX_RESULTS_SEARCHED = 16;

export function decideConsensus(results: ConsensusInput[], settings: ConsensusSettings): ConsensusDecision {
  if (results.length < settings.targetResults) return { kind: "waiting" };
  const n = results.length;
  if (n > MAX_RESULTS_SEARCHED) throw new RangeError(`consensus over ${n} results: at most ${MAX_RESULTS_SEARCHED}`);
  const pairs = results.map((a) =>
    results.map((b) => (a === b ? null : compareResults(a, b, settings.itemIds, settings.minAgreement))),
  );
  const agrees = (i: number, j: number) => i === j || pairs[i]![j]!.agree;
  const agreement = itemAgreement(results, settings.itemIds);

  const group = largestAgreeingGroup(n, agrees, (members) =>
    !settings.requireEstablished || members.some((i) => results[i]!.isEstablished),
  );
  const isAccepted = group !== null && group.length >= settings.quorum && group.length * 2 > n;
  if (isAccepted) {
    const matchingWithGroup = (i: number) => group.reduce((sum, j) => sum + (i === j ? 0 : pairs[i]![j]!.matching), 0);
    // The canonical result is an established runner's when the group has one (results of new accounts never decide
    // the published value on their own), else any member; among those, the one matching the group on the most items.
    const established = group.filter((i) => results[i]!.isEstablished);
    const eligible = established.length > 0 ? established : group;
    const canonical = eligible.reduce((best, i) => (matchingWithGroup(i) > matchingWithGroup(best) ? i : best), eligible[0]!);
    const valid = results.filter((_, i) => agrees(canonical, i)).map((r) => r.id);
    const validIds = new Set(valid);
    return {
      kind: "accepted",
      acceptedId: results[canonical]!.id,
      acceptedScore: results[canonical]!.primary,
      valid,
      invalid: results.filter((r) => !validIds.has(r.id)).map((r) => r.id),
      itemAgreement: agreement,
    };
  }
  const unrestricted = settings.requireEstablished ? largestAgreeingGroup(n, agrees, () => true) : group;
  const why =
    unrestricted !== null && unrestricted.length * 2 > n && unrestricted.length >= settings.quorum
      ? "the majority that agrees includes no established runner"
      : "no strict majority agrees item by item";
  if (n >= settings.maxResults) {
    const scores = [...results].sort((a, b) => a.primary - b.primary).map((r) => r.primary.toFixed(3));
    return {
      kind: "disputed",
      isFinal: true,
      targetResults: settings.targetResults,
      itemAgreement: agreement,
      reason:
        `Of the ${n} results, ${why} (scores: ${scores.join(", ")}); the maximum of ${settings.maxResults} results ` +
        `is reached, so no score is published.`,
    };
  }
  const targetResults = Math.min(settings.maxResults, n + 2);
  return {
    kind: "disputed",
    isFinal: false,
    targetResults,
    itemAgreement: agreement,
    reason: `Of the ${n} results, ${why}; collecting up to ${targetResults} results to find a majority.`,
  };
}

/**
 * The largest set of results in which every pair agrees and that `isEligible` accepts; the earliest results win ties
 * (lexicographically smallest indices). Null when no eligible set exists.
 */
function largestAgreeingGroup(
  n: number,
  agrees: (i: number, j: number) => boolean,
  isEligible: (members: number[]) => boolean,
): number[] | null {
  let best: number[] | null = null;
  // Subsets in order of size (largest first), then lexicographically: the first eligible clique is the answer.
  for (let size = n; size >= 1; size--) {
    for (const members of combinations(n, size)) {
      if (!members.every((i, a) => members.slice(a + 1).every((j) => agrees(i, j)))) continue;
      if (isEligible(members)) {
        best = members;
        break;
      }
    }
    if (best) break;
  }
  return best;
}

function* combinations(n: number, size: number, start = 0, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === size) {
    yield prefix;
    return;
  }
  for (let i = start; i <= n - (size - prefix.length); i++) yield* combinations(n, size, i + 1, [...prefix, i]);
}

/** Share of the task's items on which every result's evidence is identical (shown on the task card). */
export function itemAgreement(results: readonly AgreementInput[], itemIds: readonly string[]): number {
  if (results.length === 0 || itemIds.length === 0) return 0;
  const first = results[0]!;
  const agreed = itemIds.filter((item) =>
    results.every((r) => JSON.stringify(r.items[item]?.extracted) === JSON.stringify(first.items[item]?.extracted)),
  );
  return agreed.length / itemIds.length;
}
