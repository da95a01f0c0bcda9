/**
 * `pnpm score <benchmark> <file.jsonl>`: scores hand-written or engine-written outputs with exactly the code the
 * server uses, and prints one JSON object. Bad input exits with code 2 and one line naming the input line.
 */
import { readFileSync } from "node:fs";
import type { TItemOutput } from "@/lib/protocol/runner-api";
import { aggregate, aggregateRatio } from "./aggregate";
import { BenchmarkInputError, DatasetIntegrityError, UnknownBenchmarkError } from "./errors";
import type { BenchmarkDefinition } from "./benchmark-definition";
import { parseCommunityBenchmark } from "./community/definition";
import { buildCommunityBenchmark, DatasetFormatError } from "./community/families";
import { resolveBenchmark } from "./registry";
import { scoreOutputsAsync } from "./score-outputs";

export const USAGE =
  "usage: pnpm score <benchmark> <file.jsonl>\n" +
  '  gsm8k lines:         {"item": "test/0", "output": "<raw generated text>"}\n' +
  '  truthfulqa_mc lines: {"item": "mc/0", "loglikelihoods": {"mc1": [...], "mc2": [...]}}  (data file choice order)\n' +
  '  humaneval lines:     {"item": "test/0", "output": "<raw generated code>"}  (run in the code executor)\n' +
  '  claim_verdict_ll:    {"item": "group/0", "loglikelihoods": {"r0": [S, R], "r1": [S, R], "r2": [S, R], "r3": [S, R]}}\n' +
  '  claim_verdict_gen:   {"item": "group/0", "output": "<JSON array of the 4 raw generations>"}\n' +
  '  heldout_ppl:         {"item": "doc/0", "loglikelihoods": {"windows": [<log-likelihood of each window>]}}\n' +
  '  longctx_<tier>:      {"item": "niah_single/0", "output": "<raw generated text>"}  (tiers 4k 8k 16k 32k 128k 512k 1m 2m)\n' +
  "       pnpm score --community <definition.json> <dataset.jsonl> <file.jsonl>\n" +
  "  a community benchmark from its definition and a local copy of its dataset (checked against the pinned sha256):\n" +
  '  generate lines {"item": "item/2", "output": "..."}; multiple choice {"item": "item/2", "loglikelihoods": {"choices": [...]}};\n' +
  '  rolling {"item": "item/0", "loglikelihoods": {"windows": [...]}}';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => string;
  /** Bytes of a file (datasets are hashed as bytes); falls back to readFile as UTF-8. */
  readBytes?: (path: string) => Buffer;
}

export interface ScoreReport {
  benchmark: string;
  n: number;
  metrics: Record<string, { mean: number; ci95: [number, number] }>;
  items: { item: string; extracted: Record<string, string>; scores: Record<string, number>; detail?: Record<string, string> }[];
}

class CliInputError extends Error {}

/** Parses the JSONL; remembers each output's line number (blank lines are skipped). */
function readOutputs(text: string): { outputs: unknown[]; lines: number[] } {
  const outputs: unknown[] = [];
  const lines: number[] = [];
  text.split("\n").forEach((raw, index) => {
    const content = raw.replace(/\r$/, "");
    if (content.trim() === "") return;
    try {
      outputs.push(JSON.parse(content) as unknown);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliInputError(`line ${index + 1}: not valid JSON (${reason})`);
    }
    lines.push(index + 1);
  });
  if (outputs.length === 0) throw new CliInputError("the file has no outputs (one JSON object per line expected)");
  return { outputs, lines };
}

/** A community benchmark from a definition (JSON text) and its dataset's bytes, for `--community`. */
function communityBenchmark(definitionText: string, dataset: Buffer): BenchmarkDefinition {
  let input: unknown;
  try {
    input = JSON.parse(definitionText);
  } catch {
    throw new CliInputError("the definition is not JSON");
  }
  const parsed = parseCommunityBenchmark(input);
  if (!parsed.ok) throw new CliInputError(`bad definition: ${parsed.errors.map((error) => `${error.field}: ${error.message}`).join("; ")}`);
  const def = buildCommunityBenchmark({ key: `${parsed.value.slug}@local`, version: "local", definition: parsed.value });
  try {
    def.loadDataset(dataset);
  } catch (error) {
    if (error instanceof DatasetFormatError) throw new DatasetIntegrityError("dataset", error.message);
    throw error;
  }
  return def;
}

export async function buildScoreReport(benchmark: string | BenchmarkDefinition, text: string): Promise<ScoreReport> {
  const def = typeof benchmark === "string" ? resolveBenchmark(benchmark) : benchmark;
  const { outputs, lines } = readOutputs(text);
  let scored;
  try {
    scored = await scoreOutputsAsync(def, null, outputs as TItemOutput[]);
  } catch (error) {
    if (error instanceof BenchmarkInputError && error.index !== undefined) {
      throw new CliInputError(`line ${lines[error.index]}: ${error.message}`);
    }
    throw error;
  }
  const metrics: ScoreReport["metrics"] = {};
  for (const metric of def.metrics) {
    const summary = metric.ratio
      ? aggregateRatio(
          scored.records.map((record) => ({ num: record.scores[metric.ratio!.numerator]!, den: record.scores[metric.ratio!.denominator]! })),
          metric.ratio.transform,
        )
      : aggregate(
          scored.records.map((record) => record.scores[metric.name]!),
          metric.kind,
        );
    metrics[metric.name] = { mean: summary.mean, ci95: [summary.lo, summary.hi] };
  }
  return {
    benchmark: def.key,
    n: scored.records.length,
    metrics,
    items: scored.records.map(({ item, extracted, scores, detail }) => ({ item, extracted, scores, ...(detail ? { detail } : {}) })),
  };
}

/** Runs the CLI; returns the exit code (0 ok, 2 bad input or usage). */
export async function runScoreCli(args: readonly string[], io: CliIo): Promise<number> {
  const isCommunity = args[0] === "--community";
  if (args.length !== (isCommunity ? 4 : 2) || args.includes("--help") || args.includes("-h")) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const file = args.at(-1)!;
  try {
    let benchmark: string | BenchmarkDefinition = args[0]!;
    if (isCommunity) {
      const read = (path: string) => {
        try {
          return (io.readBytes ?? ((p: string) => Buffer.from(io.readFile(p), "utf8")))(path);
        } catch (error) {
          throw new CliInputError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      benchmark = communityBenchmark(read(args[1]!).toString("utf8"), read(args[2]!));
    }
    let text: string;
    try {
      text = io.readFile(file);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliInputError(`cannot read ${file}: ${reason}`);
    }
    io.stdout(`${JSON.stringify(await buildScoreReport(benchmark, text))}\n`);
    return 0;
  } catch (error) {
    if (error instanceof CliInputError || error instanceof UnknownBenchmarkError || error instanceof BenchmarkInputError) {
      io.stderr(`score: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DatasetIntegrityError) {
      io.stderr(`score: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

export const nodeIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => readFileSync(path, "utf8"),
  readBytes: (path) => readFileSync(path),
};
