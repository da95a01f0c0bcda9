/**
 * `heldout_ppl@1`: held-out perplexity (the autoresearch seed ranks by it), computed as lm-evaluation-harness's
 * `wikitext` task does from `loglikelihood_rolling`: each document's total log-likelihood, then corpus-level word
 * perplexity exp(Σ nll / Σ words), byte perplexity exp(Σ nll / Σ bytes) and bits per byte Σ nll / (Σ bytes · ln 2).
 * Lower is better for all three; bits_per_byte is the primary metric.
 *
 * Corpus: the worked solutions of GSM8K's train split (calculator annotations `<<…>>` removed), text already pinned
 * in the project that no benchmark scores (gsm8k scores the test split and only shows train solutions as few-shot
 * context). Item `doc/<i>` is train line i.
 *
 * Windows: the harness cuts a document into windows of the model's context length in tokens. Quorum's engines see
 * text, so a document is cut into windows of at most WINDOW_CHARS characters at whitespace; window 0 is scored
 * after the fixed context "Worked solution:" (the harness uses the end-of-text token), window k > 0 after the text
 * of window k − 1 (its last WINDOW_CHARS characters). Each window is one loglikelihood request; the runner reports
 * every window's log-likelihood and the server re-scores from them.
 */
import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition, GoldAnswer, ItemScore } from "./benchmark-definition";
import type { EngineRequest, LoglikelihoodResponse } from "./engine-contract";
import { BenchmarkInputError } from "./errors";
import { GSM8K_TRAIN, gsm8kData } from "./gsm8k-data";
import { itemId, itemIndex } from "./item-ids";
import { isPlainObject } from "./plain-object";

export const WINDOW_CHARS = 2000;
export const FIRST_CONTEXT = "Worked solution:";
export const WORD_PERPLEXITY = "word_perplexity";
export const BYTE_PERPLEXITY = "byte_perplexity";
export const BITS_PER_BYTE = "bits_per_byte";
const PREFIX = "doc/";

const documents = new Map<number, string>();

/** Document i: train solution i without calculator annotations. */
export function heldoutDocument(index: number): string {
  let text = documents.get(index);
  if (text === undefined) {
    text = gsm8kData().train[index]!.answer.replace(/<<[^>]*>>/g, "");
    documents.set(index, text);
  }
  return text;
}

function indexOrThrow(item: string): number {
  const count = gsm8kData().train.length;
  const index = itemIndex(PREFIX, item, count);
  if (index === null) {
    throw new BenchmarkInputError(`item ${JSON.stringify(item)} is not a heldout_ppl item (expected doc/0 … doc/${count - 1})`, {
      item,
      field: "item",
    });
  }
  return index;
}

/** The windows of a document: consecutive pieces of at most WINDOW_CHARS characters, cut before whitespace. */
export function documentWindows(text: string): string[] {
  const windows: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + WINDOW_CHARS);
    if (end < text.length) {
      const cut = text.slice(start, end).search(/\s\S*$/);
      if (cut > 0) end = start + cut;
    }
    windows.push(text.slice(start, end));
    start = end;
  }
  return windows;
}

/** Words as the harness counts them for word perplexity: len(re.split(r"\s+", doc)). */
export function wordCount(text: string): number {
  return text.split(/\s+/).length;
}

export function byteCount(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export const heldoutPerplexity: BenchmarkDefinition = {
  key: "heldout_ppl@1",
  id: "heldout_ppl",
  version: "1",
  name: "Held-out perplexity (grade-school math solutions)",
  description:
    "How well the model predicts held-out text: bits per byte and word/byte perplexity on GSM8K's train solutions, which no other benchmark scores. Lower is better.",
  reference: "EleutherAI lm-evaluation-harness loglikelihood_rolling, as in the wikitext task (word_perplexity, byte_perplexity, bits_per_byte)",
  datasets: [{ ...GSM8K_TRAIN, role: "scored" }],
  scoredDatasetSha256: GSM8K_TRAIN.sha256,
  metrics: [
    { name: BITS_PER_BYTE, higherIsBetter: false, kind: "continuous", ratio: { numerator: "nll", denominator: "bytes", transform: "bits" } },
    { name: BYTE_PERPLEXITY, higherIsBetter: false, kind: "continuous", ratio: { numerator: "nll", denominator: "bytes", transform: "exp" } },
    { name: WORD_PERPLEXITY, higherIsBetter: false, kind: "continuous", ratio: { numerator: "nll", denominator: "words", transform: "exp" } },
  ],
  primaryMetric: BITS_PER_BYTE,
  itemsPerTask: 5,
  quorum: 3,
  minAgreement: 0.8,
  maxResults: 7,
  activeByDefault: false,
  scoringSummary:
    "The model's log-likelihood of five held-out documents (GSM8K train solutions, calculator annotations removed), " +
    "scored as lm-evaluation-harness's loglikelihood_rolling: each document in windows of at most 2,000 characters, " +
    'the first after the fixed context "Worked solution:", each later one after the previous window. Bits per byte ' +
    "= total negative log-likelihood / (total UTF-8 bytes · ln 2); byte and word perplexity are exp of the total " +
    "negative log-likelihood per byte and per whitespace-separated word. Lower is better. The interval comes from " +
    "the ratio estimator's standard error over documents. Windows are cut by characters, not the model's tokens, " +
    "so numbers are comparable between Quorum models but not equal to a harness run with another window length.",
  requestKind: "loglikelihood",

  itemCount: () => gsm8kData().train.length,
  allItemIds: () => gsm8kData().train.map((_, index) => itemId(PREFIX, index)),
  hasItem: (item) => itemIndex(PREFIX, item, gsm8kData().train.length) !== null,
  promptOf: (item) => heldoutDocument(indexOrThrow(item)),

  buildItemRequests(item): EngineRequest[] {
    const windows = documentWindows(heldoutDocument(indexOrThrow(item)));
    return windows.map((window, k) => ({
      kind: "loglikelihood" as const,
      id: `${item}/w${k}`,
      item,
      context: k === 0 ? FIRST_CONTEXT : windows[k - 1]!.slice(-WINDOW_CHARS),
      continuation: k === 0 ? `\n${window}` : window,
    }));
  },

  outputFromResponses(item, _requests, responses): TItemOutput {
    return { item, loglikelihoods: { windows: responses.map((response) => (response as LoglikelihoodResponse).loglikelihood) } };
  },

  scoreItem(output: TItemOutput): ItemScore {
    const item = output.item;
    const text = heldoutDocument(indexOrThrow(item));
    const expected = documentWindows(text).length;
    if (!("loglikelihoods" in output) || !isPlainObject(output.loglikelihoods)) {
      throw new BenchmarkInputError(`item ${item}: heldout_ppl expects "loglikelihoods": {"windows": [one number per window]}`, {
        item,
        field: "loglikelihoods",
      });
    }
    const keys = Object.keys(output.loglikelihoods);
    const windows = output.loglikelihoods.windows;
    if (keys.length !== 1 || !Array.isArray(windows)) {
      throw new BenchmarkInputError(`item ${item}: loglikelihoods must have exactly one key, "windows"`, { item, field: "loglikelihoods" });
    }
    if (windows.length !== expected) {
      throw new BenchmarkInputError(`item ${item}: loglikelihoods.windows has ${windows.length} values, but the document has ${expected} windows`, {
        item,
        field: "loglikelihoods.windows",
      });
    }
    let nll = 0;
    windows.forEach((ll, k) => {
      if (typeof ll !== "number" || !Number.isFinite(ll) || ll > 0) {
        throw new BenchmarkInputError(`item ${item}: loglikelihoods.windows[${k}] is ${String(ll)}; a log-likelihood is a finite number ≤ 0`, {
          item,
          field: "loglikelihoods.windows",
        });
      }
      nll -= ll;
    });
    const words = wordCount(text);
    const bytes = byteCount(text);
    return {
      extracted: {},
      scores: {
        [BITS_PER_BYTE]: nll / bytes / Math.LN2,
        [BYTE_PERPLEXITY]: Math.exp(nll / bytes),
        [WORD_PERPLEXITY]: Math.exp(nll / words),
        nll,
        bytes,
        words,
      },
    };
  },

  goldAnswer(item): GoldAnswer {
    const requests = heldoutPerplexity.buildItemRequests(item);
    // A "right" model: 0.5 nats per byte; a "wrong" one: 2 nats per byte (bits per byte ≈ 0.72 and ≈ 2.89).
    const answer = (perByte: number) =>
      requests.map((request) => ({
        id: request.id,
        // The document's own bytes (window 0's continuation starts with the "\n" after the fixed context).
        loglikelihood: -perByte * byteCount(request.kind === "loglikelihood" ? request.continuation.replace(/^\n/, "") : ""),
      }));
    return { kind: "responses", correct: answer(0.5), wrong: answer(2) };
  },
};
