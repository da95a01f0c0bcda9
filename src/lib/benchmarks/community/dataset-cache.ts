/**
 * Community datasets by sha256, downloaded once per process and kept in a bounded cache (least recently used out
 * first), so a runner evaluating many tasks of one benchmark, or a server re-scoring its submissions, downloads the
 * file once. The cache key is the pinned sha256, so two benchmarks that pin the same bytes share one entry, and bytes
 * enter the cache only after fetchDataset verified them. Concurrent requests for one hash share one download.
 */
import type { CommunityBenchmarkDefinition } from "./families";
import { fetchDataset, type FetchDatasetOptions } from "./fetch-dataset";

/** Default bound of the cache: 256 MiB of dataset bytes (four datasets at the 64 MiB cap). */
export const DEFAULT_DATASET_CACHE_BYTES = 256 * 1024 * 1024;

const cache = new Map<string, Buffer>();
const inFlight = new Map<string, Promise<Buffer>>();
let cachedBytes = 0;

export type DatasetSourceOptions = Pick<FetchDatasetOptions, "allowPrivateHosts" | "timeoutMs" | "maxBytes"> & {
  maxCacheBytes?: number;
};

function remember(sha256: string, bytes: Buffer, maxCacheBytes: number): void {
  if (bytes.byteLength > maxCacheBytes) return;
  cache.set(sha256, bytes);
  cachedBytes += bytes.byteLength;
  for (const [key, value] of cache) {
    if (cachedBytes <= maxCacheBytes) break;
    cache.delete(key);
    cachedBytes -= value.byteLength;
  }
}

/** The verified bytes of a dataset: from the cache, or downloaded (throws DatasetFetchError naming the field). */
export async function datasetBytes(url: string, sha256: string, options: DatasetSourceOptions = {}): Promise<Buffer> {
  const hit = cache.get(sha256);
  if (hit) {
    cache.delete(sha256);
    cache.set(sha256, hit);
    return hit;
  }
  let pending = inFlight.get(sha256);
  if (!pending) {
    pending = fetchDataset({ url, sha256, ...options }).then(
      (bytes) => {
        remember(sha256, bytes, options.maxCacheBytes ?? DEFAULT_DATASET_CACHE_BYTES);
        return bytes;
      },
    ).finally(() => inFlight.delete(sha256));
    inFlight.set(sha256, pending);
  }
  return pending;
}

/** Makes sure a community benchmark has its dataset loaded (downloaded and verified, or from the cache). */
export async function ensureCommunityDataset(definition: CommunityBenchmarkDefinition, options: DatasetSourceOptions = {}): Promise<void> {
  if (definition.isDatasetLoaded()) return;
  const { url, sha256 } = definition.community.dataset;
  definition.loadDataset(await datasetBytes(url, sha256, options));
}

/** For tests: empties the cache. */
export function clearDatasetCache(): void {
  cache.clear();
  cachedBytes = 0;
}

export function datasetCacheSize(): { entries: number; bytes: number } {
  return { entries: cache.size, bytes: cachedBytes };
}
