/**
 * The runner's side of a community benchmark: the claim carries the stored definition (runner-api.ts), the runner
 * registers it under the claim's key and downloads and verifies the dataset itself (the same fetchDataset checks as
 * the server: http(s) only, no redirects, no private hosts, size cap, pinned sha256). Code benchmarks pass through.
 */
import type { TClaim } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition } from "../benchmark-definition";
import { getBenchmark, registerCommunityBenchmark } from "../registry";
import { ensureCommunityDataset, type DatasetSourceOptions } from "./dataset-cache";

/** The benchmark of a claim, ready to build requests and score (throws DatasetFetchError / DatasetFormatError). */
export async function prepareClaimBenchmark(claim: TClaim, options: DatasetSourceOptions = {}): Promise<BenchmarkDefinition> {
  const { key, community } = claim.task.benchmark;
  if (!community) return getBenchmark(key);
  const registered = registerCommunityBenchmark({
    slug: community.definition.slug,
    version: community.version,
    definition: community.definition,
    itemCount: community.itemCount,
  });
  if (registered.key !== key) throw new Error(`the claim's benchmark ${key} does not match its definition (${registered.key})`);
  await ensureCommunityDataset(registered, options);
  return registered;
}
