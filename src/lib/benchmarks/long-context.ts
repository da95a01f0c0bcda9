/**
 * Long-context retrieval as RULER builds it (Hsieh et al. 2024), at QUASAR's context tiers. LongBench's data cannot
 * be redistributed, so every item is generated: needles ("One of the special magic numbers for <key> is: <value>.")
 * and variable-tracking chains hidden in a haystack of GSM8K train questions (pinned data), sized with a fixed
 * estimate of CHARS_PER_TOKEN characters per token. One benchmark per tier (`longctx_4k@1` … `longctx_2m@1`) so that
 * tasks can be scheduled only for models whose context holds the tier and claimed only by runners whose GPUs do.
 *
 * Item `<task>/<k>` (task: niah_single, niah_multikey, niah_multivalue, vt; k = 0 … 199): its content is a pure
 * function of (tier, item), drawn from a PythonRandom seeded with the first 8 bytes of sha256("<key>/<item>"); which
 * items a task scores is drawn from the epoch's committed seed by the shared sampler, so nobody knows them before
 * the epoch starts. Scoring: RULER's string_match_all (share of expected values found in the answer, case-insensitive).
 */
import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition, GoldAnswer, ItemScore } from "./benchmark-definition";
import type { EngineRequest, EngineResponse, GenerateUntilResponse } from "./engine-contract";
import { BenchmarkInputError } from "./errors";
import { GSM8K_TRAIN, gsm8kData } from "./gsm8k-data";
import { PythonRandom } from "./python-random";
import { sha256Hex } from "./sha256";

export const CHARS_PER_TOKEN = 4;
/** Share of the tier's tokens the haystack fills; the rest is left for the instructions, question and answer. */
export const FILL = 0.9;
export const LONGCTX_MAX_TOKENS = 128;
export const LONGCTX_UNTIL = ["\n\n", "</s>", "<|im_end|>"] as const;
export const LONGCTX_TASKS = ["niah_single", "niah_multikey", "niah_multivalue", "vt"] as const;
export const ITEMS_PER_TASK_KIND = 200;
export const STRING_MATCH_ALL = "string_match_all";
/** RULER's threshold for a context length a model "handles" (the Llama-2-7B 4k score it uses, 85.6), rounded. */
export const PASS_THRESHOLD = 0.85;

export interface ContextTier {
  label: string;
  tokens: number;
  /** QUASAR's multiplier: the tier's reward is min(accuracy × multiplier, 1). */
  multiplier: number;
}

export const CONTEXT_TIERS: readonly ContextTier[] = [
  { label: "4k", tokens: 4096, multiplier: 1.0 },
  { label: "8k", tokens: 8192, multiplier: 1.0 },
  { label: "16k", tokens: 16384, multiplier: 1.0 },
  { label: "32k", tokens: 32768, multiplier: 1.0 },
  { label: "128k", tokens: 131072, multiplier: 1.2 },
  { label: "512k", tokens: 524288, multiplier: 1.5 },
  { label: "1m", tokens: 1048576, multiplier: 1.8 },
  { label: "2m", tokens: 2097152, multiplier: 2.0 },
];

/** QUASAR's reward for a tier: min(accuracy × multiplier, 1). */
export function tierReward(accuracy: number, tier: ContextTier): number {
  return Math.min(accuracy * tier.multiplier, 1);
}

type TTaskKind = (typeof LONGCTX_TASKS)[number];

export interface LongContextItem {
  prompt: string;
  /** Every value the answer must contain. */
  expected: string[];
}

function rngFor(seedText: string): PythonRandom {
  return new PythonRandom(BigInt(`0x${sha256Hex(seedText).slice(0, 16)}`));
}

const WORDS = ["amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper", "kestrel", "lagoon", "meadow", "nectar", "onyx", "pylon", "quartz", "raven", "sierra", "tundra", "umber", "violet", "willow", "xenon", "yarrow", "zephyr"];

function randomKey(rng: PythonRandom): string {
  return `${WORDS[rng.randbelow(WORDS.length)]}-${WORDS[rng.randbelow(WORDS.length)]}-${rng.randbelow(1000)}`;
}

function randomNumber(rng: PythonRandom): string {
  return String(1_000_000 + rng.randbelow(9_000_000));
}

/** Haystack sentences: GSM8K train questions from a random start, in file order, cycling, up to `chars`. */
function haystack(rng: PythonRandom, chars: number): string[] {
  const questions = gsm8kData().train;
  const pieces: string[] = [];
  let length = 0;
  let index = rng.randbelow(questions.length);
  while (length < chars) {
    const text = questions[index % questions.length]!.question.replace(/\s+/g, " ");
    pieces.push(text);
    length += text.length + 1;
    index++;
  }
  return pieces;
}

/** Inserts each needle at a random position between haystack pieces (positions drawn in order). */
function insert(rng: PythonRandom, pieces: string[], needles: string[]): string {
  const out = [...pieces];
  for (const needle of needles) out.splice(rng.randbelow(out.length + 1), 0, needle);
  return out.join(" ");
}

export function generateItem(tier: ContextTier, key: string, item: string): LongContextItem {
  const [kind] = item.split("/") as [TTaskKind];
  const rng = rngFor(`${key}/${item}`);
  const chars = Math.floor(tier.tokens * CHARS_PER_TOKEN * FILL);
  const pieces = haystack(rng, chars);
  const needle = (k: string, v: string) => `One of the special magic numbers for ${k} is: ${v}.`;
  let context: string;
  let question: string;
  let answerPrefix: string;
  let expected: string[];
  if (kind === "vt") {
    const value = String(10_000 + rng.randbelow(90_000));
    const names = Array.from({ length: 5 }, () => `VAR_${WORDS[rng.randbelow(WORDS.length)]!.toUpperCase()}_${rng.randbelow(100)}`);
    const chain = names.map((name, i) => `${name} = ${i === 0 ? value : names[i - 1]}.`);
    const noiseNames = Array.from({ length: 5 }, () => `VAR_${WORDS[rng.randbelow(WORDS.length)]!.toUpperCase()}_${100 + rng.randbelow(100)}`);
    const noise = noiseNames.map((name) => `${name} = ${10_000 + rng.randbelow(90_000)}.`);
    context = insert(rng, pieces, [...chain, ...noise]);
    question = `Find all variables that are assigned the value ${value} in the text above, directly or through other variables.`;
    answerPrefix = `Answer: According to the chain(s) of variable assignment in the text above, 5 variables are assigned the value ${value}, they are:`;
    expected = names;
  } else {
    const target = randomKey(rng);
    const values = Array.from({ length: kind === "niah_multivalue" ? 4 : 1 }, () => randomNumber(rng));
    const needles = values.map((value) => needle(target, value));
    if (kind === "niah_multikey") for (let i = 0; i < 3; i++) needles.push(needle(randomKey(rng), randomNumber(rng)));
    context = insert(rng, pieces, needles);
    question =
      kind === "niah_multivalue"
        ? `What are all the special magic numbers for ${target} mentioned in the provided text?`
        : `What is the special magic number for ${target} mentioned in the provided text?`;
    answerPrefix =
      kind === "niah_multivalue"
        ? `The special magic numbers for ${target} mentioned in the provided text are`
        : `The special magic number for ${target} mentioned in the provided text is`;
    expected = values;
  }
  const prompt =
    "Some special magic numbers and variable assignments are hidden inside the following text. Memorize them. " +
    `I will quiz you about them afterwards.\n${context}\n${question} ${answerPrefix}`;
  return { prompt, expected };
}

/** RULER's string_match_all: the share of expected values that occur in the prediction, case-insensitively. */
export function stringMatchAll(prediction: string, expected: readonly string[]): number {
  const lower = prediction.toLowerCase();
  return expected.filter((value) => lower.includes(value.toLowerCase())).length / expected.length;
}

function cutAt(text: string): string {
  let end = text.length;
  for (const stop of LONGCTX_UNTIL) {
    const at = text.indexOf(stop);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

const ALL_ITEMS = LONGCTX_TASKS.flatMap((kind) => Array.from({ length: ITEMS_PER_TASK_KIND }, (_, k) => `${kind}/${k}`));
const ITEM_SET = new Set(ALL_ITEMS);

function makeTier(tier: ContextTier): BenchmarkDefinition {
  const key = `longctx_${tier.label}@1`;
  const cache = new Map<string, LongContextItem>();
  const itemOf = (item: string): LongContextItem => {
    if (!ITEM_SET.has(item)) {
      throw new BenchmarkInputError(`item ${JSON.stringify(item)} is not a long-context item (expected <task>/<k>, task one of ${LONGCTX_TASKS.join(", ")}, k < ${ITEMS_PER_TASK_KIND})`, {
        item,
        field: "item",
      });
    }
    let generated = cache.get(item);
    if (!generated) {
      generated = generateItem(tier, key, item);
      if (cache.size > 64) cache.clear();
      cache.set(item, generated);
    }
    return generated;
  };
  const definition: BenchmarkDefinition = {
    key,
    id: `longctx_${tier.label}`,
    version: "1",
    name: `Long context ${tier.label}`,
    description: `RULER-style retrieval and variable tracking in about ${tier.label} tokens of text (QUASAR multiplier ×${tier.multiplier}).`,
    reference: "RULER (NVIDIA, Hsieh et al. 2024) niah_single, niah_multikey, niah_multivalue, vt with string_match_all; QUASAR context multipliers",
    datasets: [{ ...GSM8K_TRAIN, role: "scored" }],
    scoredDatasetSha256: GSM8K_TRAIN.sha256,
    metrics: [{ name: STRING_MATCH_ALL, higherIsBetter: true, kind: "continuous" }],
    primaryMetric: STRING_MATCH_ALL,
    itemsPerTask: 5,
    quorum: 3,
    minAgreement: 0.8,
    maxResults: 7,
    activeByDefault: false,
    contextTokens: tier.tokens,
    scoringSummary:
      `Generated RULER-style tasks at about ${tier.tokens.toLocaleString("en-US")} tokens (estimated as ${CHARS_PER_TOKEN} ` +
      "characters per token): a haystack of GSM8K train questions hides magic-number needles (one key; one of four " +
      "keys; four values of one key) or a five-step chain of variable assignments. The model continues the prompt " +
      "greedily (at most 128 tokens) and scores the share of expected values its answer contains (RULER's " +
      `string_match_all). The tier's QUASAR reward is min(accuracy × ${tier.multiplier}, 1); a tier counts as passed at ` +
      `an accuracy of ${PASS_THRESHOLD} or more. Models only get tiers within their context length.`,
    requestKind: "generate_until",
    itemCount: () => ALL_ITEMS.length,
    allItemIds: () => [...ALL_ITEMS],
    hasItem: (item) => ITEM_SET.has(item),
    promptOf: (item) => itemOf(item).prompt,
    buildItemRequests: (item): EngineRequest[] => [
      { kind: "generate_until", id: item, item, prompt: itemOf(item).prompt, until: [...LONGCTX_UNTIL], maxTokens: LONGCTX_MAX_TOKENS },
    ],
    outputFromResponses(item, _requests, responses: readonly EngineResponse[]): TItemOutput {
      const response = responses[0] as GenerateUntilResponse | undefined;
      if (!response || responses.length !== 1) throw new BenchmarkInputError(`item ${item}: expected exactly one generation`, { item, field: "responses" });
      return { item, output: response.text };
    },
    scoreItem(output: TItemOutput): ItemScore {
      const item = output.item;
      const generated = itemOf(item);
      if (!("output" in output)) throw new BenchmarkInputError(`item ${item}: ${key} expects "output", not log-likelihoods`, { item, field: "output" });
      if (output.output.length > 20_000) {
        throw new BenchmarkInputError(`item ${item}: output is ${output.output.length} characters, more than the 20000 accepted`, { item, field: "output" });
      }
      const answer = cutAt(output.output);
      const found = generated.expected.filter((value) => answer.toLowerCase().includes(value.toLowerCase()));
      return { extracted: { found: found.join(",") }, scores: { [STRING_MATCH_ALL]: stringMatchAll(answer, generated.expected) } };
    },
    goldAnswer(item): GoldAnswer {
      const expected = itemOf(item).expected;
      return {
        kind: "responses",
        correct: [{ id: item, text: ` ${expected.join(", ")}.` }],
        wrong: [{ id: item, text: " I could not find it." }],
      };
    },
  };
  return definition;
}

export const longContextBenchmarks: readonly BenchmarkDefinition[] = CONTEXT_TIERS.map(makeTier);

/** The tier of a long-context benchmark key (`longctx_128k@1`), or null for other benchmarks. */
export function tierOf(benchmarkKey: string): ContextTier | null {
  const match = /^longctx_([0-9a-z]+)@/.exec(benchmarkKey);
  return match ? (CONTEXT_TIERS.find((tier) => tier.label === match[1]) ?? null) : null;
}
