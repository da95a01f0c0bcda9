/**
 * Creates a database row for every benchmark in the registry that has none (idempotent; run at every start).
 * Existing rows keep their operator-tuned settings; only the display name and description follow the code.
 */
import { listBenchmarks } from "@/lib/benchmarks/registry";
import type { Db } from "@/server/db";

export async function seedBenchmarks(db: Db): Promise<void> {
  for (const definition of listBenchmarks()) {
    await db.benchmark.upsert({
      where: { id: definition.key },
      create: {
        id: definition.key,
        slug: definition.id,
        version: definition.version,
        name: definition.name,
        description: definition.description,
        itemsPerTask: definition.itemsPerTask,
        quorum: definition.quorum,
        minAgreement: definition.minAgreement,
        maxResults: definition.maxResults,
        // New families start off the schedule until an operator turns them on (docs/benchmarks.md).
        isActive: definition.activeByDefault ?? true,
      },
      update: { name: definition.name, description: definition.description },
    });
  }
}
