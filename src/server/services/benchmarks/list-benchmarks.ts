import type { CommunityBenchmarkDefinition } from "@/lib/benchmarks/community/families";
import { getBenchmark } from "@/lib/benchmarks/registry";
import type { Db } from "@/server/db";
import { registerCommunityBenchmarks } from "@/server/services/benchmarks/community/load-community-benchmarks";

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
  /** A community benchmark (a definition stored as data): its family, creator and probation status; null for code ones. */
  community: {
    family: string;
    createdById: string;
    status: "PROBATION" | "ACTIVE" | "REJECTED";
    reason: string | null;
    canaryTaskIds: string[];
    promptTemplate: string;
    datasetUrl: string;
  } | null;
}

/** Benchmark rows joined with their definitions in the registry. */
export async function listBenchmarks(options: { db: Db; activeOnly?: boolean }): Promise<BenchmarkInfo[]> {
  const rows = await options.db.benchmark.findMany({
    where: options.activeOnly ? { isActive: true } : undefined,
    orderBy: { id: "asc" },
  });
  await registerCommunityBenchmarks(options.db);
  const stored = await options.db.communityBenchmark.findMany({
    where: { id: { in: rows.map((row) => row.id) } },
    select: { id: true, createdById: true, status: true, reason: true, canaryTaskIds: true },
  });
  const communityOf = new Map(stored.map((entry) => [entry.id, entry]));
  return rows.map((row) => {
    const entry = communityOf.get(row.id);
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
      community:
        entry && "community" in definition
          ? {
              family: (definition as CommunityBenchmarkDefinition).community.family,
              createdById: entry.createdById,
              status: entry.status,
              reason: entry.reason,
              canaryTaskIds: entry.canaryTaskIds,
              promptTemplate: (definition as CommunityBenchmarkDefinition).community.promptTemplate,
              datasetUrl: (definition as CommunityBenchmarkDefinition).community.dataset.url,
            }
          : null,
    };
  });
}
