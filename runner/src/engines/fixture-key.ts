/**
 * The fixture engine's "knowledge": for every line of the batch input, the completion body a right answer and a
 * wrong answer would have, in vLLM's /v1/completions response format. Built by the runner's fixture adapter from
 * the benchmark module's gold answers (goldAnswer), then written into the task dir for the fixture program.
 * This is a test double for a model, so reading the answer key is the point, not a leak. The fixture program never
 * computes anything itself: which body it returns depends only on the fixture model's name (rules.mjs).
 */
import type { BenchmarkDefinition } from "@/lib/benchmarks/benchmark-definition";
import type { EngineRequest, EngineResponse, LoglikelihoodResponse } from "@/lib/benchmarks/engine-contract";
import { outputsFromResponses } from "@/lib/benchmarks/engine-responses";
import { goldAnswer } from "@/lib/benchmarks/gold-answer";
import { CHARS_PER_TOKEN } from "@/lib/benchmarks/long-context";
import { CONTEXT_ID_PREFIX } from "@/lib/benchmarks/openai-batch";

export interface FixtureKey {
  version: 1;
  answers: Record<string, { correct: unknown; wrong: unknown }>;
}

/** Log-likelihoods the fixture gives to the choices it believes true and false. */
const LIKELY = -0.05;
const UNLIKELY = -30;
/** Token counts in the fake usage: the context is 2 tokens, context + continuation 3 (one continuation token). */
const CONTEXT_TOKENS = 2;
const WHOLE_TOKENS = 3;

/**
 * The fixture's "tokenizer" for a generation's usage.prompt_tokens: one token per CHARS_PER_TOKEN characters, the
 * estimate the long-context tiers are built with, so that reported counts land near a tier's size.
 */
export function fixturePromptTokens(prompt: string): number {
  return Math.max(1, Math.ceil(prompt.length / CHARS_PER_TOKEN));
}

function completionBody(model: string, text: string, logprobs: unknown, promptTokens: number) {
  return {
    id: "cmpl-fixture",
    object: "text_completion",
    created: 0,
    model,
    choices: [{ index: 0, text, logprobs, finish_reason: "length", stop_reason: null, prompt_logprobs: null }],
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens + 1, completion_tokens: 1, prompt_tokens_details: null },
  };
}

/** An echo+logprobs body whose continuation (prompt tokens 2..3) has log-likelihood `ll`, the way vLLM reports it. */
function loglikelihoodBody(model: string, ll: number) {
  return completionBody(
    model,
    " x",
    {
      text_offset: [0, 1, 2, 3],
      token_logprobs: [null, -0.5, ll, -1.25],
      tokens: ["a", "b", "c", " x"],
      top_logprobs: [null, { b: -0.5 }, { c: ll }, { " x": -1.25 }],
    },
    WHOLE_TOKENS,
  );
}

function wrongNumber(answer: string): string {
  return `${answer}9`;
}

/**
 * Which mc target and choice each log-likelihood request feeds, found through the benchmark's own
 * outputsFromResponses: request k gets log-likelihood -(k+1), and the outputs say where each value landed.
 */
function choicePositions(def: BenchmarkDefinition, itemIds: string[], requests: EngineRequest[]): Map<string, { target: string; choice: number }> {
  const probe = requests.map((request, k) =>
    request.kind === "loglikelihood" ? ({ id: request.id, loglikelihood: -(k + 1) } satisfies LoglikelihoodResponse) : { id: request.id, text: "" },
  );
  const outputs = outputsFromResponses(def, itemIds, requests, probe);
  const positions = new Map<string, { target: string; choice: number }>();
  for (const output of outputs) {
    if (!("loglikelihoods" in output)) continue;
    for (const [target, values] of Object.entries(output.loglikelihoods)) {
      values.forEach((value, choice) => {
        const request = requests[-value - 1];
        if (request) positions.set(request.id, { target, choice });
      });
    }
  }
  return positions;
}

export function buildFixtureKey(def: BenchmarkDefinition, itemIds: string[], requests: EngineRequest[], batchJsonl: string, modelName: string): FixtureKey {
  const answers: FixtureKey["answers"] = {};
  const needsPositions = requests.some((r) => r.kind === "loglikelihood" && goldAnswer(def, r.item).kind === "loglikelihood");
  const positions = needsPositions ? choicePositions(def, itemIds, requests) : new Map<string, { target: string; choice: number }>();
  for (const request of requests) {
    const gold = goldAnswer(def, request.item);
    if (gold.kind === "responses") {
      // The benchmark says which response a right and a wrong model give to each of its requests.
      const body = (responses: readonly EngineResponse[]) => {
        const response = responses.find((candidate) => candidate.id === request.id);
        if (!response) throw new Error(`${def.key}: no gold response for request ${request.id}`);
        return "text" in response
          ? completionBody(modelName, response.text, null, request.kind === "generate_until" ? fixturePromptTokens(request.prompt) : 1)
          : loglikelihoodBody(modelName, response.loglikelihood);
      };
      answers[request.id] = { correct: body(gold.correct), wrong: body(gold.wrong) };
      continue;
    }
    if (request.kind === "generate_until") {
      if (gold.kind !== "generate_until") throw new Error(`${def.key}: a generation request with a ${gold.kind} gold answer`);
      if (gold.completion) {
        answers[request.id] = {
          correct: completionBody(modelName, gold.completion.correct, null, fixturePromptTokens(request.prompt)),
          wrong: completionBody(modelName, gold.completion.wrong, null, fixturePromptTokens(request.prompt)),
        };
        continue;
      }
      answers[request.id] = {
        correct: completionBody(modelName, ` Let me think step by step. The answer is ${gold.answer}.\n#### ${gold.answer}`, null, fixturePromptTokens(request.prompt)),
        wrong: completionBody(modelName, ` I am not sure.\n#### ${wrongNumber(gold.answer)}`, null, fixturePromptTokens(request.prompt)),
      };
      continue;
    }
    if (gold.kind !== "loglikelihood") throw new Error(`${def.key}: a log-likelihood request with a ${gold.kind} gold answer`);
    const position = positions.get(request.id);
    if (!position) throw new Error(`${def.key}: cannot tell which choice request ${request.id} scores`);
    const isTrue = position.target === "mc1" ? position.choice === gold.mc1Correct : gold.mc2Labels[position.choice] === 1;
    answers[request.id] = {
      correct: loglikelihoodBody(modelName, isTrue ? LIKELY : UNLIKELY),
      wrong: loglikelihoodBody(modelName, isTrue ? UNLIKELY : LIKELY),
    };
  }
  // The extra lines that only count the context's tokens.
  for (const line of batchJsonl.split("\n")) {
    if (!line.trim()) continue;
    const customId = (JSON.parse(line) as { custom_id: string }).custom_id;
    if (customId.startsWith(CONTEXT_ID_PREFIX)) {
      const body = completionBody(modelName, " x", null, CONTEXT_TOKENS);
      answers[customId] = { correct: body, wrong: body };
    }
  }
  return { version: 1, answers };
}
