/**
 * Scores a task's raw outputs: the one function the runner (on what its engine produced) and the server (on every
 * submission, never trusting the runner's claimed score) both call. Also the per-item records and their canonical
 * (RFC 8785) serialisation, whose sha256 both sides compute and compare.
 */
import type { z } from "zod";
import { MAX_ITEM_TOKENS, ZItemOutputSchema, type TItemOutput } from "@/lib/protocol/runner-api";
import { ratioTransform } from "./aggregate";
import type { BenchmarkDefinition, ItemScore } from "./benchmark-definition";
import { executePrograms, type ExecutionVerdict, type ExecutorOptions } from "./code-executor/executor";
import { checkItemIds } from "./build-requests";
import { fastCanonicalJson } from "./canonical-json";
import { BenchmarkInputError } from "./errors";
import { isPlainObject } from "./plain-object";
import { sha256Hex } from "./sha256";

export interface ItemRecord {
  item: string;
  /** sha256 of the item's prompt (gsm8k) or shared context (truthfulqa), as BenchmarkDefinition.promptOf gives it. */
  promptSha256: string;
  /** The raw generated text, exactly as submitted (before the stop-sequence cut). */
  output?: string;
  /** The submitted log-likelihoods, in the data file's choice order. */
  loglikelihoods?: Record<string, number[]>;
  /** What the filters extracted (gsm8k: strict-match, flexible-extract; truthfulqa: index of the top choice). */
  extracted: Record<string, string>;
  scores: Record<string, number>;
  /** Per-item explanations (humaneval: why the program failed); shown, never compared. */
  detail?: Record<string, string>;
  /**
   * The item's token count as the runner's engine reported it (ZItemTokensSchema): shown, never scored, and not in
   * the outputs hash (runners whose engines report no counts still agree with those whose engines do).
   */
  tokens?: number;
}

export interface ScoredOutputs {
  /** In `itemIds` order when item ids were given, else in input order. */
  records: ItemRecord[];
  /** Mean of each metric over the records. */
  metrics: Record<string, number>;
  /** canonicalRecordsSha256(records). */
  outputsSha256: string;
}

const promptHashes = new Map<string, string>();

function promptSha256(def: BenchmarkDefinition, item: string): string {
  const cacheKey = `${def.key} ${item}`;
  let hash = promptHashes.get(cacheKey);
  if (hash === undefined) {
    hash = sha256Hex(def.promptOf(item));
    promptHashes.set(cacheKey, hash);
  }
  return hash;
}

/**
 * sha256 of the canonical JSON (RFC 8785) of the records, as `canonicalJson` from src/lib/protocol/signing.ts
 * writes it (computed by the byte-identical fastCanonicalJson): identical on runner and server.
 */
export function canonicalRecordsSha256(records: readonly ItemRecord[]): string {
  const hashed = records.some((record) => record.tokens !== undefined) ? records.map(({ tokens: _reported, ...record }) => record) : records;
  return sha256Hex(fastCanonicalJson(hashed));
}

/**
 * The outputs hash a runner signs and the server recomputes: canonicalRecordsSha256 of the records, except for
 * benchmarks that execute code, where it covers what the model wrote (item, promptSha256, output) and not the
 * verdicts, which the server's own execution decides.
 */
export function outputsSha256Of(def: BenchmarkDefinition, records: readonly ItemRecord[]): string {
  if (!def.execution) return canonicalRecordsSha256(records);
  return sha256Hex(fastCanonicalJson(records.map(({ item, promptSha256, output }) => ({ item, promptSha256, output }))));
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`)).join("");
}

/**
 * True only for values ZItemOutputSchema accepts unchanged (exactly {item, output} of strings, or {item,
 * loglikelihoods} with arrays of finite numbers): a fast path for the common case, since parsing 10,000 outputs
 * with zod costs more than scoring them. Anything else goes through the schema, which decides and explains.
 */
function isWellFormedOutput(value: unknown): value is TItemOutput {
  if (!isPlainObject(value) || typeof value.item !== "string") return false;
  const keys = Object.keys(value);
  if (keys.includes("tokens")) {
    const tokens = value.tokens;
    if (!(typeof tokens === "number" && Number.isInteger(tokens) && tokens >= 0 && tokens <= MAX_ITEM_TOKENS)) return false;
    if (keys.length !== 3) return false;
  } else if (keys.length !== 2) return false;
  if (keys.includes("output")) return typeof value.output === "string";
  if (!keys.includes("loglikelihoods") || !isPlainObject(value.loglikelihoods)) return false;
  for (const values of Object.values(value.loglikelihoods)) {
    if (!Array.isArray(values)) return false;
    for (const ll of values) if (typeof ll !== "number" || !Number.isFinite(ll)) return false;
  }
  return true;
}

function parseOutput(value: unknown, index: number): TItemOutput {
  if (isWellFormedOutput(value)) return value;
  const parsed = ZItemOutputSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const item = typeof value === "object" && value !== null ? (value as { item?: unknown }).item : undefined;
  const named = typeof item === "string" ? `item ${item}` : `output ${index}`;
  // The schema is a union; explain the failure of the branch whose key is present ("loglikelihoods" or "output").
  const keys = typeof value === "object" && value !== null ? Object.keys(value) : [];
  let issues: readonly z.core.$ZodIssue[] = parsed.error.issues;
  const union = issues[0];
  if (union?.code === "invalid_union") issues = union.errors[keys.includes("loglikelihoods") ? 1 : 0] ?? [];
  const first = issues.find((candidate) => candidate.code !== "unrecognized_keys") ?? issues[0];
  const detail = first ? ` (${first.path.length > 0 ? `${formatPath(first.path)}: ` : ""}${first.message})` : "";
  throw new BenchmarkInputError(
    `${named}: expected {"item": string, "output": string} or {"item": string, "loglikelihoods": {name: number[]}}${detail}`,
    { item: typeof item === "string" ? item : undefined, index, field: first && first.path.length > 0 ? formatPath(first.path) : undefined },
  );
}

/**
 * Validates and scores outputs. With `itemIds` (a task), the outputs must be exactly those items, once each;
 * with null (`pnpm score`), any known items, repeats allowed. Throws BenchmarkInputError naming the item
 * (and `index`, the position in `outputs`).
 */
export function scoreOutputs(
  def: BenchmarkDefinition,
  itemIds: readonly string[] | null,
  outputs: readonly unknown[],
): ScoredOutputs {
  if (def.execution) throw new Error(`${def.key} runs code to score: use scoreOutputsAsync`);
  return scoreParsed(def, validateOutputs(def, itemIds, outputs), null);
}

/**
 * scoreOutputs for every benchmark: those with `execution` first run every output's program, in order, in one
 * fresh sandbox (code-executor/executor.ts), then score with the verdicts. Throws BenchmarkInputError as
 * scoreOutputs does, before anything is executed.
 */
export async function scoreOutputsAsync(
  def: BenchmarkDefinition,
  itemIds: readonly string[] | null,
  outputs: readonly unknown[],
  options: { executor?: ExecutorOptions; onProgress?: (done: number, total: number) => void } = {},
): Promise<ScoredOutputs> {
  const parsed = validateOutputs(def, itemIds, outputs);
  if (!def.execution) return scoreParsed(def, parsed, null);
  const programs = parsed.map(({ output, index }) => withIndex(index, output.item, () => def.execution!.programOf(output)));
  const verdicts = await executePrograms(programs, options.executor, options.onProgress);
  return scoreParsed(def, parsed, verdicts);
}

/**
 * The outputs hash of a submission as scoreOutputsAsync would compute it, without running anything for
 * benchmarks that execute code (their hash does not cover verdicts). Test doubles sign with it.
 */
export function submittedOutputsSha256(def: BenchmarkDefinition, outputs: readonly unknown[]): string {
  if (!def.execution) return scoreOutputs(def, null, outputs).outputsSha256;
  const records = validateOutputs(def, null, outputs).map(({ output, index }) => {
    withIndex(index, output.item, () => def.execution!.programOf(output));
    return { item: output.item, promptSha256: promptSha256(def, output.item), output: "output" in output ? output.output : "", extracted: {}, scores: {} };
  });
  return outputsSha256Of(def, records);
}

function withIndex<T>(index: number, item: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof BenchmarkInputError) {
      throw new BenchmarkInputError(error.message, { item: error.item ?? item, field: error.field, index });
    }
    throw error;
  }
}

/** Parses outputs and checks them against the task's items (exactly those, once each) when `itemIds` is given. */
interface Parsed {
  output: TItemOutput;
  /** Position in the submitted array. */
  index: number;
}

function validateOutputs(def: BenchmarkDefinition, itemIds: readonly string[] | null, outputs: readonly unknown[]): Parsed[] {
  if (outputs.length === 0) throw new BenchmarkInputError("there are no outputs to score");
  let order: Map<string, number> | null = null;
  if (itemIds) {
    checkItemIds(def, itemIds);
    order = new Map(itemIds.map((item, position) => [item, position]));
  }
  const seen = new Set<string>();
  const parsed = outputs.map((value, index): Parsed => {
    const output = parseOutput(value, index);
    const item = output.item;
    if (order) {
      if (!order.has(item)) {
        throw new BenchmarkInputError(`item ${item} is not one of this task's items`, { item, index, field: "item" });
      }
      if (seen.has(item)) throw new BenchmarkInputError(`item ${item} appears twice`, { item, index, field: "item" });
      seen.add(item);
    }
    return { output, index };
  });
  if (itemIds) {
    const missing = itemIds.find((item) => !seen.has(item));
    if (missing !== undefined) {
      throw new BenchmarkInputError(`item ${missing} has no output`, { item: missing, field: "item" });
    }
    parsed.sort((a, b) => order!.get(a.output.item)! - order!.get(b.output.item)!);
  }
  return parsed;
}

function scoreParsed(def: BenchmarkDefinition, parsed: readonly Parsed[], verdicts: readonly ExecutionVerdict[] | null): ScoredOutputs {
  const records = parsed.map(({ output, index }, position): ItemRecord => {
    const item = output.item;
    const scored: ItemScore = withIndex(index, item, () => def.scoreItem(output, verdicts?.[position]));
    const raw = "output" in output ? { output: output.output } : { loglikelihoods: output.loglikelihoods };
    const reported = output.tokens === undefined ? {} : { tokens: output.tokens };
    return { item, promptSha256: promptSha256(def, item), ...raw, ...scored, ...reported };
  });
  return { records, metrics: meanScores(def, records), outputsSha256: outputsSha256Of(def, records) };
}

/** Mean of every metric of the benchmark over the records. */
export function meanScores(def: BenchmarkDefinition, records: readonly { scores: Record<string, number> }[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const metric of def.metrics) {
    if (metric.ratio) {
      let num = 0;
      let den = 0;
      for (const record of records) {
        num += record.scores[metric.ratio.numerator] ?? Number.NaN;
        den += record.scores[metric.ratio.denominator] ?? Number.NaN;
      }
      metrics[metric.name] = ratioTransform(num / den, metric.ratio.transform);
      continue;
    }
    let total = 0;
    for (const record of records) total += record.scores[metric.name] ?? Number.NaN;
    metrics[metric.name] = total / records.length;
  }
  return metrics;
}
