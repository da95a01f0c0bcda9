/**
 * The benchmark registry, keyed by `id@version`. Adding a benchmark: write its definition (see
 * benchmark-definition.ts) and its pinned data, and add it here; the database row is created at the next start.
 */
import type { BenchmarkDefinition } from "./benchmark-definition";
import { UnknownBenchmarkError } from "./errors";
import { claimVerdictGen, claimVerdictLl } from "./claim-verdicts";
import { gsm8k } from "./gsm8k";
import { humaneval } from "./humaneval";
import { longContextBenchmarks } from "./long-context";
import { heldoutPerplexity } from "./perplexity";
import { truthfulqaMc } from "./truthfulqa";

const DEFINITIONS: readonly BenchmarkDefinition[] = [gsm8k, truthfulqaMc, humaneval, claimVerdictLl, claimVerdictGen, heldoutPerplexity, ...longContextBenchmarks];
const BY_KEY = new Map(DEFINITIONS.map((definition) => [definition.key, definition]));

export function listBenchmarks(): BenchmarkDefinition[] {
  return [...DEFINITIONS];
}

/** The definition registered under `key` (`gsm8k@3`); throws UnknownBenchmarkError listing the known keys. */
export function getBenchmark(key: string): BenchmarkDefinition {
  const definition = BY_KEY.get(key);
  if (!definition) throw new UnknownBenchmarkError(key, [...BY_KEY.keys()]);
  return definition;
}

/** For people typing a name: a full key, or a bare id when exactly one version of it is registered. */
export function resolveBenchmark(keyOrId: string): BenchmarkDefinition {
  const exact = BY_KEY.get(keyOrId);
  if (exact) return exact;
  const versions = DEFINITIONS.filter((definition) => definition.id === keyOrId);
  if (versions.length === 1) return versions[0]!;
  throw new UnknownBenchmarkError(keyOrId, [...BY_KEY.keys()]);
}
