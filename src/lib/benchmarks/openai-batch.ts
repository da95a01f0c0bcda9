/**
 * Engine requests as OpenAI Batch API JSONL for `/v1/completions`, and engine responses back from the batch output
 * file. docs/benchmarks.md ("Engines") has the details and the vLLM sources this was checked against.
 *
 * generate_until -> {prompt, max_tokens, temperature: 0, stop: until}: greedy, and the server cuts at the stop
 *   sequences (the scorer cuts again, which changes nothing when the engine already did).
 * loglikelihood  -> the harness's own method for OpenAI-compatible completion servers (lm_eval/models/
 *   openai_completions.py): the prompt is context + continuation, with `echo: true`, `logprobs: 1`, `max_tokens: 1`,
 *   so the response carries the log-probability of every prompt token; the continuation's log-likelihood is the sum
 *   over the continuation's tokens, and it is greedy when each of those tokens is the top-1 token. Which tokens are
 *   the continuation's is decided as the harness decides it (`_encode_pair`): the whole text is tokenised, the
 *   context alone is tokenised, and the continuation is whole[len(context):]. The context's token count comes from
 *   one extra line per distinct context (custom_id `ctx/<16 hex of sha256(context)>`), whose `usage.prompt_tokens`
 *   is read; the model tokenises, so no tokenizer is needed here. As in `_encode_pair`, trailing whitespace of the
 *   context is moved to the start of the continuation first.
 */
import { z } from "zod";
import type { EngineRequest, EngineResponse, LoglikelihoodRequest } from "./engine-contract";
import { BenchmarkInputError } from "./errors";
import { sha256Hex } from "./sha256";

export const COMPLETIONS_URL = "/v1/completions";
export const CONTEXT_ID_PREFIX = "ctx/";
/** The seed lm-evaluation-harness sends with API requests; irrelevant to greedy decoding, kept for parity. */
const SEED = 1234;

/** `_encode_pair`: trailing whitespace of the context belongs to the continuation. */
export function encodePair(request: Pick<LoglikelihoodRequest, "context" | "continuation">): {
  context: string;
  continuation: string;
} {
  const context = request.context.replace(/\s+$/u, "");
  return { context, continuation: request.context.slice(context.length) + request.continuation };
}

export function contextLineId(context: string): string {
  return `${CONTEXT_ID_PREFIX}${sha256Hex(context).slice(0, 16)}`;
}

function checkRequestIds(requests: readonly EngineRequest[]): void {
  const seen = new Set<string>();
  for (const request of requests) {
    if (request.id.startsWith(CONTEXT_ID_PREFIX)) {
      throw new BenchmarkInputError(`request id ${request.id} uses the reserved prefix "${CONTEXT_ID_PREFIX}"`, {
        item: request.item,
        field: request.id,
      });
    }
    if (seen.has(request.id)) {
      throw new BenchmarkInputError(`request id ${request.id} is used twice`, { item: request.item, field: request.id });
    }
    seen.add(request.id);
  }
}

function line(customId: string, body: Record<string, unknown>): string {
  return JSON.stringify({ custom_id: customId, method: "POST", url: COMPLETIONS_URL, body });
}

/** One JSONL line per request, plus one per distinct log-likelihood context; ends with a newline. */
export function toOpenAIBatchJsonl(requests: readonly EngineRequest[], modelName: string): string {
  checkRequestIds(requests);
  const lines: string[] = [];
  const contexts = new Map<string, string>();
  for (const request of requests) {
    if (request.kind === "generate_until") {
      lines.push(
        line(request.id, {
          model: modelName,
          prompt: request.prompt,
          max_tokens: request.maxTokens,
          temperature: 0,
          stop: request.until,
          seed: SEED,
        }),
      );
      continue;
    }
    const { context, continuation } = encodePair(request);
    if (context.length === 0) {
      throw new BenchmarkInputError(`request ${request.id}: a log-likelihood needs a non-empty context`, {
        item: request.item,
        field: request.id,
      });
    }
    lines.push(
      line(request.id, {
        model: modelName,
        prompt: context + continuation,
        max_tokens: 1,
        temperature: 0,
        logprobs: 1,
        echo: true,
        seed: SEED,
      }),
    );
    contexts.set(contextLineId(context), context);
  }
  for (const [id, context] of contexts) {
    lines.push(line(id, { model: modelName, prompt: context, max_tokens: 1, temperature: 0, seed: SEED }));
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

const ZBatchOutputLineSchema = z.object({
  custom_id: z.string(),
  response: z.object({ status_code: z.number(), body: z.unknown().optional() }).nullable().optional(),
  error: z.unknown().optional(),
});

const ZCompletionBodySchema = z.object({
  choices: z
    .array(
      z.object({
        text: z.string(),
        logprobs: z
          .object({
            token_logprobs: z.array(z.number().nullable()),
            top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullable().optional(),
          })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).optional(),
});
type TCompletionBody = z.infer<typeof ZCompletionBodySchema>;

function errorText(error: unknown): string {
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) {
    const message = (error as { message?: unknown; error?: { message?: unknown } }).message ??
      (error as { error?: { message?: unknown } }).error?.message;
    if (typeof message === "string") return message;
  }
  return JSON.stringify(error) ?? "unknown error";
}

/**
 * Engine responses, in request order, from an OpenAI Batch output file for `toOpenAIBatchJsonl(requests, …)`.
 * Throws BenchmarkInputError naming the custom_id (and item) for a missing, extra, duplicate, failed or malformed line.
 */
export function parseOpenAIBatchOutput(jsonl: string, requests: readonly EngineRequest[]): EngineResponse[] {
  checkRequestIds(requests);
  const byId = new Map(requests.map((request) => [request.id, request]));
  const contextIds = new Set<string>();
  for (const request of requests) if (request.kind === "loglikelihood") contextIds.add(contextLineId(encodePair(request).context));

  const bodies = new Map<string, unknown>();
  jsonl.split("\n").forEach((text, index) => {
    if (text.trim() === "") return;
    const where = `batch output line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new BenchmarkInputError(`${where} is not valid JSON`, { index });
    }
    const parsed = ZBatchOutputLineSchema.safeParse(value);
    if (!parsed.success) throw new BenchmarkInputError(`${where} is not an OpenAI Batch output line`, { index });
    const { custom_id: customId, response, error } = parsed.data;
    const item = byId.get(customId)?.item;
    if (!byId.has(customId) && !contextIds.has(customId)) {
      throw new BenchmarkInputError(`${where}: custom_id ${customId} matches no request`, { index, field: customId });
    }
    if (bodies.has(customId)) {
      throw new BenchmarkInputError(`${where}: custom_id ${customId} appears twice`, { item, index, field: customId });
    }
    if ((error !== undefined && error !== null) || !response || response.status_code !== 200) {
      const reason = error !== undefined && error !== null ? errorText(error) : `status ${response?.status_code ?? "missing"}`;
      throw new BenchmarkInputError(`custom_id ${customId}${item ? ` (item ${item})` : ""} failed: ${reason}`, {
        item,
        index,
        field: customId,
      });
    }
    bodies.set(customId, response.body);
  });

  const bodyOf = (customId: string, item: string | undefined): TCompletionBody => {
    if (!bodies.has(customId)) {
      throw new BenchmarkInputError(`custom_id ${customId}${item ? ` (item ${item})` : ""}: no line in the batch output`, {
        item,
        field: customId,
      });
    }
    const parsed = ZCompletionBodySchema.safeParse(bodies.get(customId));
    if (!parsed.success) {
      throw new BenchmarkInputError(`custom_id ${customId}${item ? ` (item ${item})` : ""}: not a completion response`, {
        item,
        field: customId,
      });
    }
    return parsed.data;
  };

  return requests.map((request): EngineResponse => {
    const body = bodyOf(request.id, request.item);
    const choice = body.choices[0]!;
    if (request.kind === "generate_until") {
      // The model's own count of the prompt's tokens (vLLM pads a left-cut prompt's usage back to its full length).
      const promptTokens = body.usage?.prompt_tokens;
      return promptTokens === undefined ? { id: request.id, text: choice.text } : { id: request.id, text: choice.text, tokens: promptTokens };
    }
    const fail = (message: string): never => {
      throw new BenchmarkInputError(`custom_id ${request.id} (item ${request.item}): ${message}`, {
        item: request.item,
        field: request.id,
      });
    };
    const contextId = contextLineId(encodePair(request).context);
    const contextTokens = bodyOf(contextId, undefined).usage?.prompt_tokens;
    const wholeTokens = body.usage?.prompt_tokens;
    const logprobs = choice.logprobs?.token_logprobs;
    if (contextTokens === undefined) return fail(`the context line ${contextId} has no usage.prompt_tokens`);
    if (wholeTokens === undefined) return fail("no usage.prompt_tokens");
    if (!logprobs) return fail("no logprobs.token_logprobs (the request needs echo and logprobs)");
    if (logprobs.length < wholeTokens) return fail(`${logprobs.length} token log-probabilities for ${wholeTokens} prompt tokens`);
    if (contextTokens < 1 || contextTokens >= wholeTokens) {
      return fail(`the context has ${contextTokens} tokens and context + continuation ${wholeTokens}`);
    }
    const tops = choice.logprobs?.top_logprobs;
    let loglikelihood = 0;
    let isGreedy = Array.isArray(tops);
    for (let t = contextTokens; t < wholeTokens; t++) {
      const lp = logprobs[t];
      if (lp === null || lp === undefined) return fail(`no log-probability for prompt token ${t}`);
      loglikelihood += lp;
      const top = tops?.[t];
      if (!top || lp !== Math.max(...Object.values(top))) isGreedy = false;
    }
    if (!(loglikelihood <= 0)) return fail(`log-likelihood ${loglikelihood} is not <= 0`);
    // The scored tokens: the continuation's, context + continuation minus the context, in the model's own tokens.
    const tokens = wholeTokens - contextTokens;
    return tops ? { id: request.id, loglikelihood, isGreedy, tokens } : { id: request.id, loglikelihood, tokens };
  });
}
