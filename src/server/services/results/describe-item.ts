/**
 * What a person needs to read one scored item: the question, the reference answer and, for multiple choice, the
 * choices with their labels. Read from the same pinned datasets the benchmark module scores with.
 */
import type { BenchmarkDefinition } from "@/lib/benchmarks/benchmark-definition";
import { claimGroups, detokeniseBrackets } from "@/lib/benchmarks/claim-verdicts";
import { gsm8kData, gsm8kReferenceAnswer } from "@/lib/benchmarks/gsm8k-data";
import { humanEvalProblems } from "@/lib/benchmarks/humaneval";
import { itemIndex } from "@/lib/benchmarks/item-ids";
import { truthfulQaRecords } from "@/lib/benchmarks/truthfulqa-data";

export interface ItemChoice {
  text: string;
  isTrue: boolean;
}

export interface ItemDescription {
  question: string | null;
  reference: string | null;
  /** Per target (`mc1`, `mc2`): the choices in the data file's order, which is the order of the log-likelihoods. */
  choices: Record<string, ItemChoice[]> | null;
}

const NONE: ItemDescription = { question: null, reference: null, choices: null };

export function describeItem(definition: BenchmarkDefinition, item: string): ItemDescription {
  if (definition.id === "gsm8k") {
    const { test } = gsm8kData();
    const index = itemIndex("test/", item, test.length);
    const doc = index === null ? undefined : test[index];
    return doc ? { question: doc.question, reference: gsm8kReferenceAnswer(doc), choices: null } : NONE;
  }
  if (definition.id === "truthfulqa_mc") {
    const records = truthfulQaRecords();
    const index = itemIndex("mc/", item, records.length);
    const record = index === null ? undefined : records[index];
    if (!record) return NONE;
    const zip = (texts: string[], labels: number[]) => texts.map((text, i) => ({ text, isTrue: labels[i] === 1 }));
    return {
      question: record.question,
      reference: record.mc1Choices[0] ?? null,
      choices: { mc1: zip(record.mc1Choices, record.mc1Labels), mc2: zip(record.mc2Choices, record.mc2Labels) },
    };
  }
  if (definition.id === "humaneval") {
    const problems = humanEvalProblems();
    const index = itemIndex("test/", item, problems.length);
    const problem = index === null ? undefined : problems[index];
    return problem ? { question: problem.prompt, reference: problem.canonical_solution, choices: null } : NONE;
  }
  if (definition.id === "claim_verdict_ll" || definition.id === "claim_verdict_gen") {
    const groups = claimGroups();
    const index = itemIndex("group/", item, groups.length);
    const group = index === null ? undefined : groups[index];
    if (!group) return NONE;
    return {
      question: group
        .map((record, r) => `r${r}. Claim: ${detokeniseBrackets(record.claim)}\n    Evidence: ${detokeniseBrackets(record.evidence)}`)
        .join("\n"),
      reference: group.map((record, r) => `r${r} ${record.label}`).join(", "),
      choices: null,
    };
  }
  return NONE;
}
