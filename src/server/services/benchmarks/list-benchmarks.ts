import { getBenchmark } from "@/lib/benchmarks/registry";
import type { Db } from "@/server/db";

export interface BenchmarkInfo {
  id: string;
  name: string;
  description: string;
  version: string;
  itemsPerTask: number;
  quorum: number;
  minAgreement: number;
  maxResults: number;
  isActive: boolean;
  primaryMetric: string;
  metrics: { name: string; higherIsBetter: boolean; kind: "binary" | "continuous" }[];
  itemCount: number;
  datasets: { file: string; sha256: string; licence: string }[];
  scoringSummary: string;
}

/** Benchmark rows joined with their definitions in the registry. */
export async function listBenchmarks(options: { db: Db; activeOnly?: boolean }): Promise<BenchmarkInfo[]> {
  const rows = await options.db.benchmark.findMany({
    where: options.activeOnly ? { isActive: true } : undefined,
    orderBy: { id: "asc" },
  });
  return rows.map((row) => {
    const definition = getBenchmark(row.id);
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      version: row.version,
      itemsPerTask: row.itemsPerTask,
      quorum: row.quorum,
      minAgreement: row.minAgreement,
      maxResults: row.maxResults,
      isActive: row.isActive,
      primaryMetric: definition.primaryMetric,
      metrics: definition.metrics.map((metric) => ({ ...metric })),
      itemCount: definition.itemCount(),
      datasets: definition.datasets.map((dataset) => ({ ...dataset })),
      scoringSummary: definition.scoringSummary,
    };
  });
}
