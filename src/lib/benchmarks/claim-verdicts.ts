/**
 * Claim verdicts against a rubric (the Caster design) on FEVER-Symmetric v0.2 test: an item is one group of four
 * records sharing a claim/evidence pair and its counterfactual rewrites (X: C+E -> L, X0000002: C+E' -> not L,
 * X0000003: C'+E -> not L, X0000004: C'+E' -> L), so a shortcut that reads only the claim scores 50% and passes no
 * group. Two variants share data, prompt and metrics:
 * - `claim_verdict_ll@1`: the verdict is the option with the higher log-likelihood after the prompt (" SUPPORTS" /
 *   " REFUTES"), one loglikelihood request per record x option;
 * - `claim_verdict_gen@1`: the model writes the verdict on the first line and a one-paragraph justification that
 *   cites the evidence; the verdict is parsed from the first line, the justification is kept for the model page.
 * Metrics: `accuracy` (share of the group's four records whose verdict is right, mean over items = accuracy over
 * records) and `group_consistency` (1 when all four are right).
 */
import { z } from "zod";
import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition, DatasetFile, GoldAnswer, ItemScore } from "./benchmark-definition";
import { parseJsonLines, readPinnedFile } from "./datasets";
import type { EngineRequest, EngineResponse, GenerateUntilResponse, LoglikelihoodResponse } from "./engine-contract";
import { BenchmarkInputError, DatasetIntegrityError } from "./errors";
import { cutAtStopSequences } from "./harness-gsm8k-scoring";
import { itemId, itemIndex } from "./item-ids";
import { isPlainObject } from "./plain-object";

export const FEVER_SYMMETRIC_TEST: DatasetFile = {
  file: "fever_symmetric/fever_symmetric_test.jsonl",
  sha256: "b2ff560615bd3337c858bc5b09256d04f39aaa034aaae2351bb2d6345c110f83",
  licence: "CC-BY-SA-3.0",
  role: "scored",
};

export const VERDICTS = ["SUPPORTS", "REFUTES"] as const;
export type TVerdict = (typeof VERDICTS)[number];
export const INVALID_VERDICT = "[invalid]";
export const RUBRIC = "Does the evidence support or refute the claim?";
export const ACCURACY = "accuracy";
export const GROUP_CONSISTENCY = "group_consistency";
export const RECORD_KEYS = ["r0", "r1", "r2", "r3"] as const;
export const CLAIM_GEN_UNTIL = ["\n\n\n", "</s>", "<|im_end|>", "\nEvidence:"] as const;
export const CLAIM_GEN_MAX_TOKENS = 256;
const MAX_GENERATION_CHARS = 20_000;
const PREFIX = "group/";

const ZRecordSchema = z.object({ id: z.string(), claim: z.string(), evidence: z.string(), gold_label: z.enum(VERDICTS) }).passthrough();

export interface ClaimRecord {
  id: string;
  claim: string;
  evidence: string;
  label: TVerdict;
}

let groups: ClaimRecord[][] | undefined;

/** FEVER/PTB bracket tokens back to brackets; nothing else of the tokenisation is changed. */
export function detokeniseBrackets(text: string): string {
  return text.replaceAll("-LRB-", "(").replaceAll("-RRB-", ")").replaceAll("-LSB-", "[").replaceAll("-RSB-", "]");
}

export function claimGroups(): ClaimRecord[][] {
  if (groups) return groups;
  const file = FEVER_SYMMETRIC_TEST.file;
  const records = parseJsonLines(readPinnedFile(FEVER_SYMMETRIC_TEST), file).map((value, index) => {
    const parsed = ZRecordSchema.safeParse(value);
    if (!parsed.success) throw new DatasetIntegrityError(file, `dataset file ${file} line ${index + 1}: unexpected record`);
    return { id: parsed.data.id, claim: parsed.data.claim, evidence: parsed.data.evidence, label: parsed.data.gold_label };
  });
  const byId = new Map(records.map((record) => [record.id, record]));
  const originals = records.filter((record) => !/^\d+000000[234]$/.test(record.id) || !byId.has(record.id.slice(0, -7)));
  groups = originals.map((original) => {
    const group = [original, ...["0000002", "0000003", "0000004"].map((suffix) => byId.get(original.id + suffix))];
    if (group.some((record) => !record)) throw new DatasetIntegrityError(file, `dataset file ${file}: group ${original.id} is incomplete`);
    const [x, y, z2, w] = group as ClaimRecord[];
    if (y!.label === x!.label || z2!.label === x!.label || w!.label !== x!.label) {
      throw new DatasetIntegrityError(file, `dataset file ${file}: group ${original.id} does not have the symmetric labels`);
    }
    return group as ClaimRecord[];
  });
  if (groups.length * 4 !== records.length) throw new DatasetIntegrityError(file, `dataset file ${file}: records outside groups`);
  return groups;
}

function groupOrThrow(item: string): ClaimRecord[] {
  const all = claimGroups();
  const index = itemIndex(PREFIX, item, all.length);
  if (index === null) {
    throw new BenchmarkInputError(`item ${JSON.stringify(item)} is not a claim-verdict item (expected group/0 … group/${all.length - 1})`, {
      item,
      field: "item",
    });
  }
  return all[index]!;
}

/** The prompt of one record (both variants share the first four lines). */
export function claimPrompt(record: ClaimRecord, variant: "ll" | "gen"): string {
  const head = `Evidence: ${detokeniseBrackets(record.evidence)}\nClaim: ${detokeniseBrackets(record.claim)}\nQuestion: ${RUBRIC} Answer SUPPORTS or REFUTES`;
  return variant === "ll"
    ? `${head}.\nAnswer:`
    : `${head} on the first line, then one paragraph of justification that quotes the evidence.\nAnswer:`;
}

/** The verdict on a generation's first non-empty line: SUPPORTS / REFUTES (case, markdown and punctuation ignored). */
export function parseVerdict(generation: string): string {
  const first = generation.split("\n").find((line) => line.trim() !== "") ?? "";
  const word = first.replace(/[*_`#>:."'()[\]-]/g, " ").trim().split(/\s+/)[0]?.toUpperCase() ?? "";
  if (word === "SUPPORTS" || word === "SUPPORT" || word === "SUPPORTED") return "SUPPORTS";
  if (word === "REFUTES" || word === "REFUTE" || word === "REFUTED") return "REFUTES";
  return INVALID_VERDICT;
}

/** The justification: everything after the first non-empty line, trimmed, at most 2,000 characters. */
export function justificationOf(generation: string): string {
  const lines = generation.split("\n");
  const first = lines.findIndex((line) => line.trim() !== "");
  return first === -1 ? "" : lines.slice(first + 1).join("\n").trim().slice(0, 2000);
}

/** Whether the justification quotes the evidence: it contains 5 consecutive words of it (case-insensitive). */
export function citesEvidence(justification: string, evidence: string): boolean {
  const norm = (text: string) => ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim()} `;
  const words = norm(detokeniseBrackets(evidence)).trim().split(" ");
  const haystack = norm(justification);
  for (let i = 0; i + 5 <= words.length; i++) {
    if (haystack.includes(` ${words.slice(i, i + 5).join(" ")} `)) return true;
  }
  return false;
}

function scoreVerdicts(group: ClaimRecord[], verdicts: string[]): Pick<ItemScore, "extracted" | "scores"> {
  const right = group.filter((record, i) => verdicts[i] === record.label).length;
  const extracted: Record<string, string> = {};
  RECORD_KEYS.forEach((key, i) => (extracted[key] = verdicts[i]!));
  return { extracted, scores: { [ACCURACY]: right / 4, [GROUP_CONSISTENCY]: right === 4 ? 1 : 0 } };
}

const shared = {
  datasets: [FEVER_SYMMETRIC_TEST],
  scoredDatasetSha256: FEVER_SYMMETRIC_TEST.sha256,
  metrics: [
    { name: ACCURACY, higherIsBetter: true, kind: "continuous" as const },
    { name: GROUP_CONSISTENCY, higherIsBetter: true, kind: "binary" as const },
  ],
  primaryMetric: ACCURACY,
  itemsPerTask: 5,
  quorum: 3,
  minAgreement: 0.8,
  maxResults: 7,
  activeByDefault: false,
  itemCount: () => claimGroups().length,
  allItemIds: () => claimGroups().map((_, index) => itemId(PREFIX, index)),
  hasItem: (item: string) => itemIndex(PREFIX, item, claimGroups().length) !== null,
};

const flip = (label: TVerdict): TVerdict => (label === "SUPPORTS" ? "REFUTES" : "SUPPORTS");

export const claimVerdictLl: BenchmarkDefinition = {
  ...shared,
  key: "claim_verdict_ll@1",
  id: "claim_verdict_ll",
  version: "1",
  name: "Claim verdicts (log-likelihood)",
  description:
    "FEVER-Symmetric claims with one evidence sentence each, in groups of four counterfactual pairs: does the evidence support or refute the claim? Verdict by log-likelihood.",
  reference: "FEVER-Symmetric v0.2 test (Schuster et al. 2019); verdict-against-rubric design of the Caster seed; no harness task",
  scoringSummary:
    "Each item is a group of four FEVER-Symmetric records: a claim with its evidence sentence and the three " +
    "counterfactual rewrites, whose labels flip so that reading only the claim scores 50% and passes no group. For " +
    'each record the model sees "Evidence: … Claim: … Question: Does the evidence support or refute the claim? ' +
    'Answer SUPPORTS or REFUTES.\\nAnswer:" and its verdict is whichever of " SUPPORTS" and " REFUTES" gets the ' +
    "higher log-likelihood (SUPPORTS on ties). accuracy is the share of records right; group_consistency is 1 when " +
    "all four records of a group are right. Each task scores 5 groups (20 records).",
  requestKind: "loglikelihood",
  promptOf: (item) => groupOrThrow(item).map((record) => claimPrompt(record, "ll")).join("\n\n"),

  buildItemRequests(item): EngineRequest[] {
    return groupOrThrow(item).flatMap((record, r) =>
      VERDICTS.map((verdict, v) => ({
        kind: "loglikelihood" as const,
        id: `${item}/${RECORD_KEYS[r]}/${v}`,
        item,
        context: claimPrompt(record, "ll"),
        continuation: ` ${verdict}`,
      })),
    );
  },

  outputFromResponses(item, requests, responses): TItemOutput {
    const loglikelihoods: Record<string, number[]> = {};
    requests.forEach((request, i) => {
      const key = request.id.split("/")[2]!;
      (loglikelihoods[key] ??= []).push((responses[i] as LoglikelihoodResponse).loglikelihood);
    });
    return { item, loglikelihoods };
  },

  scoreItem(output: TItemOutput): ItemScore {
    const item = output.item;
    const group = groupOrThrow(item);
    if (!("loglikelihoods" in output) || !isPlainObject(output.loglikelihoods)) {
      throw new BenchmarkInputError(`item ${item}: claim_verdict_ll expects "loglikelihoods": {"r0": [S, R], … "r3": [S, R]}`, {
        item,
        field: "loglikelihoods",
      });
    }
    const lls = output.loglikelihoods;
    const extra = Object.keys(lls).find((key) => !(RECORD_KEYS as readonly string[]).includes(key));
    if (extra !== undefined) {
      throw new BenchmarkInputError(`item ${item}: unexpected loglikelihoods key ${JSON.stringify(extra)} (only r0 … r3)`, {
        item,
        field: `loglikelihoods.${extra}`,
      });
    }
    const verdicts = RECORD_KEYS.map((key) => {
      const pair = lls[key];
      const field = `loglikelihoods.${key}`;
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new BenchmarkInputError(`item ${item}: ${field} must be [SUPPORTS, REFUTES] log-likelihoods (2 numbers)`, { item, field });
      }
      pair.forEach((ll, j) => {
        if (typeof ll !== "number" || !Number.isFinite(ll) || ll > 0) {
          throw new BenchmarkInputError(`item ${item}: ${field}[${j}] is ${String(ll)}; a log-likelihood is a finite number ≤ 0`, {
            item,
            field,
          });
        }
      });
      return pair[0]! >= pair[1]! ? "SUPPORTS" : "REFUTES";
    });
    return scoreVerdicts(group, verdicts);
  },

  goldAnswer(item): GoldAnswer {
    const requests = claimVerdictLl.buildItemRequests(item);
    const group = groupOrThrow(item);
    const answer = (right: boolean) =>
      requests.map((request) => {
        const [, , key, option] = request.id.split("/");
        const label = group[RECORD_KEYS.indexOf(key as (typeof RECORD_KEYS)[number])]!.label;
        const chosen = right ? label : flip(label);
        return { id: request.id, loglikelihood: VERDICTS[Number(option)] === chosen ? -0.25 : -3.5 };
      });
    return { kind: "responses", correct: answer(true), wrong: answer(false) };
  },
};

/** The four raw generations of a generative item, as its output string holds them (a JSON array of 4 strings). */
export function parseGenerations(item: string, output: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 4 || value.some((text) => typeof text !== "string")) {
    throw new BenchmarkInputError(`item ${item}: claim_verdict_gen expects "output" to be a JSON array of the 4 records' generations`, {
      item,
      field: "output",
    });
  }
  const tooLong = value.findIndex((text: string) => text.length > MAX_GENERATION_CHARS);
  if (tooLong !== -1) {
    throw new BenchmarkInputError(`item ${item}: generation ${tooLong} is longer than ${MAX_GENERATION_CHARS} characters`, {
      item,
      field: "output",
    });
  }
  return value as string[];
}

export const claimVerdictGen: BenchmarkDefinition = {
  ...shared,
  key: "claim_verdict_gen@1",
  id: "claim_verdict_gen",
  version: "1",
  name: "Claim verdicts (verdict + justification)",
  description:
    "FEVER-Symmetric claims in groups of four counterfactual pairs: the model writes a verdict and a justification that cites the evidence; the justification is shown on the model page.",
  reference: "FEVER-Symmetric v0.2 test (Schuster et al. 2019); verdict + justification + citations of the Caster seed; no harness task",
  scoringSummary:
    "Each item is a group of four FEVER-Symmetric records (a claim with its evidence and three counterfactual " +
    "rewrites). For each record the model is asked to answer SUPPORTS or REFUTES on the first line, then one " +
    "paragraph of justification quoting the evidence; it generates greedily (at most 256 tokens). The verdict is the " +
    "first word of the first non-empty line (case, markdown and punctuation ignored; anything else is [invalid], " +
    "which is wrong). accuracy is the share of records right, group_consistency 1 when all four are. The " +
    "justification and whether it quotes the evidence (5 consecutive words) are shown, never scored or compared.",
  requestKind: "generate_until",
  promptOf: (item) => groupOrThrow(item).map((record) => claimPrompt(record, "gen")).join("\n\n"),

  buildItemRequests(item): EngineRequest[] {
    return groupOrThrow(item).map((record, r) => ({
      kind: "generate_until" as const,
      id: `${item}/${RECORD_KEYS[r]}`,
      item,
      prompt: claimPrompt(record, "gen"),
      until: [...CLAIM_GEN_UNTIL],
      maxTokens: CLAIM_GEN_MAX_TOKENS,
    }));
  },

  outputFromResponses(item, _requests, responses: readonly EngineResponse[]): TItemOutput {
    if (responses.length !== 4) throw new BenchmarkInputError(`item ${item}: expected 4 generations`, { item, field: "responses" });
    return { item, output: JSON.stringify(responses.map((response) => (response as GenerateUntilResponse).text)) };
  },

  scoreItem(output: TItemOutput): ItemScore {
    const item = output.item;
    const group = groupOrThrow(item);
    if (!("output" in output)) {
      throw new BenchmarkInputError(`item ${item}: claim_verdict_gen expects "output", not log-likelihoods`, { item, field: "output" });
    }
    const generations = parseGenerations(item, output.output).map((text) => cutAtStopSequences(text, CLAIM_GEN_UNTIL));
    const detail: Record<string, string> = {};
    generations.forEach((text, i) => {
      const justification = justificationOf(text);
      detail[`${RECORD_KEYS[i]}.justification`] = justification;
      detail[`${RECORD_KEYS[i]}.cites_evidence`] = citesEvidence(justification, group[i]!.evidence) ? "yes" : "no";
    });
    return { ...scoreVerdicts(group, generations.map(parseVerdict)), detail };
  },

  goldAnswer(item): GoldAnswer {
    const group = groupOrThrow(item);
    const ids = claimVerdictGen.buildItemRequests(item).map((request) => request.id);
    return {
      kind: "responses",
      correct: group.map((record, i) => ({
        id: ids[i]!,
        text: `${record.label}\nThe evidence says: "${detokeniseBrackets(record.evidence)}"`,
      })),
      wrong: group.map((record, i) => ({ id: ids[i]!, text: `${flip(record.label)}\nThe claim goes beyond what is stated.` })),
    };
  },
};
