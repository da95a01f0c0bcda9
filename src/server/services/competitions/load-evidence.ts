/**
 * Per-item evidence for competitions and comparisons: the primary metric of every item of every accepted task (its
 * canonical result's record), keyed by benchmark and `${epoch}/${item}`. Only decided tasks count; nothing open is
 * read. The records' scores are the server's own (recomputed at submission), never a runner's claim.
 */
import { getBenchmark } from "@/lib/benchmarks/registry";
import type { Db } from "@/server/db";

export interface ModelEvidence {
  /** benchmark -> `${epoch}/${item}` -> primary metric. */
  items: Map<string, Map<string, number>>;
  /** Accepted tasks over the benchmarks asked for. */
  evaluations: number;
}

interface Row {
  modelId: string;
  benchmarkId: string;
  epoch: number;
  items: [string, number][] | null;
}

/** Evidence of the given models (or of every active model when `modelIds` is null) on the given benchmarks. */
export async function loadEvidence(
  db: Db,
  benchmarkIds: readonly string[],
  modelIds: readonly string[] | null,
): Promise<Map<string, ModelEvidence>> {
  const evidence = new Map<string, ModelEvidence>();
  for (const benchmarkId of benchmarkIds) {
    const metric = getBenchmark(benchmarkId).primaryMetric;
    // The item list is pulled out of the records in SQL: only (item, primary score) pairs cross the wire.
    const rows = modelIds
      ? await db.$queryRaw<Row[]>`
          SELECT t."modelId", t."benchmarkId", t.epoch,
                 (SELECT jsonb_agg(jsonb_build_array(x->>'item', (x->'scores'->>${metric})::float8))
                    FROM jsonb_array_elements(r.records) x) AS items
            FROM "Task" t JOIN "Result" r ON r.id = t."acceptedResultId"
           WHERE t."benchmarkId" = ${benchmarkId} AND t.status = 'ACCEPTED' AND t."modelId" = ANY(${[...modelIds]})`
      : await db.$queryRaw<Row[]>`
          SELECT t."modelId", t."benchmarkId", t.epoch,
                 (SELECT jsonb_agg(jsonb_build_array(x->>'item', (x->'scores'->>${metric})::float8))
                    FROM jsonb_array_elements(r.records) x) AS items
            FROM "Task" t JOIN "Result" r ON r.id = t."acceptedResultId" JOIN "Model" m ON m.id = t."modelId"
           WHERE t."benchmarkId" = ${benchmarkId} AND t.status = 'ACCEPTED' AND m.status = 'ACTIVE'`;
    for (const row of rows) {
      let model = evidence.get(row.modelId);
      if (!model) {
        model = { items: new Map(), evaluations: 0 };
        evidence.set(row.modelId, model);
      }
      model.evaluations += 1;
      let items = model.items.get(row.benchmarkId);
      if (!items) {
        items = new Map();
        model.items.set(row.benchmarkId, items);
      }
      for (const [item, value] of row.items ?? []) {
        if (typeof value === "number" && Number.isFinite(value)) items.set(`${row.epoch}/${item}`, value);
      }
    }
  }
  return evidence;
}
