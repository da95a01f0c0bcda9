/**
 * Deterministic item sampling: the items of a task are a function of (benchmark key, scored dataset sha256,
 * epoch, n) and nothing else, so every runner and the server compute the same list.
 *
 * Algorithm (docs/benchmarks.md has the rationale and a Python reference):
 *   per_cycle = ceil(N / n)                       N = number of items in the scored split
 *   cycle, window = divmod(epoch, per_cycle)
 *   seed = int.from_bytes(sha256(f"quorum-sample/v1\n{key}\n{dataset_sha256}\n{cycle}"), "big")
 *   perm = list(range(N)); random.Random(seed).shuffle(perm)            (CPython's shuffle, see python-random.ts)
 *   items = perm[window*n : window*n + n], topped up from perm[0:] in the last window of a cycle
 * Consecutive epochs walk one fixed permutation without replacement, so a model evaluated every epoch covers the
 * whole split once per cycle (per_cycle epochs); each cycle then walks a fresh permutation. Within a task the items
 * are always distinct. Changing n changes the windows, so a benchmark's n should stay fixed once tasks exist.
 */
import type { BenchmarkDefinition } from "./benchmark-definition";
import { PythonRandom } from "./python-random";
import { sha256Hex } from "./sha256";

const permutations = new Map<string, number[]>();

function permutation(key: string, datasetSha256: string, cycle: number, size: number): number[] {
  const cacheKey = `${key}\n${datasetSha256}\n${cycle}\n${size}`;
  const cached = permutations.get(cacheKey);
  if (cached) return cached;
  const seed = BigInt(`0x${sha256Hex(`quorum-sample/v1\n${key}\n${datasetSha256}\n${cycle}`)}`);
  const perm = new PythonRandom(seed).shuffle(Array.from({ length: size }, (_, i) => i));
  if (permutations.size > 64) permutations.clear();
  permutations.set(cacheKey, perm);
  return perm;
}

/** The item ids of the task for `epoch` (an integer >= 0), n of them (default: the benchmark's itemsPerTask). */
export function sampleItems(def: BenchmarkDefinition, epoch: number, n: number = def.itemsPerTask): string[] {
  const size = def.itemCount();
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be an integer >= 0, got ${epoch}`);
  if (!Number.isInteger(n) || n < 1 || n > size) throw new RangeError(`n must be an integer in 1..${size}, got ${n}`);
  const perCycle = Math.ceil(size / n);
  const cycle = Math.floor(epoch / perCycle);
  const window = epoch % perCycle;
  const perm = permutation(def.key, def.scoredDatasetSha256, cycle, size);
  const picked = perm.slice(window * n, window * n + n);
  picked.push(...perm.slice(0, n - picked.length));
  const ids = def.allItemIds();
  return picked.map((index) => ids[index]!);
}
