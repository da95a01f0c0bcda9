/**
 * The family implementations of community benchmarks: a stored definition (definition.ts) plus its downloaded,
 * sha256-verified dataset become a BenchmarkDefinition that the same scoring code uses on the runner and the
 * server. Pure: the caller downloads the bytes (dataset-cache.ts) and hands them to `loadDataset`.
 *
 * Dataset format (JSON Lines, UTF-8, one record per line, a final newline allowed, no blank lines):
 *   generate_until_exact_match     {"input": string, "target": string}
 *   loglikelihood_multiple_choice  {"input": string, "choices": [2..26 strings], "label": index of the right choice}
 *   loglikelihood_rolling          {"text": string}
 * Item `item/<i>` is line i (zero-based). The first `fewshot.count` lines are the few-shot exemplars and are never
 * scored; items are the lines after them, so the sampler draws from `itemCount = lines - fewshot.count`.
 *
 * Prompts: the template's only placeholder, `{{input}}`, is replaced by the record's input in one pass (no other
 * syntax: nothing in a template or a record is evaluated, and an input that contains `{{input}}` stays literal).
 * An exemplar is the rendered template, " " and its answer (target, or the right choice); exemplars are joined by
 * the separator, and the separator precedes the item's rendered template.
 *
 * Metadata (name, metrics, item count, item ids) is available before the dataset is loaded, so the server can
 * list, schedule and sample a community benchmark without downloading it; building requests and scoring need it.
 */
import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition, GoldAnswer, ItemScore, MetricDefinition } from "../benchmark-definition";
import type { EngineRequest, EngineResponse, GenerateUntilResponse, LoglikelihoodResponse } from "../engine-contract";
import { BenchmarkInputError } from "../errors";
import { cutAtStopSequences } from "../harness-gsm8k-scoring";
import { argmax } from "../harness-truthfulqa-scoring";
import { itemId, itemIndex } from "../item-ids";
import { BITS_PER_BYTE, BYTE_PERPLEXITY, WORD_PERPLEXITY, byteCount, documentWindows, wordCount, WINDOW_CHARS } from "../perplexity";
import { isPlainObject } from "../plain-object";
import { sha256Hex } from "../sha256";
import type { TCommunityBenchmark } from "./definition";

/** Bounds on a dataset's records (docs/security.md, "Community benchmarks"). */
export const DATASET_LIMITS = {
  maxRecords: 100_000,
  maxInputChars: 20_000,
  maxTargetChars: 1_000,
  minChoices: 2,
  maxChoices: 26,
  maxChoiceChars: 2_000,
  maxTextChars: 200_000,
} as const;

/** Generation: at most this many new tokens; outputs above this many characters are refused. */
export const COMMUNITY_MAX_TOKENS = 256;
export const COMMUNITY_MAX_OUTPUT_CHARS = 100_000;
const PREFIX = "item/";

export type CommunityRecord =
  | { kind: "generate"; input: string; target: string }
  | { kind: "choice"; input: string; choices: string[]; label: number }
  | { kind: "text"; text: string };

/** A dataset that is not what its family reads: names the line (1-based) and what is wrong. */
export class DatasetFormatError extends Error {
  readonly field = "dataset.url";
  readonly line: number | null;

  constructor(message: string, line: number | null = null) {
    super(line === null ? message : `dataset line ${line}: ${message}`);
    this.name = "DatasetFormatError";
    this.line = line;
  }
}

function stringField(record: Record<string, unknown>, name: string, max: number, line: number): string {
  const value = record[name];
  if (typeof value !== "string") throw new DatasetFormatError(`"${name}" must be a string`, line);
  if (value.length > max) throw new DatasetFormatError(`"${name}" has ${value.length} characters, more than the ${max} allowed`, line);
  return value;
}

/** The records of a dataset for `family`; throws DatasetFormatError naming the first bad line. */
export function parseCommunityDataset(family: TCommunityBenchmark["family"], bytes: Uint8Array | string): CommunityRecord[] {
  let text: string;
  try {
    text = typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetFormatError("the dataset is not valid UTF-8");
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new DatasetFormatError("the dataset has no records");
  if (lines.length > DATASET_LIMITS.maxRecords) {
    throw new DatasetFormatError(`the dataset has ${lines.length} records, more than the ${DATASET_LIMITS.maxRecords} allowed`);
  }
  const expected = {
    generate_until_exact_match: ["input", "target"],
    loglikelihood_multiple_choice: ["input", "choices", "label"],
    loglikelihood_rolling: ["text"],
  }[family];
  return lines.map((raw, index): CommunityRecord => {
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new DatasetFormatError("not a JSON object (one record per line, no blank lines)", line);
    }
    if (!isPlainObject(value)) throw new DatasetFormatError("not a JSON object", line);
    const extra = Object.keys(value).filter((key) => !expected.includes(key));
    if (extra.length > 0) throw new DatasetFormatError(`unknown field(s) ${extra.join(", ")} (${family} records have ${expected.join(", ")})`, line);
    if (family === "generate_until_exact_match") {
      const target = stringField(value, "target", DATASET_LIMITS.maxTargetChars, line);
      if (target.trim().length === 0) throw new DatasetFormatError('"target" is empty', line);
      return { kind: "generate", input: stringField(value, "input", DATASET_LIMITS.maxInputChars, line), target };
    }
    if (family === "loglikelihood_multiple_choice") {
      const input = stringField(value, "input", DATASET_LIMITS.maxInputChars, line);
      const choices = value.choices;
      if (!Array.isArray(choices) || choices.length < DATASET_LIMITS.minChoices || choices.length > DATASET_LIMITS.maxChoices) {
        throw new DatasetFormatError(`"choices" must be a list of ${DATASET_LIMITS.minChoices} to ${DATASET_LIMITS.maxChoices} strings`, line);
      }
      choices.forEach((choice: unknown, j) => {
        if (typeof choice !== "string" || choice.length === 0 || choice.length > DATASET_LIMITS.maxChoiceChars) {
          throw new DatasetFormatError(`choices[${j}] must be a string of 1 to ${DATASET_LIMITS.maxChoiceChars} characters`, line);
        }
      });
      if (new Set(choices).size !== choices.length) throw new DatasetFormatError("two choices are the same text", line);
      const label = value.label;
      if (typeof label !== "number" || !Number.isInteger(label) || label < 0 || label >= choices.length) {
        throw new DatasetFormatError(`"label" must be the index of the right choice (0 to ${choices.length - 1})`, line);
      }
      return { kind: "choice", input, choices: choices as string[], label };
    }
    const textValue = stringField(value, "text", DATASET_LIMITS.maxTextChars, line);
    if (textValue.trim().length === 0) throw new DatasetFormatError('"text" is empty', line);
    return { kind: "text", text: textValue };
  });
}

/** The template with its one `{{input}}` replaced (one pass: the input is never expanded again). */
export function renderTemplate(template: string, input: string): string {
  const at = template.indexOf("{{input}}");
  return at === -1 ? template : template.slice(0, at) + input + template.slice(at + "{{input}}".length);
}

/** Where a generation stops: the few-shot separator when it contains a line break (else a blank line), and EOS markers. */
export function stopSequencesOf(definition: TCommunityBenchmark): string[] {
  const separator = definition.fewshot.separator.includes("\n") ? definition.fewshot.separator : "\n\n";
  return [separator, "</s>", "<|im_end|>"];
}

export interface CommunityBenchmarkDefinition extends BenchmarkDefinition {
  readonly community: TCommunityBenchmark;
  isDatasetLoaded(): boolean;
  /** Parses and keeps the dataset (bytes already checked against the pinned sha256 by the caller; checked again here). */
  loadDataset(bytes: Uint8Array | string): void;
}

function metricsOf(definition: TCommunityBenchmark): MetricDefinition[] {
  if (definition.family === "generate_until_exact_match") return [{ name: "exact_match", higherIsBetter: true, kind: "binary" }];
  if (definition.family === "loglikelihood_multiple_choice") return [{ name: "acc", higherIsBetter: true, kind: "binary" }];
  return [
    { name: BITS_PER_BYTE, higherIsBetter: false, kind: "continuous", ratio: { numerator: "nll", denominator: "bytes", transform: "bits" } },
    { name: BYTE_PERPLEXITY, higherIsBetter: false, kind: "continuous", ratio: { numerator: "nll", denominator: "bytes", transform: "exp" } },
    { name: WORD_PERPLEXITY, higherIsBetter: false, kind: "continuous", ratio: { numerator: "nll", denominator: "words", transform: "exp" } },
  ];
}

function summaryOf(definition: TCommunityBenchmark): string {
  const shots = definition.fewshot.count;
  const common =
    `A community benchmark (family ${definition.family}): its definition and dataset are data, stored as submitted and ` +
    `never edited (a change is a new version). The dataset is downloaded from ${definition.dataset.url} and used only ` +
    `if its bytes hash to the pinned sha256. `;
  if (definition.family === "generate_until_exact_match") {
    return (
      common +
      `Each record's input fills the prompt template${shots > 0 ? `, after ${shots} exemplars (the first ${shots} records, never scored)` : ""}; ` +
      `the model answers greedily (at most ${COMMUNITY_MAX_TOKENS} tokens) until the few-shot separator or an end-of-sequence marker, and ` +
      "exact_match is 1 when the answer, trimmed of surrounding whitespace, equals the trimmed target exactly."
    );
  }
  if (definition.family === "loglikelihood_multiple_choice") {
    return (
      common +
      `Each record's input fills the prompt template${shots > 0 ? `, after ${shots} exemplars (the first ${shots} records, never scored)` : ""}; ` +
      'every choice is scored by the log-likelihood of " " + choice after it, and acc is 1 when the labelled choice has the highest (the first on ties).'
    );
  }
  return (
    common +
    `Each record's text is scored as lm-evaluation-harness's loglikelihood_rolling, in windows of at most ${WINDOW_CHARS.toLocaleString("en")} ` +
    "characters, the first after the template's text before {{input}}, each later one after the previous window; bits per byte and " +
    "byte and word perplexity as in the wikitext task. Lower is better."
  );
}

/**
 * The BenchmarkDefinition of a stored community benchmark. `itemCount` is the number of scored records (lines minus
 * exemplars) when known without the data (the server stores it at creation); loading the dataset sets it.
 */
export function buildCommunityBenchmark(options: {
  key: string;
  version: string;
  definition: TCommunityBenchmark;
  itemCount?: number;
}): CommunityBenchmarkDefinition {
  const { definition } = options;
  const shots = definition.fewshot.count;
  const until = stopSequencesOf(definition);
  let records: CommunityRecord[] | null = null;
  let count: number | null = options.itemCount ?? null;

  const data = (): CommunityRecord[] => {
    if (!records) throw new Error(`${options.key}: the dataset is not loaded yet (download and verify it first)`);
    return records;
  };
  const total = (): number => {
    if (count === null) throw new Error(`${options.key}: the item count is not known before the dataset is loaded`);
    return count;
  };
  const indexOrThrow = (item: string): number => {
    const index = itemIndex(PREFIX, item, shots + total());
    if (index === null || index < shots) {
      throw new BenchmarkInputError(`item ${JSON.stringify(item)} is not a ${options.key} item (expected item/${shots} … item/${shots + total() - 1})`, {
        item,
        field: "item",
      });
    }
    return index;
  };
  const exemplars = (): string[] =>
    data()
      .slice(0, shots)
      .map((record) => {
        if (record.kind === "generate") return `${renderTemplate(definition.promptTemplate, record.input)} ${record.target}`;
        if (record.kind === "choice") return `${renderTemplate(definition.promptTemplate, record.input)} ${record.choices[record.label]}`;
        return "";
      });
  let fewshotPrefix: string | null = null;
  const promptFor = (input: string): string => {
    fewshotPrefix ??= shots > 0 ? exemplars().join(definition.fewshot.separator) + definition.fewshot.separator : "";
    return fewshotPrefix + renderTemplate(definition.promptTemplate, input);
  };
  const recordOf = (item: string): CommunityRecord => data()[indexOrThrow(item)]!;
  const rollingContext = definition.promptTemplate.slice(0, Math.max(0, definition.promptTemplate.indexOf("{{input}}")));

  const windowsOf = (item: string): string[] => {
    const record = recordOf(item);
    if (record.kind !== "text") throw new Error("unreachable: a rolling benchmark with a non-text record");
    return documentWindows(record.text);
  };

  const self: CommunityBenchmarkDefinition = {
    community: definition,
    key: options.key,
    id: definition.slug,
    version: options.version,
    name: definition.name,
    description: definition.description,
    reference: `Community benchmark, family ${definition.family}; dataset ${definition.dataset.url} (sha256 ${definition.dataset.sha256})`,
    datasets: [{ file: definition.dataset.url, sha256: definition.dataset.sha256, licence: definition.dataset.licence, role: "scored" }],
    scoredDatasetSha256: definition.dataset.sha256,
    metrics: metricsOf(definition),
    primaryMetric: definition.metric,
    itemsPerTask: definition.itemsPerTask,
    quorum: 3,
    minAgreement: 0.8,
    maxResults: 7,
    activeByDefault: false,
    scoringSummary: summaryOf(definition),
    requestKind: definition.family === "generate_until_exact_match" ? "generate_until" : "loglikelihood",

    isDatasetLoaded: () => records !== null,
    loadDataset(bytes) {
      const actual = sha256Hex(typeof bytes === "string" ? bytes : Buffer.from(bytes));
      if (actual !== definition.dataset.sha256) {
        throw new DatasetFormatError(`the dataset's sha256 is ${actual}, not the pinned ${definition.dataset.sha256}`);
      }
      const parsed = parseCommunityDataset(definition.family, bytes);
      if (parsed.length <= shots) {
        throw new DatasetFormatError(`the dataset has ${parsed.length} records: not more than the ${shots} few-shot exemplars`);
      }
      if (count !== null && count !== parsed.length - shots) {
        throw new DatasetFormatError(`the dataset has ${parsed.length - shots} items, not the ${count} stored with the definition`);
      }
      records = parsed;
      count = parsed.length - shots;
    },

    itemCount: total,
    allItemIds: () => Array.from({ length: total() }, (_, i) => itemId(PREFIX, shots + i)),
    hasItem: (item) => {
      const index = itemIndex(PREFIX, item, shots + total());
      return index !== null && index >= shots;
    },
    promptOf(item) {
      const record = recordOf(item);
      return record.kind === "text" ? record.text : promptFor(record.input);
    },

    buildItemRequests(item): EngineRequest[] {
      const record = recordOf(item);
      if (record.kind === "generate") {
        return [{ kind: "generate_until", id: item, item, prompt: promptFor(record.input), until: [...until], maxTokens: COMMUNITY_MAX_TOKENS }];
      }
      if (record.kind === "choice") {
        const context = promptFor(record.input);
        return record.choices.map((choice, j) => ({ kind: "loglikelihood" as const, id: `${item}/c/${j}`, item, context, continuation: ` ${choice}` }));
      }
      const windows = windowsOf(item);
      return windows.map((window, k) => ({
        kind: "loglikelihood" as const,
        id: `${item}/w${k}`,
        item,
        context: k === 0 ? rollingContext : windows[k - 1]!.slice(-WINDOW_CHARS),
        continuation: window,
      }));
    },

    outputFromResponses(item, _requests, responses: readonly EngineResponse[]): TItemOutput {
      if (definition.family === "generate_until_exact_match") {
        const response = responses[0] as GenerateUntilResponse | undefined;
        if (!response || responses.length !== 1) throw new BenchmarkInputError(`item ${item}: expected exactly one generation`, { item, field: "responses" });
        return { item, output: response.text };
      }
      const values = responses.map((response) => (response as LoglikelihoodResponse).loglikelihood);
      return { item, loglikelihoods: definition.family === "loglikelihood_multiple_choice" ? { choices: values } : { windows: values } };
    },

    scoreItem(output: TItemOutput): ItemScore {
      const item = output.item;
      const record = recordOf(item);
      if (record.kind === "generate") {
        if (!("output" in output) || typeof output.output !== "string") {
          throw new BenchmarkInputError(`item ${item}: ${options.key} expects "output" (the generated text)`, { item, field: "output" });
        }
        if (output.output.length > COMMUNITY_MAX_OUTPUT_CHARS) {
          throw new BenchmarkInputError(`item ${item}: output is ${output.output.length} characters, more than the ${COMMUNITY_MAX_OUTPUT_CHARS} accepted`, {
            item,
            field: "output",
          });
        }
        const answer = cutAtStopSequences(output.output, until).trim();
        return { extracted: { answer: answer.slice(0, 1000) }, scores: { exact_match: answer === record.target.trim() ? 1 : 0 } };
      }
      const key = record.kind === "choice" ? "choices" : "windows";
      const expected = record.kind === "choice" ? record.choices.length : windowsOf(item).length;
      if (!("loglikelihoods" in output) || !isPlainObject(output.loglikelihoods)) {
        throw new BenchmarkInputError(`item ${item}: ${options.key} expects "loglikelihoods": {"${key}": [${expected} numbers]}`, { item, field: "loglikelihoods" });
      }
      const values = output.loglikelihoods[key];
      if (Object.keys(output.loglikelihoods).length !== 1 || !Array.isArray(values)) {
        throw new BenchmarkInputError(`item ${item}: loglikelihoods must have exactly one key, "${key}"`, { item, field: "loglikelihoods" });
      }
      if (values.length !== expected) {
        throw new BenchmarkInputError(`item ${item}: loglikelihoods.${key} has ${values.length} values, expected ${expected}`, { item, field: `loglikelihoods.${key}` });
      }
      values.forEach((ll: unknown, j) => {
        if (typeof ll !== "number" || !Number.isFinite(ll) || ll > 0) {
          throw new BenchmarkInputError(`item ${item}: loglikelihoods.${key}[${j}] is ${String(ll)}; a log-likelihood is a finite number ≤ 0`, {
            item,
            field: `loglikelihoods.${key}`,
          });
        }
      });
      const lls = values as number[];
      if (record.kind === "choice") {
        const best = argmax(lls);
        return { extracted: { acc: String(best) }, scores: { acc: best === record.label ? 1 : 0 } };
      }
      const text = record.kind === "text" ? record.text : "";
      const nll = -lls.reduce((sum, ll) => sum + ll, 0);
      const bytes = byteCount(text);
      const words = wordCount(text);
      return {
        extracted: {},
        scores: { [BITS_PER_BYTE]: nll / bytes / Math.LN2, [BYTE_PERPLEXITY]: Math.exp(nll / bytes), [WORD_PERPLEXITY]: Math.exp(nll / words), nll, bytes, words },
      };
    },

    goldAnswer(item): GoldAnswer {
      const record = recordOf(item);
      const requests = self.buildItemRequests(item);
      if (record.kind === "generate") {
        const wrong = record.target.trim() === "[wrong]" ? "[other]" : "[wrong]";
        return { kind: "responses", correct: [{ id: item, text: ` ${record.target}${until[0]}` }], wrong: [{ id: item, text: ` ${wrong}${until[0]}` }] };
      }
      if (record.kind === "choice") {
        const other = record.label === 0 ? 1 : 0;
        const answer = (best: number) => requests.map((request, j) => ({ id: request.id, loglikelihood: j === best ? -1 : -5 }));
        return { kind: "responses", correct: answer(record.label), wrong: answer(other) };
      }
      // A "right" model: 0.5 nats per byte; a "wrong" one: 2 nats per byte.
      const answer = (perByte: number) =>
        requests.map((request) => ({ id: request.id, loglikelihood: -perByte * byteCount(request.kind === "loglikelihood" ? request.continuation : "") }));
      return { kind: "responses", correct: answer(0.5), wrong: answer(2) };
    },
  };
  return self;
}
