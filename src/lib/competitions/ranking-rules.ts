/**
 * The ranking rules a competition can use (pure; no database). Each rule is a state machine over a log of decisions:
 * `advanceCompetition` takes the decisions already recorded and the contenders' current evidence, and returns the new
 * decisions to append (never a change to an old one) plus the duels still pending. Recomputing it with the same
 * inputs gives the same answer, so anyone can check a decision from the public traces.
 *
 * - king (Albedo): one incumbent, the king. A challenger dethrones it only when, on their shared items, the mean
 *   improvement is at least `winMargin` AND the paired bootstrap lower confidence bound (alpha, resamples, seeded by
 *   the duel's label) is above 0.
 * - roster (Caster): a sticky top-N. The incumbent is #1; a challenger that beats #1 under the same two gates enters
 *   as #1 and everyone shifts down one place (the last drops off); one that does not leaves the roster unchanged.
 * - band (autoresearch): one incumbent, the best. A challenger becomes the best when its mean improvement is at least
 *   `band`, or when it is smaller (fewer parameters) and its improvement is at least -band (inside the band or
 *   better).
 *
 * Common to all: a contender takes part only with at least `minEvaluations` accepted evaluations and when it is not
 * a near-duplicate. A challenger meets a given incumbent at most once; the decision is final. A duel is decided on
 * whole epochs, oldest first, as soon as they give `minSharedItems` shared items (so the result does not depend on
 * when it was computed); until then it is pending and shows the current figures. Size-class locks (config keys
 * that must equal the incumbent's) and the quantization refusal are checked before a duel; a refusal is a decision.
 *
 * Improvements are oriented by each benchmark's direction: positive always means "the challenger is better".
 */
import { pairedBootstrap, duelLabel, type Stratum } from "./paired-bootstrap";

export type RuleKind = "board" | "king" | "roster" | "band";

export interface CompetitionRules {
  kind: RuleKind;
  /** Accepted evaluations (tasks, each cross-checked by its quorum of runners) a model needs before it takes part. */
  minEvaluations: number;
  /** Shared items a duel needs before it is decided. */
  minSharedItems: number;
  /** king/roster: the mean improvement the challenger needs, in the primary metric's units (0.02 = 2 points of 100). */
  winMargin: number;
  alpha: number;
  resamples: number;
  /** Config keys that must equal the incumbent's (the size class). */
  lockKeys: string[];
  refuseQuantized: boolean;
  /** roster: how many places. */
  rosterSize: number;
  /** band: the resolution band, in the metric's units (0.02 nats of perplexity in the seed). */
  band: number;
}

export interface CompetitionBenchmark {
  /** Benchmark id (`gsm8k@3`). */
  key: string;
  weight: number;
  higherIsBetter: boolean;
}

export interface Contender {
  id: string;
  /** `repo@revision`: names the model in duel labels. */
  ref: string;
  /** Registration order (earlier first): the order in which challengers are heard. */
  order: number;
  evaluations: number;
  /** Set when the model is a near-duplicate of an earlier one: it takes no part. */
  duplicateOf: string | null;
  parameterCount: number | null;
  /** config.json as reported with consensus-checked results; null until known. */
  config: Record<string, unknown> | null;
  /** benchmark key -> `${epoch}/${item}` -> the item's primary-metric value. */
  items: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export interface DuelFigures {
  sharedItems: number;
  /** Epochs whose items were used. */
  epochs: number[];
  mean: number;
  lcb: number | null;
  lo: number | null;
  hi: number | null;
  alpha: number;
  resamples: number;
  label: string;
  seedHex: string | null;
}

export type DecisionOutcome = "crowned" | "won" | "lost" | "refused";

export interface Decision {
  outcome: DecisionOutcome;
  challengerId: string;
  /** Null for the first incumbent (crowned). */
  incumbentId: string | null;
  reason: string;
  figures: DuelFigures | null;
  /** king/band: [incumbent]; roster: the roster after this decision, #1 first. */
  standing: string[];
}

export interface PendingDuel {
  challengerId: string;
  incumbentId: string | null;
  reason: string;
  figures: DuelFigures | null;
}

export interface AdvanceResult {
  decisions: Decision[];
  pending: PendingDuel[];
  standing: string[];
}

/** Keys of a `${epoch}/${item}` map, parsed. */
function epochOf(key: string): number {
  return Number(key.slice(0, key.indexOf("/")));
}

interface SharedItems {
  strata: Stratum[];
  epochs: number[];
  count: number;
}

/**
 * Items both contenders were evaluated on, per benchmark, improvements oriented by direction (a - b, flipped for
 * lower-is-better). With `minItems`, only the oldest whole epochs that reach minItems are used (all when fewer).
 */
export function sharedItems(
  a: Contender,
  b: Contender,
  benchmarks: readonly CompetitionBenchmark[],
  minItems?: number,
): SharedItems {
  const pairs: { bench: number; epoch: number; key: string; d: number }[] = [];
  benchmarks.forEach((benchmark, bench) => {
    const left = a.items.get(benchmark.key);
    const right = b.items.get(benchmark.key);
    if (!left || !right) return;
    for (const [key, value] of left) {
      const other = right.get(key);
      if (other !== undefined) pairs.push({ bench, epoch: epochOf(key), key, d: benchmark.higherIsBetter ? value - other : other - value });
    }
  });
  let epochs = [...new Set(pairs.map((p) => p.epoch))].sort((x, y) => x - y);
  if (minItems !== undefined) {
    const counts = new Map<number, number>();
    for (const pair of pairs) counts.set(pair.epoch, (counts.get(pair.epoch) ?? 0) + 1);
    const chosen: number[] = [];
    let total = 0;
    for (const epoch of epochs) {
      if (total >= minItems) break;
      chosen.push(epoch);
      total += counts.get(epoch)!;
    }
    epochs = chosen;
  }
  const kept = new Set(epochs);
  const strata = benchmarks.map((benchmark, bench) => ({
    weight: benchmark.weight,
    differences: pairs
      .filter((p) => p.bench === bench && kept.has(p.epoch))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
      .map((p) => p.d),
  }));
  return { strata, epochs, count: strata.reduce((n, s) => n + s.differences.length, 0) };
}

function plainMean(strata: readonly Stratum[]): number {
  let total = 0;
  let weights = 0;
  for (const stratum of strata) {
    if (stratum.differences.length === 0) continue;
    total += (stratum.weight * stratum.differences.reduce((x, y) => x + y, 0)) / stratum.differences.length;
    weights += stratum.weight;
  }
  return weights === 0 ? 0 : total / weights;
}

/** The figures of challenger vs incumbent; with `minItems` on the oldest epochs reaching it. */
export function duelFigures(
  challenger: Contender,
  incumbent: Contender,
  benchmarks: readonly CompetitionBenchmark[],
  settings: { scope: string; alpha: number; resamples: number; minItems?: number; withBootstrap: boolean },
): DuelFigures {
  const shared = sharedItems(challenger, incumbent, benchmarks, settings.minItems);
  const label = duelLabel(settings.scope, challenger.ref, incumbent.ref);
  const base = { sharedItems: shared.count, epochs: shared.epochs, alpha: settings.alpha, resamples: settings.resamples, label };
  if (shared.count === 0) return { ...base, mean: 0, lcb: null, lo: null, hi: null, seedHex: null };
  if (!settings.withBootstrap) return { ...base, mean: plainMean(shared.strata), lcb: null, lo: null, hi: null, seedHex: null };
  const result = pairedBootstrap(shared.strata, { label, alpha: settings.alpha, resamples: settings.resamples });
  return { ...base, mean: result.mean, lcb: result.lcb, lo: result.lo, hi: result.hi, seedHex: result.seedHex };
}

/** Why a contender may not take part at all, or null. */
export function ineligibility(contender: Contender, rules: CompetitionRules): string | null {
  if (contender.duplicateOf) return "near-duplicate of an earlier model";
  if (contender.evaluations < rules.minEvaluations) {
    return `needs ${rules.minEvaluations} accepted evaluations, has ${contender.evaluations}`;
  }
  return null;
}

/** A refusal naming the key, null when admitted, "unknown" while the config has not been reported. */
export function lockRefusal(challenger: Contender, incumbent: Contender | null, rules: CompetitionRules): string | null | "unknown" {
  const needsConfig = rules.refuseQuantized || (incumbent !== null && rules.lockKeys.length > 0);
  if (!needsConfig) return null;
  if (challenger.config === null) return "unknown";
  if (rules.refuseQuantized && challenger.config.quantization_config !== undefined) {
    return "quantization_config: quantized models are refused in this competition";
  }
  if (incumbent === null || rules.lockKeys.length === 0) return null;
  if (incumbent.config === null) return "unknown";
  for (const key of rules.lockKeys) {
    const mine = JSON.stringify(challenger.config[key] ?? null);
    const theirs = JSON.stringify(incumbent.config[key] ?? null);
    if (mine !== theirs) return `${key}: ${mine} differs from the incumbent's ${theirs} (the size class is locked)`;
  }
  return null;
}

function format(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

type Verdict = { kind: "pending"; reason: string; figures: DuelFigures | null } | { kind: "decided"; outcome: "won" | "lost" | "refused"; reason: string; figures: DuelFigures | null };

function judge(
  challenger: Contender,
  incumbent: Contender,
  rules: CompetitionRules,
  benchmarks: readonly CompetitionBenchmark[],
  scope: string,
): Verdict {
  const refusal = lockRefusal(challenger, incumbent, rules);
  if (refusal === "unknown") return { kind: "pending", reason: "waiting for the model's config.json to be reported", figures: null };
  if (refusal !== null) return { kind: "decided", outcome: "refused", reason: refusal, figures: null };
  const withBootstrap = rules.kind !== "band";
  const available = sharedItems(challenger, incumbent, benchmarks).count;
  if (available < rules.minSharedItems) {
    const figures = duelFigures(challenger, incumbent, benchmarks, { scope, alpha: rules.alpha, resamples: rules.resamples, withBootstrap });
    return { kind: "pending", reason: `${available} of ${rules.minSharedItems} shared items`, figures };
  }
  const figures = duelFigures(challenger, incumbent, benchmarks, {
    scope,
    alpha: rules.alpha,
    resamples: rules.resamples,
    minItems: rules.minSharedItems,
    withBootstrap,
  });
  if (rules.kind === "band") {
    if (figures.mean >= rules.band) {
      return { kind: "decided", outcome: "won", reason: `improves by ${format(figures.mean)}, at least the band of ${format(rules.band)}`, figures };
    }
    const smaller =
      challenger.parameterCount !== null && incumbent.parameterCount !== null && challenger.parameterCount < incumbent.parameterCount;
    if (smaller && figures.mean >= -rules.band) {
      return {
        kind: "decided",
        outcome: "won",
        reason: `smaller (${challenger.parameterCount!.toLocaleString("en")} < ${incumbent.parameterCount!.toLocaleString("en")} parameters) and within the band of ${format(rules.band)} (${format(figures.mean)})`,
        figures,
      };
    }
    return {
      kind: "decided",
      outcome: "lost",
      reason: `improvement ${format(figures.mean)} is below the band of ${format(rules.band)}${smaller ? " and outside it" : ""}`,
      figures,
    };
  }
  const marginOk = figures.mean >= rules.winMargin;
  const lcbOk = figures.lcb !== null && figures.lcb > 0;
  const gates = `mean difference ${format(figures.mean)} ${marginOk ? ">=" : "<"} margin ${format(rules.winMargin)}; lower bound ${format(figures.lcb ?? 0)} ${lcbOk ? ">" : "<="} 0`;
  return { kind: "decided", outcome: marginOk && lcbOk ? "won" : "lost", reason: gates, figures };
}

function initialStanding(history: readonly Decision[]): string[] {
  return history.length === 0 ? [] : [...history[history.length - 1]!.standing];
}

/** Applies the rule to the contenders, given the decisions already taken (oldest first). */
export function advanceCompetition(options: {
  rules: CompetitionRules;
  benchmarks: readonly CompetitionBenchmark[];
  /** Names the competition (slug@version) in duel labels. */
  scope: string;
  history: readonly Decision[];
  contenders: readonly Contender[];
}): AdvanceResult {
  const { rules, benchmarks, scope } = options;
  if (rules.kind === "board") return { decisions: [], pending: [], standing: [] };
  const byId = new Map(options.contenders.map((c) => [c.id, c]));
  const ordered = [...options.contenders].sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : 1));
  const met = new Set<string>();
  const pairKey = (x: string, y: string) => (x < y ? `${x} ${y}` : `${y} ${x}`);
  for (const decision of options.history) {
    if (decision.incumbentId) met.add(pairKey(decision.challengerId, decision.incumbentId));
  }
  let standing = initialStanding(options.history);
  const decisions: Decision[] = [];
  const size = rules.kind === "roster" ? rules.rosterSize : 1;

  for (;;) {
    const pending: PendingDuel[] = [];
    let changed = false;
    const incumbent = standing.length > 0 ? byId.get(standing[0]!) ?? null : null;
    for (const challenger of ordered) {
      if (standing.includes(challenger.id)) continue;
      const why = ineligibility(challenger, rules);
      if (why !== null) {
        if (!challenger.duplicateOf) pending.push({ challengerId: challenger.id, incumbentId: incumbent?.id ?? null, reason: why, figures: null });
        continue;
      }
      if (incumbent === null) {
        if (standing.length > 0) break; // the incumbent left the competition (withdrawn): nothing is decided without it
        const refusal = lockRefusal(challenger, null, rules);
        if (refusal === "unknown") {
          pending.push({ challengerId: challenger.id, incumbentId: null, reason: "waiting for the model's config.json to be reported", figures: null });
          continue;
        }
        if (refusal !== null) continue;
        standing = [challenger.id];
        decisions.push({ outcome: "crowned", challengerId: challenger.id, incumbentId: null, reason: "first eligible model", figures: null, standing: [...standing] });
        changed = true;
        break;
      }
      if (met.has(pairKey(challenger.id, incumbent.id))) continue;
      const verdict = judge(challenger, incumbent, rules, benchmarks, scope);
      if (verdict.kind === "pending") {
        pending.push({ challengerId: challenger.id, incumbentId: incumbent.id, reason: verdict.reason, figures: verdict.figures });
        continue;
      }
      met.add(pairKey(challenger.id, incumbent.id));
      if (verdict.outcome === "won") standing = [challenger.id, ...standing].slice(0, size);
      decisions.push({
        outcome: verdict.outcome,
        challengerId: challenger.id,
        incumbentId: incumbent.id,
        reason: verdict.reason,
        figures: verdict.figures,
        standing: [...standing],
      });
      if (verdict.outcome === "won") {
        changed = true;
        break;
      }
    }
    if (!changed) return { decisions, pending, standing };
  }
}
