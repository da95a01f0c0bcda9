/**
 * The benchmark registry, keyed by `id@version`. Adding a benchmark: write its definition (see
 * benchmark-definition.ts) and its pinned data, and add it here; the database row is created at the next start.
 *
 * Community benchmarks (definitions stored as data, community/families.ts) are registered at run time beside the
 * code definitions: the server from its CommunityBenchmark table, the runner from the definition a claim carries.
 * A community key never replaces a code key, and a registered community key is never replaced by another
 * definition (a stored definition is immutable; a change is a new version).
 */
import type { BenchmarkDefinition } from "./benchmark-definition";
import { UnknownBenchmarkError } from "./errors";
import { claimVerdictGen, claimVerdictLl } from "./claim-verdicts";
import { gsm8k } from "./gsm8k";
import { humaneval } from "./humaneval";
import { longContextBenchmarks } from "./long-context";
import { heldoutPerplexity } from "./perplexity";
import { truthfulqaMc } from "./truthfulqa";
import { buildCommunityBenchmark, type CommunityBenchmarkDefinition } from "./community/families";
import type { TCommunityBenchmark } from "./community/definition";
import { fastCanonicalJson as canonicalJson } from "./canonical-json";

const DEFINITIONS: readonly BenchmarkDefinition[] = [gsm8k, truthfulqaMc, humaneval, claimVerdictLl, claimVerdictGen, heldoutPerplexity, ...longContextBenchmarks];
const BY_KEY = new Map(DEFINITIONS.map((definition) => [definition.key, definition]));

const COMMUNITY = new Map<string, CommunityBenchmarkDefinition>();

/** The benchmarks defined in code (community benchmarks are not listed: they live in the database). */
export function listBenchmarks(): BenchmarkDefinition[] {
  return [...DEFINITIONS];
}

/** Whether `id` (a slug) is taken by a benchmark defined in code. */
export function isCodeBenchmarkId(id: string): boolean {
  return DEFINITIONS.some((definition) => definition.id === id);
}

/**
 * Registers a community benchmark (or returns the one already registered under its key, whose definition must be
 * the same). `itemCount` is the number of scored items when known without the dataset (the server's stored count).
 */
export function registerCommunityBenchmark(options: {
  slug: string;
  version: string;
  definition: TCommunityBenchmark;
  itemCount?: number;
}): CommunityBenchmarkDefinition {
  const key = `${options.slug}@${options.version}`;
  if (BY_KEY.has(key) || isCodeBenchmarkId(options.slug)) throw new Error(`${key}: the slug ${options.slug} belongs to a benchmark defined in code`);
  if (options.definition.slug !== options.slug) throw new Error(`${key}: the definition's slug is ${options.definition.slug}`);
  const existing = COMMUNITY.get(key);
  if (existing) {
    if (canonicalJson(existing.community) !== canonicalJson(options.definition)) {
      throw new Error(`${key} is already registered with another definition; a changed definition is a new version`);
    }
    return existing;
  }
  const built = buildCommunityBenchmark({ key, version: options.version, definition: options.definition, itemCount: options.itemCount });
  COMMUNITY.set(key, built);
  return built;
}

/** The community benchmark registered under `key`, or undefined (also for code keys). */
export function getCommunityBenchmark(key: string): CommunityBenchmarkDefinition | undefined {
  return COMMUNITY.get(key);
}

/** The definition registered under `key` (`gsm8k@3`); throws UnknownBenchmarkError listing the known keys. */
export function getBenchmark(key: string): BenchmarkDefinition {
  const definition = BY_KEY.get(key) ?? COMMUNITY.get(key);
  if (!definition) throw new UnknownBenchmarkError(key, [...BY_KEY.keys(), ...COMMUNITY.keys()]);
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
