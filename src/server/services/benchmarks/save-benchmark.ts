/**
 * Adding a benchmark to the database (a definition from the registry that has no row yet) or changing its
 * consensus settings. Only admins, or API tokens holding `benchmark:create`, may do this. New settings apply to
 * tasks created from now on: a task copies its benchmark's settings when the scheduler creates it.
 */
import type { TTokenScope } from "@/lib/protocol/runner-api";
import { listBenchmarks as listRegistry } from "@/lib/benchmarks/registry";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import type { TSaveBenchmarkRequest } from "@/server/services/benchmarks/benchmark-input";

export interface BenchmarkActor {
  id: string;
  role: "USER" | "ADMIN";
  /** The scopes of the API token the request came with; null for a signed-in web user. */
  tokenScopes: readonly TTokenScope[] | null;
}

export function canSaveBenchmarks(actor: BenchmarkActor): boolean {
  return actor.tokenScopes ? actor.tokenScopes.includes("benchmark:create") : actor.role === "ADMIN";
}

export async function saveBenchmark(options: {
  db: Db;
  actor: BenchmarkActor;
  input: TSaveBenchmarkRequest;
}): Promise<{ id: string; isCreated: boolean }> {
  const { db, actor, input } = options;
  if (!canSaveBenchmarks(actor)) {
    throw new AppError("NOT_ALLOWED", "Only admins (or API tokens with the benchmark:create scope) can add or change benchmarks.");
  }
  const definition = listRegistry().find((candidate) => candidate.key === input.key);
  if (!definition) {
    const known = listRegistry()
      .map((candidate) => candidate.key)
      .join(", ");
    throw new AppError(
      "VALIDATION",
      `${input.key} is not in the benchmark registry (known: ${known}). A new benchmark needs its definition in code first.`,
      { field: "key" },
    );
  }
  const itemCount = definition.itemCount();
  if (input.itemsPerTask > itemCount) {
    throw new AppError("VALIDATION", `items per task: ${definition.name} has only ${itemCount} items.`, {
      field: "itemsPerTask",
    });
  }
  const settings = {
    itemsPerTask: input.itemsPerTask,
    quorum: input.quorum,
    minAgreement: input.minAgreement,
    maxResults: input.maxResults,
    isActive: input.isActive,
  };
  const existing = await db.benchmark.findUnique({ where: { id: definition.key }, select: { id: true } });
  if (existing) {
    await db.benchmark.update({ where: { id: existing.id }, data: settings });
    return { id: existing.id, isCreated: false };
  }
  await db.benchmark.create({
    data: {
      id: definition.key,
      slug: definition.id,
      version: definition.version,
      name: definition.name,
      description: definition.description,
      createdById: actor.id,
      ...settings,
    },
  });
  return { id: definition.key, isCreated: true };
}
