/**
 * Consensus over the recomputed scores of one task's results (pure; no database).
 *
 * 1. Nothing is decided until the task's target number of results is in (the quorum K, at first).
 * 2. First round (exactly K results): if max - min of the primary scores is within the tolerance, accept the
 *    median result. Every result within the tolerance of the accepted value is VALID.
 * 3. Otherwise the task is DISPUTED and two more slots open (so a strict majority can form), up to maxResults.
 *    With more results in, accept the largest cluster whose range is within the tolerance if it is a strict
 *    majority of all results (its median is accepted; members VALID, the rest INVALID); if there is none and
 *    maxResults is reached, the task stays DISPUTED with a reason users can read.
 */

export interface ConsensusInput {
  id: string;
  primary: number;
  /** Per item: the runner's extracted answers, serialised; used for item agreement. */
  extracted: Record<string, string>;
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
  tolerance: number;
}

/** A tiny epsilon so that 0.1 + 0.2-style float noise never turns agreement into a dispute. */
const EPSILON = 1e-9;

export function decideConsensus(results: ConsensusInput[], settings: ConsensusSettings): ConsensusDecision {
  if (results.length < settings.targetResults) return { kind: "waiting" };
  const sorted = [...results].sort((a, b) => a.primary - b.primary || a.id.localeCompare(b.id));
  const agreement = itemAgreement(results);
  const format = (value: number) => value.toFixed(3);

  const cluster = largestCluster(sorted, settings.tolerance);
  const isFirstRound = results.length <= settings.quorum;
  const isAccepted = isFirstRound ? cluster.length === sorted.length : cluster.length * 2 > sorted.length;
  if (isAccepted) {
    const accepted = cluster[Math.floor((cluster.length - 1) / 2)]!;
    const valid = sorted.filter((r) => Math.abs(r.primary - accepted.primary) <= settings.tolerance + EPSILON);
    const validIds = new Set(valid.map((r) => r.id));
    return {
      kind: "accepted",
      acceptedId: accepted.id,
      acceptedScore: accepted.primary,
      valid: [...validIds],
      invalid: sorted.filter((r) => !validIds.has(r.id)).map((r) => r.id),
      itemAgreement: agreement,
    };
  }
  const scores = sorted.map((r) => format(r.primary)).join(", ");
  if (sorted.length >= settings.maxResults) {
    return {
      kind: "disputed",
      isFinal: true,
      targetResults: settings.targetResults,
      itemAgreement: agreement,
      reason:
        `No strict majority of the ${sorted.length} results agrees within ±${settings.tolerance} ` +
        `(scores: ${scores}); the maximum of ${settings.maxResults} results is reached, so no score is published.`,
    };
  }
  const targetResults = Math.min(settings.maxResults, sorted.length + 2);
  return {
    kind: "disputed",
    isFinal: false,
    targetResults,
    itemAgreement: agreement,
    reason:
      `The ${sorted.length} results disagree by more than ±${settings.tolerance} (scores: ${scores}); ` +
      `collecting up to ${targetResults} results to find a majority.`,
  };
}

/** The largest run of sorted results whose range (max - min) is within the tolerance; the earliest on ties. */
function largestCluster(sorted: ConsensusInput[], tolerance: number): ConsensusInput[] {
  let best: [number, number] = [0, 0];
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]!.primary - sorted[start]!.primary > tolerance + EPSILON) start++;
    if (end - start > best[1] - best[0]) best = [start, end];
  }
  return sorted.slice(best[0], best[1] + 1);
}

/** Share of items on which every result extracted the same answers. */
export function itemAgreement(results: ConsensusInput[]): number {
  if (results.length === 0) return 0;
  const items = Object.keys(results[0]!.extracted);
  if (items.length === 0) return 0;
  const agreed = items.filter((item) => results.every((r) => r.extracted[item] === results[0]!.extracted[item]));
  return agreed.length / items.length;
}
