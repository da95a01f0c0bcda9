/**
 * The benchmarks page: every benchmark row joined with its registry definition (version, datasets and their
 * sha256, item count, scoring summary, the harness reference), plus the registry's definitions, marking those that
 * have no database row yet (what the create form can add).
 */
import { listBenchmarks as listRegistry } from "@/lib/benchmarks/registry";
import type { Db } from "@/server/db";
import { listBenchmarks } from "@/server/services/benchmarks/list-benchmarks";

export async function listBenchmarkCatalog(options: { db: Db }) {
  const rows = await listBenchmarks({ db: options.db });
  const registry = listRegistry();
  const referenceOf = new Map(registry.map((definition) => [definition.key, definition.reference]));
  const stored = new Set(rows.map((row) => row.id));
  return {
    benchmarks: rows.map((row) => ({ ...row, reference: referenceOf.get(row.id) ?? null })),
    definitions: registry.map((definition) => ({
      key: definition.key,
      name: definition.name,
      version: definition.version,
      itemCount: definition.itemCount(),
      isStored: stored.has(definition.key),
      defaults: {
        itemsPerTask: definition.itemsPerTask,
        quorum: definition.quorum,
        minAgreement: definition.minAgreement,
        maxResults: definition.maxResults,
      },
    })),
  };
}
