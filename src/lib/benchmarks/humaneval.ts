/**
 * `humaneval@1`: HumanEval (Chen et al. 2021) as lm-evaluation-harness's `humaneval` task scores it greedily
 * (pass@1 with one greedy sample): the prompt is the problem's `prompt`; generation stops at "\nclass", "\ndef",
 * "\n#", "\nif" or "\nprint" (at most 1024 new tokens); the program is
 * `prompt + completion + "\n" + test + "\n" + "check(" + entry_point + ")"`, and pass@1 is 1 when it runs without an
 * error within 3 s. Programs run in the shared code executor (code-executor/executor.ts), on the runner and again
 * on the server. Item ids `test/<i>`: the zero-based line of HumanEval.jsonl (`HumanEval/<i>`).
 */
import { z } from "zod";
import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition, DatasetFile, GoldAnswer, ItemScore } from "./benchmark-definition";
import type { CodeProgram, ExecutionVerdict } from "./code-executor/executor";
import { parseJsonLines, readPinnedFile } from "./datasets";
import type { EngineRequest, EngineResponse, GenerateUntilResponse } from "./engine-contract";
import { BenchmarkInputError, DatasetIntegrityError } from "./errors";
import { cutAtStopSequences } from "./harness-gsm8k-scoring";
import { itemId, itemIndex } from "./item-ids";

export const HUMANEVAL: DatasetFile = {
  file: "humaneval/HumanEval.jsonl",
  sha256: "1d49078ba3e2b196b9344535bef34a43021f038fad9561d6ee7c53450609a6a2",
  licence: "MIT",
  role: "scored",
};

export const HUMANEVAL_UNTIL = ["\nclass", "\ndef", "\n#", "\nif", "\nprint"] as const;
export const HUMANEVAL_MAX_TOKENS = 1024;
export const HUMANEVAL_MAX_OUTPUT_CHARS = 50_000;
export const PASS_AT_1 = "pass@1";
const PREFIX = "test/";

const ZProblemSchema = z
  .object({ task_id: z.string(), prompt: z.string(), entry_point: z.string(), canonical_solution: z.string(), test: z.string() })
  .strict();
export type THumanEvalProblem = z.infer<typeof ZProblemSchema>;

let loaded: THumanEvalProblem[] | undefined;

export function humanEvalProblems(): THumanEvalProblem[] {
  if (loaded) return loaded;
  loaded = parseJsonLines(readPinnedFile(HUMANEVAL), HUMANEVAL.file).map((value, index) => {
    const parsed = ZProblemSchema.safeParse(value);
    if (!parsed.success || parsed.data.task_id !== `HumanEval/${index}`) {
      throw new DatasetIntegrityError(HUMANEVAL.file, `dataset file ${HUMANEVAL.file} line ${index + 1}: unexpected record`);
    }
    return parsed.data;
  });
  return loaded;
}

function problemOrThrow(item: string): THumanEvalProblem {
  const problems = humanEvalProblems();
  const index = itemIndex(PREFIX, item, problems.length);
  if (index === null) {
    throw new BenchmarkInputError(`item ${JSON.stringify(item)} is not a humaneval item (expected test/0 … test/${problems.length - 1})`, {
      item,
      field: "item",
    });
  }
  return problems[index]!;
}

/** The completion as the harness keeps it: the generation cut at the first stop sequence. */
export function humanEvalCompletion(raw: string): string {
  return cutAtStopSequences(raw, HUMANEVAL_UNTIL);
}

/** The program the reference builds, split so the executor can check `check` before calling it. */
export function humanEvalProgram(item: string, rawOutput: string): CodeProgram {
  const problem = problemOrThrow(item);
  return { source: problem.prompt + humanEvalCompletion(rawOutput), test: problem.test, entryPoint: problem.entry_point };
}

function checkedOutput(output: TItemOutput): string {
  const item = output.item;
  problemOrThrow(item);
  if (!("output" in output) || typeof output.output !== "string") {
    throw new BenchmarkInputError(`item ${item}: humaneval expects "output" (the generated code), not log-likelihoods`, {
      item,
      field: "output",
    });
  }
  if (output.output.length > HUMANEVAL_MAX_OUTPUT_CHARS) {
    throw new BenchmarkInputError(
      `item ${item}: output is ${output.output.length} characters, more than the ${HUMANEVAL_MAX_OUTPUT_CHARS} accepted`,
      { item, field: "output" },
    );
  }
  return output.output;
}

export const humaneval: BenchmarkDefinition = {
  key: "humaneval@1",
  id: "humaneval",
  version: "1",
  name: "HumanEval (pass@1)",
  description: "164 hand-written Python programming problems, scored by running their unit tests (Chen et al. 2021).",
  reference: "EleutherAI lm-evaluation-harness task humaneval (greedy, pass@1); OpenAI human-eval execution.py",
  datasets: [HUMANEVAL],
  scoredDatasetSha256: HUMANEVAL.sha256,
  metrics: [{ name: PASS_AT_1, higherIsBetter: true, kind: "binary" }],
  primaryMetric: PASS_AT_1,
  itemsPerTask: 5,
  quorum: 3,
  minAgreement: 0.8,
  maxResults: 7,
  scoringSummary:
    "Scored as lm-evaluation-harness's humaneval task with one greedy sample: the model continues the problem's " +
    'prompt until it writes "\\nclass", "\\ndef", "\\n#", "\\nif" or "\\nprint"; the program prompt + completion + ' +
    'test + "check(entry_point)" must run without an error within 3 s for pass@1 = 1. Programs run in a sandbox ' +
    "(CPython compiled to WebAssembly in a locked-down process, no network, files or processes), on the runner and " +
    "again on the server; a program that imports os, sys, subprocess and similar modules fails, where the reference " +
    "would run it. Each task scores 5 sampled problems, so read the score with its n and 95% interval.",
  requestKind: "generate_until",
  activeByDefault: false,

  itemCount: () => humanEvalProblems().length,
  allItemIds: () => humanEvalProblems().map((_, index) => itemId(PREFIX, index)),
  hasItem: (item) => itemIndex(PREFIX, item, humanEvalProblems().length) !== null,
  promptOf: (item) => problemOrThrow(item).prompt,

  buildItemRequests(item): EngineRequest[] {
    return [
      { kind: "generate_until", id: item, item, prompt: problemOrThrow(item).prompt, until: [...HUMANEVAL_UNTIL], maxTokens: HUMANEVAL_MAX_TOKENS },
    ];
  },

  outputFromResponses(item, _requests, responses: readonly EngineResponse[]): TItemOutput {
    const response = responses[0] as GenerateUntilResponse | undefined;
    if (!response || responses.length !== 1) {
      throw new BenchmarkInputError(`item ${item}: expected exactly one generation`, { item, field: "responses" });
    }
    return { item, output: response.text };
  },

  execution: {
    programOf: (output) => humanEvalProgram(output.item, checkedOutput(output)),
  },

  scoreItem(output: TItemOutput, verdict?: ExecutionVerdict): ItemScore {
    checkedOutput(output);
    if (!verdict) throw new Error("humaneval items are scored after execution: use scoreOutputsAsync");
    return {
      extracted: { [PASS_AT_1]: verdict.passed ? "pass" : "fail" },
      scores: { [PASS_AT_1]: verdict.passed ? 1 : 0 },
      detail: { reason: verdict.reason },
    };
  },

  goldAnswer(item): GoldAnswer {
    const problem = problemOrThrow(item);
    return {
      kind: "generate_until",
      answer: problem.canonical_solution,
      completion: { correct: problem.canonical_solution, wrong: "    return None\n" },
    };
  },
};
