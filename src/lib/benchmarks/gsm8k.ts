/**
 * `gsm8k@3`: lm-evaluation-harness `gsm8k`, task version 3.0. 5-shot from train (seed 1234, see gsm8k-data.ts),
 * greedy generation until "Question:", "</s>" or "<|im_end|>" (at most 256 new tokens, the harness's default
 * max_gen_toks), the output cut at those stop sequences, then `exact_match` after the `strict-match` and
 * `flexible-extract` filters (harness-gsm8k-scoring.ts).
 */
import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition, GoldAnswer, ItemScore } from "./benchmark-definition";
import type { EngineRequest, EngineResponse, GenerateUntilResponse } from "./engine-contract";
import { BenchmarkInputError } from "./errors";
import { GSM8K_TEST, GSM8K_TRAIN, gsm8kData, gsm8kPrompt, gsm8kReferenceAnswer } from "./gsm8k-data";
import {
  cutAtStopSequences,
  exactMatchNormalised,
  flexibleExtract,
  normaliseForExactMatch,
  strictMatch,
} from "./harness-gsm8k-scoring";
import { itemId, itemIndex } from "./item-ids";

export const GSM8K_UNTIL = ["Question:", "</s>", "<|im_end|>"] as const;
export const GSM8K_MAX_TOKENS = 256;
/** Longest raw output accepted (characters): far above what 256 tokens can spell, small enough to store. */
export const GSM8K_MAX_OUTPUT_CHARS = 100_000;
export const STRICT_METRIC = "exact_match,strict-match";
export const FLEXIBLE_METRIC = "exact_match,flexible-extract";

const PREFIX = "test/";
const normalisedReferences = new Map<number, string>();

function normalisedReference(index: number): string {
  let reference = normalisedReferences.get(index);
  if (reference === undefined) {
    reference = normaliseForExactMatch(gsm8kData().test[index]!.answer);
    normalisedReferences.set(index, reference);
  }
  return reference;
}

function indexOrThrow(item: string): number {
  const index = itemIndex(PREFIX, item, gsm8kData().test.length);
  if (index === null) {
    throw new BenchmarkInputError(`item ${JSON.stringify(item)} is not a gsm8k item (expected test/0 … test/1318)`, {
      item,
      field: "item",
    });
  }
  return index;
}

export const gsm8k: BenchmarkDefinition = {
  key: "gsm8k@3",
  id: "gsm8k",
  version: "3",
  name: "GSM8K",
  description: "Grade-school math word problems, 5-shot, answered by free-form generation (Cobbe et al. 2021).",
  reference: "EleutherAI lm-evaluation-harness task gsm8k, version 3.0",
  datasets: [GSM8K_TEST, GSM8K_TRAIN],
  scoredDatasetSha256: GSM8K_TEST.sha256,
  metrics: [
    { name: STRICT_METRIC, higherIsBetter: true, kind: "binary" },
    { name: FLEXIBLE_METRIC, higherIsBetter: true, kind: "binary" },
  ],
  primaryMetric: STRICT_METRIC,
  itemsPerTask: 5,
  quorum: 3,
  minAgreement: 0.8,
  maxResults: 7,
  scoringSummary:
    "Scored as EleutherAI lm-evaluation-harness's gsm8k (version 3): each question from the GSM8K test split " +
    "(1,319 problems) is preceded by five worked solutions from the train split, drawn with the harness's own " +
    "seed (1234) so the prompt is byte for byte the harness's, and the model answers greedily until it writes " +
    '"Question:", "</s>" or "<|im_end|>" (at most 256 tokens). strict-match takes the number after the first ' +
    '"#### " (a model that recites an exemplar\'s answer is scored on it, as in the harness); flexible-extract ' +
    "takes the last number in the answer. Both are compared with the reference after removing commas, dollar " +
    'signs and a final period, ignoring case ("[invalid]" when nothing matches). Unlike the leaderboards that ' +
    "score all 1,319 problems, each Quorum task scores 5 sampled problems, so a single score is a screen, not a " +
    "ranking: look at n and the 95% interval next to it; they narrow as epochs cover more of the split.",
  requestKind: "generate_until",

  itemCount: () => gsm8kData().test.length,
  allItemIds: () => gsm8kData().test.map((_, index) => itemId(PREFIX, index)),
  hasItem: (item) => itemIndex(PREFIX, item, gsm8kData().test.length) !== null,
  promptOf: (item) => gsm8kPrompt(indexOrThrow(item)),

  buildItemRequests(item): EngineRequest[] {
    return [
      {
        kind: "generate_until",
        id: item,
        item,
        prompt: gsm8kPrompt(indexOrThrow(item)),
        until: [...GSM8K_UNTIL],
        maxTokens: GSM8K_MAX_TOKENS,
      },
    ];
  },

  outputFromResponses(item, _requests, responses: readonly EngineResponse[]): TItemOutput {
    const response = responses[0] as GenerateUntilResponse | undefined;
    if (!response || responses.length !== 1) {
      throw new BenchmarkInputError(`item ${item}: expected exactly one generation`, { item, field: "responses" });
    }
    return { item, output: response.text };
  },

  scoreItem(output: TItemOutput): ItemScore {
    const item = output.item;
    const index = indexOrThrow(item);
    if (!("output" in output) || typeof output.output !== "string") {
      throw new BenchmarkInputError(`item ${item}: gsm8k expects "output" (the generated text), not log-likelihoods`, {
        item,
        field: "output",
      });
    }
    if (output.output.length > GSM8K_MAX_OUTPUT_CHARS) {
      throw new BenchmarkInputError(
        `item ${item}: output is ${output.output.length} characters, more than the ${GSM8K_MAX_OUTPUT_CHARS} accepted`,
        { item, field: "output" },
      );
    }
    const response = cutAtStopSequences(output.output, GSM8K_UNTIL);
    const reference = normalisedReference(index);
    const strict = strictMatch(response);
    const flexible = flexibleExtract(response);
    return {
      extracted: { "strict-match": strict, "flexible-extract": flexible },
      scores: {
        [STRICT_METRIC]: exactMatchNormalised(strict, reference),
        [FLEXIBLE_METRIC]: exactMatchNormalised(flexible, reference),
      },
    };
  },

  goldAnswer(item): GoldAnswer {
    return { kind: "generate_until", answer: gsm8kReferenceAnswer(gsm8kData().test[indexOrThrow(item)]!) };
  },
};
