/**
 * Head to head: any two models, per benchmark, on the items both were evaluated on (the same epoch samples the same
 * items for every model). For each benchmark: the shared items, the paired difference (A - B, oriented so that
 * positive means A is better, also for lower-is-better metrics) with its paired bootstrap interval (alpha 0.05,
 * 10,000 resamples, seeded by sha256 of `quorum-duel-v1|compare:<benchmark>|<A repo@rev>|<B repo@rev>`), the items
 * where they differ with both outputs side by side, and a plain sentence. Only decided (accepted) tasks are read.
 */
import { getBenchmark } from "@/lib/benchmarks/registry";
import { DEFAULT_ALPHA, DEFAULT_RESAMPLES, duelLabel, pairedBootstrap } from "@/lib/competitions/paired-bootstrap";
import { poolOf, type Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { registerCommunityBenchmarks } from "@/server/services/benchmarks/community/load-community-benchmarks";

interface StoredRecord {
  item: string;
  output?: string;
  loglikelihoods?: Record<string, number[]>;
  extracted: Record<string, string>;
  scores: Record<string, number>;
}

export interface ItemSide {
  output: string | null;
  extracted: Record<string, string>;
  score: number;
}

export interface BenchmarkComparison {
  benchmark: string;
  name: string;
  metric: string;
  higherIsBetter: boolean;
  sharedItems: number;
  sharedEpochs: number[];
  meanA: number | null;
  meanB: number | null;
  /** Mean of A - B per item, oriented: positive = A better. */
  difference: number | null;
  interval: { lo: number; hi: number; alpha: number; resamples: number; seedHex: string; label: string } | null;
  verdict: "a" | "b" | "undecided" | "no-shared-items";
  sentence: string;
  differing: { epoch: number; item: string; a: ItemSide; b: ItemSide }[];
  differingTotal: number;
}

export interface Comparison {
  a: { id: string; repo: string; revision: string; duplicateOfId: string | null };
  b: { id: string; repo: string; revision: string; duplicateOfId: string | null };
  benchmarks: BenchmarkComparison[];
}

/** At most this many differing items per benchmark are returned with their outputs. */
export const MAX_DIFFERING_ITEMS = 50;

function fmt(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

type RecordsByBenchmark = Map<string, Map<string, { epoch: number; record: StoredRecord }>>;

/**
 * Both models' accepted records in one round trip (a prepared statement on Task(modelId, ...) and Result's primary
 * key): the endpoint's cost is this query and the bootstrap.
 */
async function acceptedRecords(db: Db, modelIds: [string, string]): Promise<[RecordsByBenchmark, RecordsByBenchmark]> {
  const { rows } = await poolOf(db).query<{ modelId: string; benchmarkId: string; epoch: number; records: StoredRecord[] }>({
    name: "quorum_compare_records_v1",
    text: `SELECT t."modelId", t."benchmarkId", t.epoch, r.records
             FROM "Task" t JOIN "Result" r ON r.id = t."acceptedResultId"
            WHERE t."modelId" = ANY($1::text[]) AND t.status = 'ACCEPTED'`,
    values: [modelIds],
  });
  const out: [RecordsByBenchmark, RecordsByBenchmark] = [new Map(), new Map()];
  for (const row of rows) {
    const target = out[row.modelId === modelIds[0] ? 0 : 1];
    let items = target.get(row.benchmarkId);
    if (!items) target.set(row.benchmarkId, (items = new Map()));
    for (const record of row.records ?? []) items.set(`${row.epoch}/${record.item}`, { epoch: row.epoch, record });
  }
  return out;
}

function side(record: StoredRecord, metric: string): ItemSide {
  return {
    output: record.output ?? (record.loglikelihoods ? JSON.stringify(record.loglikelihoods) : null),
    extracted: record.extracted,
    score: record.scores[metric] ?? Number.NaN,
  };
}

export async function compareModels(options: { db: Db; a: string; b: string }): Promise<Comparison> {
  const { db } = options;
  if (options.a === options.b) throw new AppError("VALIDATION", "Choose two different models to compare.", { field: "b" });
  const [{ rows: models }, [left, right]] = await Promise.all([
    poolOf(db).query<{ id: string; repo: string; revision: string; duplicateOfId: string | null }>({
      name: "quorum_compare_models_v1",
      text: `SELECT id, repo, revision, "duplicateOfId" FROM "Model" WHERE id = ANY($1::text[])`,
      values: [[options.a, options.b]],
    }),
    acceptedRecords(db, [options.a, options.b]),
  ]);
  const a = models.find((m) => m.id === options.a);
  const b = models.find((m) => m.id === options.b);
  if (!a) throw new AppError("NOT_FOUND", `No model has the id ${options.a}.`);
  if (!b) throw new AppError("NOT_FOUND", `No model has the id ${options.b}.`);
  await registerCommunityBenchmarks(db);
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  const benchmarks: BenchmarkComparison[] = [];
  for (const key of keys) {
    let definition;
    try {
      definition = getBenchmark(key);
    } catch {
      continue; // a benchmark no longer in the registry
    }
    const metric = definition.primaryMetric;
    const higherIsBetter = definition.metrics.find((m) => m.name === metric)?.higherIsBetter ?? true;
    const mine = left.get(key) ?? new Map();
    const theirs = right.get(key) ?? new Map();
    const shared = [...mine.keys()].filter((k) => theirs.has(k)).sort();
    const base = { benchmark: key, name: definition.name, metric, higherIsBetter, sharedItems: shared.length };
    if (shared.length === 0) {
      benchmarks.push({
        ...base,
        sharedEpochs: [],
        meanA: null,
        meanB: null,
        difference: null,
        interval: null,
        verdict: "no-shared-items",
        sentence: `No shared items on ${definition.name} yet: the two models have not been evaluated in the same epoch.`,
        differing: [],
        differingTotal: 0,
      });
      continue;
    }
    const valuesA = shared.map((k) => mine.get(k)!.record.scores[metric] ?? 0);
    const valuesB = shared.map((k) => theirs.get(k)!.record.scores[metric] ?? 0);
    const differences = valuesA.map((v, i) => (higherIsBetter ? v - valuesB[i]! : valuesB[i]! - v));
    const label = duelLabel(`compare:${key}`, `${a.repo}@${a.revision}`, `${b.repo}@${b.revision}`);
    const boot = pairedBootstrap([{ weight: 1, differences }], { label, alpha: DEFAULT_ALPHA, resamples: DEFAULT_RESAMPLES });
    const verdict = boot.lo > 0 ? "a" : boot.hi < 0 ? "b" : "undecided";
    const sentence =
      verdict === "a"
        ? `${a.repo} is better than ${b.repo} on ${definition.name} with 95% confidence (${shared.length} shared items, difference ${fmt(boot.mean)}, interval ${fmt(boot.lo)} to ${fmt(boot.hi)}).`
        : verdict === "b"
          ? `${b.repo} is better than ${a.repo} on ${definition.name} with 95% confidence (${shared.length} shared items, difference ${fmt(-boot.mean)}, interval ${fmt(-boot.hi)} to ${fmt(-boot.lo)}).`
          : `Not distinguishable yet on ${definition.name}: ${shared.length} shared items (difference ${fmt(boot.mean)}, interval ${fmt(boot.lo)} to ${fmt(boot.hi)}).`;
    const differingKeys = shared.filter((_, i) => valuesA[i] !== valuesB[i]);
    benchmarks.push({
      ...base,
      sharedEpochs: [...new Set(shared.map((k) => mine.get(k)!.epoch))].sort((x, y) => x - y),
      meanA: valuesA.reduce((x, y) => x + y, 0) / shared.length,
      meanB: valuesB.reduce((x, y) => x + y, 0) / shared.length,
      difference: boot.mean,
      interval: { lo: boot.lo, hi: boot.hi, alpha: boot.alpha, resamples: boot.resamples, seedHex: boot.seedHex, label },
      verdict,
      sentence,
      differing: differingKeys.slice(0, MAX_DIFFERING_ITEMS).map((k) => ({
        epoch: mine.get(k)!.epoch,
        item: mine.get(k)!.record.item,
        a: side(mine.get(k)!.record, metric),
        b: side(theirs.get(k)!.record, metric),
      })),
      differingTotal: differingKeys.length,
    });
  }
  return { a, b, benchmarks };
}
