/**
 * The public shape of /api/v0/leaderboard.json (documented in docs/api.md), which the board page also reads.
 * Stable within apiVersion 0: fields may be added, none renamed or removed.
 */
import type { TBoardQuery, TSortOrder } from "@/lib/leaderboard/board-query";

export interface TPublicSummary {
  mean: number;
  n: number;
  stderr: number | null;
  ci95: [number, number];
}

export interface TPublicBenchmark {
  id: string;
  name: string;
  primaryMetric: string;
  metrics: string[];
  /** metric -> whether higher is better */
  higherIsBetter: Record<string, boolean>;
  /** the metrics where lower is better (the same facts as higherIsBetter, as a list) */
  lowerIsBetter: string[];
}

export interface TPublicLongContext {
  /** the largest tier passed (accuracy at least 85%), e.g. `128k`; null when none */
  highestTierPassed: string | null;
  /** the best QUASAR reward over the tiers evaluated: min(accuracy x multiplier, 1) */
  score: number;
}

export interface TPublicEnergy {
  /** watt-hours per evaluated item */
  whPerItem: number;
  /** grams of CO2 per item at the server's grid intensity */
  co2gPerItem: number;
  results: number;
  /** some of it came from a runner's declared GPU watts rather than power readings */
  declared: boolean;
}

export interface TPublicModel {
  id: string;
  repo: string;
  revision: string;
  weightType: "original" | "adapter" | "delta";
  precision: string;
  baseModel: string | null;
  submitter: string;
  rank: number | null;
  /** another model shares this rank (their 95% intervals overlap) */
  isTied: boolean;
  overall: TPublicSummary | null;
  /** long-context tiers, when any was scored */
  longContext: TPublicLongContext | null;
  scores: Record<string, Record<string, TPublicSummary>>;
  acceptedTasks: Record<string, number>;
  pendingTasks: number;
  disputedTasks: number;
  /** null: no runner could measure it */
  energy: TPublicEnergy | null;
  /** overall score (%) per kWh spent on 1,000 items */
  scorePerKwh: number | null;
  updatedAt: string | null;
  registeredAt: string;
}

export interface TPublicLeaderboard {
  apiVersion: 0;
  dataVersion: string;
  generatedAt: string;
  /** models matching the query (all ranked models when there is no filter) */
  total: number;
  /** every model on the board */
  boardTotal: number;
  offset: number;
  limit: number;
  query: Omit<TBoardQuery, "order"> & { order: TSortOrder };
  /** grid intensity used for CO2, grams per kWh, and where the figure comes from */
  grid: { gramsCo2PerKwh: number; source: string };
  benchmarks: TPublicBenchmark[];
  models: TPublicModel[];
}

/** [lo, hi] back to the summary the score drawing takes. */
export function toIntervalSummary(summary: TPublicSummary | null | undefined) {
  return summary ? { mean: summary.mean, n: summary.n, lo: summary.ci95[0], hi: summary.ci95[1] } : null;
}
