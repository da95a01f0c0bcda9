/**
 * TruthfulQA multiple-choice data as lm-evaluation-harness's truthfulqa_mc1 / truthfulqa_mc2 read it: upstream's
 * v0 `mc_task.json` (the record and choice order of Hugging Face `truthful_qa`; datasets/truthfulqa/SOURCE.md says
 * why) and the fixed six-pair primer. Choice order is the file's key order, which JSON.parse keeps (no key looks
 * like an integer). Context for every choice: primer + "\n\nQ: " + question + "\nA:"; continuation " " + choice.
 */
import { z } from "zod";
import type { DatasetFile } from "./benchmark-definition";
import { readPinnedFile } from "./datasets";
import { DatasetIntegrityError } from "./errors";

export const TRUTHFULQA_MC: DatasetFile = {
  file: "truthfulqa/mc_task_v0.json",
  sha256: "6eb4125d25750c0145c4be2dce00440736684ab6f74ce6bff2139571cc758954",
  licence: "Apache-2.0",
  role: "scored",
};
export const TRUTHFULQA_PRIMER: DatasetFile = {
  file: "truthfulqa/qa_primer.txt",
  sha256: "5c0da5f346e8652c9a85061a6e3aca6bc82e10a8a7dad4596fe980a9c9bae543",
  licence: "Apache-2.0",
  role: "prompt",
};

const ZTargetsSchema = z.record(z.string(), z.union([z.literal(0), z.literal(1)]));
const ZMcRecordSchema = z
  .object({ question: z.string(), mc1_targets: ZTargetsSchema, mc2_targets: ZTargetsSchema })
  .strict();

export interface TruthfulQaRecord {
  question: string;
  mc1Choices: string[];
  mc1Labels: number[];
  mc2Choices: string[];
  mc2Labels: number[];
  /** primer + "\n\nQ: " + question + "\nA:" */
  context: string;
}

let loaded: TruthfulQaRecord[] | undefined;

export function truthfulQaRecords(): TruthfulQaRecord[] {
  if (loaded) return loaded;
  const primer = readPinnedFile(TRUTHFULQA_PRIMER);
  const file = TRUTHFULQA_MC.file;
  const parsed = z.array(ZMcRecordSchema).safeParse(JSON.parse(readPinnedFile(TRUTHFULQA_MC)));
  if (!parsed.success) throw new DatasetIntegrityError(file, `dataset file ${file}: unexpected structure`);
  loaded = parsed.data.map((record, index) => {
    const mc1Labels = Object.values(record.mc1_targets);
    const mc2Labels = Object.values(record.mc2_targets);
    // The harness hard-codes the mc1 target as choice 0; the data must agree, or mc1 would be scored wrongly.
    if (mc1Labels[0] !== 1 || mc1Labels.slice(1).some((label) => label !== 0) || !mc2Labels.includes(1)) {
      throw new DatasetIntegrityError(file, `dataset file ${file} record ${index}: unexpected labels`);
    }
    return {
      question: record.question,
      mc1Choices: Object.keys(record.mc1_targets),
      mc1Labels,
      mc2Choices: Object.keys(record.mc2_targets),
      mc2Labels,
      context: `${primer}\n\nQ: ${record.question}\nA:`,
    };
  });
  return loaded;
}
