/**
 * Adaptive depth: spend volunteers' compute where ranks are unresolved. Pure, so it can be simulated exhaustively
 * (scripts/bench-depth.ts). Per benchmark, each model's next task gets one of a few tiers of items (default 5, 25,
 * 100). Tiers are prefixes of the epoch's one shared sample (src/lib/benchmarks/sampling.ts: the first n items of one
 * permutation), so a deeper task extends the window every model of the epoch shares and paired comparisons hold.
 *
 *  - new (no interval yet): the minimum tier, a first look.
 *  - unresolved: some other model's order against it is not sure (the difference of means is under `confidence`
 *    standard errors of the difference, read from the 95% intervals) while the two may differ by `resolution` or
 *    more (a difference a reader would care about; pairs surely closer than that are ties that need no items). A model whose
 *    own error alone spans more than twice the resolution gets the top tier, otherwise the middle one.
 *  - settled: no such model: the minimum tier; settled for `skipAfterSettledEpochs` epochs in a row, the model
 *    skips every other epoch.
 */
export interface DepthSettings {
  /** Items per tier, ascending (e.g. [5, 25, 100]). */
  tiers: number[];
  /** Score difference that counts (0.05 = 5 points). */
  resolution: number;
  skipAfterSettledEpochs: number;
  /**
   * How sure the order must be: a pair is at risk while the difference of means is under `confidence` standard
   * errors of the difference (2.5: an inversion probability near 0.6% per benchmark).
   */
  confidence: number;
}

export const DEFAULT_DEPTH_SETTINGS: DepthSettings = { tiers: [5, 25, 100], resolution: 0.05, skipAfterSettledEpochs: 6, confidence: 2.5 };

export interface DepthInput {
  modelId: string;
  /** The model's pooled score on this benchmark so far; null before its first accepted task. */
  interval: { mean: number; lo: number; hi: number } | null;
  /** From the previous plan. */
  settledEpochs: number;
}

export interface DepthDecision {
  modelId: string;
  items: number;
  reason: string;
  settledEpochs: number;
  isSkipped: boolean;
}

export function planDepth(models: DepthInput[], settings: DepthSettings, epoch: number): DepthDecision[] {
  const tiers = [...settings.tiers].sort((a, b) => a - b);
  const min = tiers[0]!;
  const top = tiers[tiers.length - 1]!;
  const middle = tiers[Math.floor((tiers.length - 1) / 2)]!;
  const scored = models.filter((m) => m.interval !== null).sort((a, b) => a.interval!.mean - b.interval!.mean);
  const position = new Map(scored.map((m, i) => [m.modelId, i]));

  const se = (interval: { lo: number; hi: number }) => (interval.hi - interval.lo) / 3.92;
  /** Models at least `resolution` away whose order against this one is not yet sure. */
  const conflicts = (index: number): number => {
    const own = scored[index]!.interval!;
    const ownSe = se(own);
    let count = 0;
    for (const step of [1, -1]) {
      for (let j = index + step; j >= 0 && j < scored.length; j += step) {
        const other = scored[j]!.interval!;
        const gap = Math.abs(other.mean - own.mean);
        // Beyond any interval width seen, nothing further out can be at risk.
        if (gap > settings.confidence * Math.SQRT2 * 0.5) break;
        const margin = settings.confidence * Math.hypot(ownSe, se(other));
        // At risk: the order is not sure, and the two may well be a meaningful distance apart (a pair surely
        // closer than the resolution is a tie that needs no more items).
        if (gap < margin && gap + margin >= settings.resolution) count++;
      }
    }
    return count;
  };

  return models.map((model) => {
    if (!model.interval) return { modelId: model.modelId, items: min, reason: "new: a first look at the minimum depth", settledEpochs: 0, isSkipped: false };
    const count = conflicts(position.get(model.modelId)!);
    if (count > 0) {
      // Far from sure (its own error alone spans twice the resolution): the top tier; close: the middle one.
      const items = settings.confidence * se(model.interval) > 2 * settings.resolution ? top : middle;
      return {
        modelId: model.modelId,
        items,
        reason: `unresolved: its order against ${count} model${count === 1 ? "" : "s"} that may be ${Math.round(settings.resolution * 100)}+ points away is not yet sure`,
        settledEpochs: 0,
        isSkipped: false,
      };
    }
    const settledEpochs = model.settledEpochs + 1;
    const isSkipped = settledEpochs > settings.skipAfterSettledEpochs && epoch % 2 === 1;
    return {
      modelId: model.modelId,
      items: min,
      reason: isSkipped
        ? `settled for ${settledEpochs - 1} epochs: skipping every other epoch`
        : "settled: no model a meaningful distance away overlaps it",
      settledEpochs,
      isSkipped,
    };
  });
}

/** Parses DEPTH_TIERS ("5,25,100"): ascending positive whole numbers; a single value means fixed depth. */
export function parseTiers(text: string): number[] {
  const tiers = text.split(",").map((part) => Number(part.trim()));
  if (tiers.length === 0 || tiers.some((t) => !Number.isInteger(t) || t < 1 || t > 10_000)) {
    throw new RangeError(`DEPTH_TIERS: expected whole numbers of items separated by commas, such as 5,25,100; got ${text}`);
  }
  for (let i = 1; i < tiers.length; i++) if (tiers[i]! <= tiers[i - 1]!) throw new RangeError(`DEPTH_TIERS: expected ascending tiers, got ${text}`);
  return tiers;
}
