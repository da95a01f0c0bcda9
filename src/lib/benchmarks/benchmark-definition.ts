/**
 * What a benchmark is to Quorum. A new benchmark is one file implementing this interface plus its pinned data,
 * registered in registry.ts under `id@version`; the runner, the server and `pnpm score` then handle it unchanged.
 * Definitions are pure: no database, no network. Heavy data loads lazily on first use, so listing the registry
 * (e.g. to seed the database's Benchmark rows, whose id is `key`) reads no dataset.
 */
import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { PinnedFile } from "./datasets";
import type { CodeProgram, ExecutionVerdict } from "./code-executor/executor";
import type { EngineRequest, EngineResponse } from "./engine-contract";

export type MetricKind = "binary" | "continuous";

export interface MetricDefinition {
  /** Exactly the harness's name for it (`exact_match,strict-match`, `mc2`). */
  name: string;
  higherIsBetter: boolean;
  /** binary: every item scores 0 or 1 (Wilson interval); continuous: a value in [0, 1] (t interval). */
  kind: MetricKind;
  /**
   * A corpus-level ratio (perplexities, bits per byte): the metric is transform(Σ numerator / Σ denominator) over the
   * items' scores of those names, not a mean of per-item values; interval from the ratio estimator's standard
   * error (aggregate.ts aggregateRatio). Values are not bounded to [0, 1].
   */
  ratio?: { numerator: string; denominator: string; transform: "exp" | "bits" };
}

export interface DatasetFile extends PinnedFile {
  /** scored: the split items come from (its sha256 seeds the sampler); fewshot: exemplars; prompt: fixed text. */
  role: "scored" | "fewshot" | "prompt";
}

/** The reference answer of an item, for test doubles that must answer right or wrong on purpose. */
export type GoldAnswer =
  | {
      kind: "generate_until";
      /** gsm8k: the text after "#### " in the reference solution. */
      answer: string;
      /**
       * The raw generations a right and a wrong model would write, for benchmarks whose answers are not
       * "#### <answer>" (humaneval: the canonical body / `return None`). Absent: gsm8k's form.
       */
      completion?: { correct: string; wrong: string };
    }
  | {
      /**
       * For families after gsm8k/truthfulqa: the engine responses a right and a wrong model would give, one per
       * request of buildItemRequests(item), in that order (goldOutput in gold-answer.ts turns them into outputs).
       */
      kind: "responses";
      correct: EngineResponse[];
      wrong: EngineResponse[];
    }
  | {
      kind: "loglikelihood";
      /** Index of the correct mc1 choice (0 for TruthfulQA: the true answer is listed first). */
      mc1Correct: number;
      /** One label per mc2 choice in the data file's order: 1 true, 0 false. */
      mc2Labels: number[];
    };

/** What one item contributes to a record: the answers the filters extracted and the per-metric scores. */
export interface ItemScore {
  extracted: Record<string, string>;
  scores: Record<string, number>;
  /**
   * Explanations kept with the record and shown per item (humaneval: why a program failed), never compared between
   * runners (src/server/services/tasks/agreement.ts compares `extracted` and log-likelihoods only).
   */
  detail?: Record<string, string>;
}

/** Benchmarks whose outputs are programs: scored after running them in the shared code executor. */
export interface CodeExecution {
  /** The program an output stands for (called only on outputs that passed validation). */
  programOf(output: TItemOutput): CodeProgram;
}

export interface BenchmarkDefinition {
  /** Registry key, `id@version` (`gsm8k@3`): the database's Benchmark.id. */
  readonly key: string;
  /** Benchmark.slug. */
  readonly id: string;
  /** Benchmark.version: bumps whenever data, prompts or scoring change. */
  readonly version: string;
  readonly name: string;
  readonly description: string;
  /** The reference this benchmark reproduces (harness task names and versions). */
  readonly reference: string;
  readonly datasets: readonly DatasetFile[];
  /** sha256 of the scored split: part of the item sampler's seed. */
  readonly scoredDatasetSha256: string;
  readonly metrics: readonly MetricDefinition[];
  /** The metric the leaderboard ranks by and consensus compares. */
  readonly primaryMetric: string;
  /** Defaults copied into the database row when it is created. */
  readonly itemsPerTask: number;
  readonly quorum: number;
  /** Share of a task's items on which two results must match to agree (src/server/services/tasks/agreement.ts). */
  readonly minAgreement: number;
  readonly maxResults: number;
  /** One paragraph for the benchmark's web page: what is scored and how, and where Quorum departs from the reference. */
  readonly scoringSummary: string;
  /** The engine request kind this benchmark uses. */
  readonly requestKind: EngineRequest["kind"];

  itemCount(): number;
  /** Every item id in dataset order (`test/0` ... / `mc/0` ...). */
  allItemIds(): string[];
  hasItem(item: string): boolean;
  /** The text whose sha256 is the record's promptSha256: the full prompt (gsm8k) or the shared context (truthfulqa). */
  promptOf(item: string): string;
  /** The engine requests for one item; ids are unique within a task (they start with the item id). */
  buildItemRequests(item: string): EngineRequest[];
  /** One item's raw output from its requests' responses (same order as buildItemRequests, already type-checked). */
  outputFromResponses(item: string, requests: readonly EngineRequest[], responses: readonly EngineResponse[]): TItemOutput;
  /**
   * Validates one output of this benchmark and scores it; throws BenchmarkInputError naming the item. Benchmarks
   * with `execution` get the executor's verdict of the output's program (scoreOutputsAsync runs it).
   */
  scoreItem(output: TItemOutput, verdict?: ExecutionVerdict): ItemScore;
  /**
   * Present when outputs are programs to run (humaneval). Their records' hash then covers what the model wrote
   * (item, prompt hash, output), not the verdicts: a verdict near the time limit may differ between machines, and
   * the server's own execution decides it.
   */
  readonly execution?: CodeExecution;
  /**
   * Long-context tiers: the context, in tokens, a model and a runner's GPUs must hold. Tasks are scheduled only for
   * models whose context length reaches it and claimed only by runners that report at least this capacity.
   */
  readonly contextTokens?: number;
  /** Whether the database row is created active (scheduled every epoch). New families start inactive. */
  readonly activeByDefault?: boolean;
  goldAnswer(item: string): GoldAnswer;
}
