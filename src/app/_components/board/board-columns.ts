/**
 * The board's columns: which exist for a set of benchmarks and a view, how each is labelled and which sort key of
 * the API it stands for. Cells are drawn by board-row.tsx; a column added here needs a cell there.
 */
import { benchmarkShortName, metricLabel } from "@/app/_lib/format";
import { defaultOrder, type TSortOrder } from "@/lib/leaderboard/board-query";
import type { TPublicBenchmark } from "@/lib/leaderboard/public-board";

export type BoardView = "scores" | "green";

export type ColumnKind = "rank" | "model" | "metric" | "overall" | "energy" | "co2" | "score_per_kwh" | "updated" | "work";

export interface BoardColumn {
  key: string;
  kind: ColumnKind;
  label: string;
  sublabel?: string;
  /** The API's sort key; null for a column that does not sort. */
  sort: string | null;
  defaultOrder: TSortOrder;
  benchmarkId?: string;
  metric?: string;
  /** Shown on a phone, where the row becomes a card; secondary columns are left to the model page. */
  isOnPhone: boolean;
}

export function boardColumns(benchmarks: TPublicBenchmark[], view: BoardView): BoardColumn[] {
  const fixed = (kind: ColumnKind, label: string, extra: Partial<BoardColumn> = {}): BoardColumn => {
    const sort = extra.sort === undefined ? kind : extra.sort;
    return { key: kind, kind, label, sort, defaultOrder: defaultOrder(sort ?? kind), isOnPhone: true, ...extra };
  };
  const rank = fixed("rank", "Rank");
  const model = fixed("model", "Model");
  const overall = fixed("overall", "Overall");
  const energy = fixed("energy", "Energy", { sublabel: "per item" });
  if (view === "green") {
    return [
      rank,
      model,
      overall,
      energy,
      fixed("co2", "CO₂", { sublabel: "per item, estimated", sort: "energy", key: "co2", isOnPhone: false }),
      fixed("score_per_kwh", "Score per kWh", { sublabel: "overall % / kWh per 1,000 items" }),
    ];
  }
  const metrics = benchmarks.flatMap((benchmark) =>
    benchmark.metrics.map<BoardColumn>((metric) => {
      const isHigherBetter = benchmark.higherIsBetter[metric] ?? true;
      return {
        key: `${benchmark.id}:${metric}`,
        kind: "metric",
        label: benchmarkShortName(benchmark.name),
        sublabel: `${metricLabel(metric)}${isHigherBetter ? "" : " (lower is better)"}`,
        sort: `${benchmark.id}:${metric}`,
        defaultOrder: defaultOrder(`${benchmark.id}:${metric}`, isHigherBetter),
        benchmarkId: benchmark.id,
        metric,
        isOnPhone: metric === benchmark.primaryMetric,
      };
    }),
  );
  return [
    rank,
    model,
    ...metrics,
    overall,
    { ...energy, isOnPhone: false },
    fixed("updated", "Updated", { isOnPhone: false }),
    fixed("work", "Work", { sort: null }),
  ];
}
