/**
 * The server's side of community benchmarks in the registry: every stored definition is registered under its key
 * (metadata, item ids and sampling need no download), and a benchmark's dataset is downloaded and verified only
 * when its items are to be scored or shown (re-scoring a submission). Stored definitions are immutable, so a
 * definition registered once stays right for the life of the process.
 */
import { ZCommunityBenchmarkSchema } from "@/lib/benchmarks/community/definition";
import { ensureCommunityDataset, type DatasetSourceOptions } from "@/lib/benchmarks/community/dataset-cache";
import type { BenchmarkDefinition } from "@/lib/benchmarks/benchmark-definition";
import { getBenchmark, getCommunityBenchmark, registerCommunityBenchmark } from "@/lib/benchmarks/registry";
import type { Prisma } from "@/generated/prisma/client";
import { env } from "@/env";
import type { Db } from "@/server/db";

/** How the server downloads community datasets (public hosts only on a real server). */
export function serverDatasetOptions(): DatasetSourceOptions {
  return {
    allowPrivateHosts: env.QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS && env.QUORUM_ALLOW_TEST_DOUBLES,
    maxCacheBytes: env.COMMUNITY_DATASET_CACHE_MB * 1024 * 1024,
  };
}

interface StoredRow {
  id: string;
  slug: string;
  version: number;
  definition: Prisma.JsonValue;
  itemCount: number;
}

function register(row: StoredRow) {
  const existing = getCommunityBenchmark(row.id);
  if (existing) return existing;
  return registerCommunityBenchmark({
    slug: row.slug,
    version: String(row.version),
    // Stored after validation; parsed again so a hand-edited row cannot smuggle in fields the schema refuses.
    definition: ZCommunityBenchmarkSchema.parse(row.definition),
    itemCount: row.itemCount,
  });
}

/**
 * Registers every stored community definition not yet registered in this process (one small query). A row that
 * cannot be registered (a code benchmark later took its slug, a row edited by hand) is logged and skipped, so one
 * bad row never takes the pages down; its own tasks then fail to score with the reason.
 */
export async function registerCommunityBenchmarks(db: Db | Prisma.TransactionClient): Promise<void> {
  const rows = await db.communityBenchmark.findMany({ select: { id: true, slug: true, version: true, definition: true, itemCount: true } });
  for (const row of rows) {
    if (getCommunityBenchmark(row.id)) continue;
    try {
      register(row);
    } catch (error) {
      console.error(`[benchmarks] community benchmark ${row.id} is not registered: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/**
 * The definition of `key`, ready to build requests and score: a code benchmark as is; a community benchmark
 * registered from its row and with its dataset downloaded and verified (DatasetFetchError / DatasetFormatError).
 */
export async function prepareBenchmark(db: Db | Prisma.TransactionClient, key: string): Promise<BenchmarkDefinition> {
  let community = getCommunityBenchmark(key);
  if (!community) {
    const row = await db.communityBenchmark.findUnique({ where: { id: key }, select: { id: true, slug: true, version: true, definition: true, itemCount: true } });
    if (!row) return getBenchmark(key);
    community = register(row);
  }
  await ensureCommunityDataset(community, serverDatasetOptions());
  return community;
}
