/**
 * GSM8K as lm-evaluation-harness `gsm8k` (v3) sees it: the test split is scored, and each test document gets five
 * exemplars from the train split drawn by `ContextSampler.sample`, i.e. `rnd.sample(train_docs, 5)` with the one
 * `random.Random(1234)` that `set_fewshot_seed(1234)` installs. The generator is shared by all documents, so
 * document i's exemplars are the i-th consecutive draw in test-split order (as in a single-process harness run).
 * The harness drops a drawn exemplar equal to the document itself; no train document equals a test document, but
 * the rule is kept. Prompt: each exemplar is "Question: {q}\nAnswer:" + " " + answer + "\n\n", then the question.
 */
import { z } from "zod";
import { parseJsonLines, readPinnedFile } from "./datasets";
import type { DatasetFile } from "./benchmark-definition";
import { DatasetIntegrityError } from "./errors";
import { PythonRandom } from "./python-random";

export const GSM8K_TEST: DatasetFile = {
  file: "gsm8k/test.jsonl",
  sha256: "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
  licence: "MIT",
  role: "scored",
};
export const GSM8K_TRAIN: DatasetFile = {
  file: "gsm8k/train.jsonl",
  sha256: "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465",
  licence: "MIT",
  role: "fewshot",
};

export const GSM8K_FEWSHOT_SEED = 1234;
export const GSM8K_NUM_FEWSHOT = 5;

const ZGsm8kDocSchema = z.object({ question: z.string(), answer: z.string().includes("#### ") }).strict();
export type TGsm8kDoc = z.infer<typeof ZGsm8kDocSchema>;

export interface Gsm8kData {
  test: TGsm8kDoc[];
  train: TGsm8kDoc[];
  /** exemplars[i]: train indices of test document i's exemplars, in prompt order. */
  exemplars: number[][];
}

let loaded: Gsm8kData | undefined;
const prompts = new Map<number, string>();

function loadSplit(pinned: DatasetFile): TGsm8kDoc[] {
  return parseJsonLines(readPinnedFile(pinned), pinned.file).map((value, index) => {
    const parsed = ZGsm8kDocSchema.safeParse(value);
    if (!parsed.success) {
      throw new DatasetIntegrityError(pinned.file, `dataset file ${pinned.file} line ${index + 1}: unexpected record`);
    }
    return parsed.data;
  });
}

export function gsm8kData(): Gsm8kData {
  if (loaded) return loaded;
  const test = loadSplit(GSM8K_TEST);
  const train = loadSplit(GSM8K_TRAIN);
  const rnd = new PythonRandom(GSM8K_FEWSHOT_SEED);
  const exemplars = test.map((doc) =>
    rnd
      .sampleIndices(train.length, GSM8K_NUM_FEWSHOT)
      .filter((j) => train[j]!.question !== doc.question || train[j]!.answer !== doc.answer)
      .slice(0, GSM8K_NUM_FEWSHOT),
  );
  loaded = { test, train, exemplars };
  return loaded;
}

function docToText(doc: TGsm8kDoc): string {
  return `Question: ${doc.question}\nAnswer:`;
}

/** The exact prompt the harness sends for test document `index`. */
export function gsm8kPrompt(index: number): string {
  const cached = prompts.get(index);
  if (cached !== undefined) return cached;
  const { test, train, exemplars } = gsm8kData();
  const doc = test[index];
  if (!doc) throw new RangeError(`no GSM8K test document ${index}`);
  let prompt = "";
  for (const j of exemplars[index]!) prompt += `${docToText(train[j]!)} ${train[j]!.answer}\n\n`;
  prompt += docToText(doc);
  prompts.set(index, prompt);
  return prompt;
}

/** The final answer of a reference solution: the text after its last "#### ". */
export function gsm8kReferenceAnswer(doc: TGsm8kDoc): string {
  return doc.answer.slice(doc.answer.lastIndexOf("#### ") + "#### ".length).trim();
}
