/**
 * Deterministic, unpredictable item sampling: the items of a task are a function of (benchmark key, scored dataset
 * sha256, the epoch's seed, n) and nothing else, so every runner and the server compute the same list, all models of
 * one epoch share it (paired comparisons), and nobody can compute an epoch's items before its seed is revealed.
 * The server commits to each epoch's seed in advance (its sha256 is public at least one epoch ahead) and reveals
 * it when the epoch starts: see src/server/services/tasks/epoch-seeds.ts.
 *
 * Algorithm (docs/benchmarks.md has the rationale and a Python reference in fixtures/generate-fixtures.py):
 *   seed  = int.from_bytes(sha256(f"quorum-sample/v2\n{key}\n{dataset_sha256}\n{epoch_seed_hex}"), "big")
 *   perm  = list(range(N)); random.Random(seed).shuffle(perm)      (CPython's shuffle, see python-random.ts)
 *   items = perm[:n]                                                 N = number of items in the scored split
 * Items are distinct within a task; across epochs they are drawn independently (an item may come back before the
 * whole split was seen: the price of not being able to predict the next epoch from the last).
 */
import type { BenchmarkDefinition } from "./benchmark-definition";
import { PythonRandom } from "./python-random";
import { sha256Hex } from "./sha256";

const SEED_PATTERN = /^[0-9a-f]{64}$/;

/** The item ids of a task in the epoch whose seed is `epochSeed` (64 hex digits), n of them (default: itemsPerTask). */
export function sampleItems(def: BenchmarkDefinition, epochSeed: string, n: number = def.itemsPerTask): string[] {
  const size = def.itemCount();
  if (!SEED_PATTERN.test(epochSeed)) throw new RangeError(`epochSeed must be 64 lower-case hex digits, got ${epochSeed}`);
  if (!Number.isInteger(n) || n < 1 || n > size) throw new RangeError(`n must be an integer in 1..${size}, got ${n}`);
  const seed = BigInt(`0x${sha256Hex(`quorum-sample/v2\n${def.key}\n${def.scoredDatasetSha256}\n${epochSeed}`)}`);
  const perm = new PythonRandom(seed).shuffle(Array.from({ length: size }, (_, i) => i));
  const ids = def.allItemIds();
  return perm.slice(0, n).map((index) => ids[index]!);
}
