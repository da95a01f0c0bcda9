/**
 * From engine responses to per-item raw outputs. Responses are checked against the requests first: every request
 * answered exactly once, nothing extra, the right type for the request kind, log-likelihoods finite and <= 0.
 * Each problem is a BenchmarkInputError naming the item and the request id.
 */
import { MAX_ITEM_TOKENS, type TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition } from "./benchmark-definition";
import { buildRequests } from "./build-requests";
import type { EngineRequest, EngineResponse } from "./engine-contract";
import { BenchmarkInputError } from "./errors";

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  return `${JSON.stringify(value) ?? String(value)} (${value === null ? "null" : typeof value})`;
}

/** Checks one response against its request; returns a clean copy. */
export function checkEngineResponse(request: EngineRequest, response: unknown): EngineResponse {
  const where = `item ${request.item}, request ${request.id}`;
  const fail = (message: string, field: string): never => {
    throw new BenchmarkInputError(`${where}: ${message}`, { item: request.item, field: `${request.id}.${field}` });
  };
  if (typeof response !== "object" || response === null) return fail("the response is not an object", "response");
  const record = response as Record<string, unknown>;
  const tokens = record.tokens;
  if (tokens !== undefined && !(typeof tokens === "number" && Number.isInteger(tokens) && tokens >= 0 && tokens <= MAX_ITEM_TOKENS)) {
    return fail(`"tokens" must be a whole number from 0 to ${MAX_ITEM_TOKENS} when present, got ${describe(tokens)}`, "tokens");
  }
  const counted = tokens === undefined ? {} : { tokens };
  if (request.kind === "generate_until") {
    if (typeof record.text !== "string") return fail(`"text" must be a string, got ${describe(record.text)}`, "text");
    return { id: request.id, text: record.text, ...counted };
  }
  const ll = record.loglikelihood;
  if (typeof ll !== "number" || !Number.isFinite(ll)) {
    return fail(`"loglikelihood" must be a finite number, got ${describe(ll)}`, "loglikelihood");
  }
  if (ll > 0) return fail(`"loglikelihood" is ${ll}; a log-likelihood is at most 0`, "loglikelihood");
  if (record.isGreedy !== undefined && typeof record.isGreedy !== "boolean") {
    return fail(`"isGreedy" must be a boolean when present, got ${describe(record.isGreedy)}`, "isGreedy");
  }
  return record.isGreedy === undefined
    ? { id: request.id, loglikelihood: ll, ...counted }
    : { id: request.id, loglikelihood: ll, isGreedy: record.isGreedy, ...counted };
}

/** Matches responses to requests by id (any order); returns them in request order. */
export function matchResponses(requests: readonly EngineRequest[], responses: readonly unknown[]): EngineResponse[] {
  const byId = new Map(requests.map((request) => [request.id, request]));
  const answered = new Map<string, EngineResponse>();
  responses.forEach((response, index) => {
    const id = typeof response === "object" && response !== null ? (response as { id?: unknown }).id : undefined;
    if (typeof id !== "string") {
      throw new BenchmarkInputError(`response ${index}: "id" must be the request id, got ${describe(id)}`, { index, field: "id" });
    }
    const request = byId.get(id);
    if (!request) throw new BenchmarkInputError(`response ${index}: no request has id ${JSON.stringify(id)}`, { index, field: id });
    if (answered.has(id)) {
      throw new BenchmarkInputError(`item ${request.item}, request ${id}: answered twice`, { item: request.item, index, field: id });
    }
    answered.set(id, checkEngineResponse(request, response));
  });
  return requests.map((request) => {
    const response = answered.get(request.id);
    if (!response) {
      throw new BenchmarkInputError(`item ${request.item}, request ${request.id}: no response`, {
        item: request.item,
        field: request.id,
      });
    }
    return response;
  });
}

function sameRequest(a: EngineRequest, b: EngineRequest): boolean {
  if (a.kind !== b.kind || a.id !== b.id || a.item !== b.item) return false;
  if (a.kind === "generate_until" && b.kind === "generate_until") {
    return a.prompt === b.prompt && a.maxTokens === b.maxTokens && a.until.join("\u0000") === b.until.join("\u0000");
  }
  return a.kind === "loglikelihood" && b.kind === "loglikelihood" && a.context === b.context && a.continuation === b.continuation;
}

/**
 * The per-item raw outputs (`{item, output}` / `{item, loglikelihoods}`) of a task, in `itemIds` order, from the
 * engine's responses to `requests` (which must be `buildRequests(def, itemIds)`).
 */
export function outputsFromResponses(
  def: BenchmarkDefinition,
  itemIds: readonly string[],
  requests: readonly EngineRequest[],
  responses: readonly unknown[],
): TItemOutput[] {
  const expected = buildRequests(def, itemIds);
  if (requests.length !== expected.length || requests.some((request, i) => !sameRequest(request, expected[i]!))) {
    throw new BenchmarkInputError(`the requests are not ${def.key}'s requests for these items: build them with buildRequests`, {
      field: "requests",
    });
  }
  const ordered = matchResponses(requests, responses);
  const outputs: TItemOutput[] = [];
  let start = 0;
  for (const item of itemIds) {
    let end = start;
    while (end < requests.length && requests[end]!.item === item) end++;
    const own = ordered.slice(start, end);
    const output = def.outputFromResponses(item, requests.slice(start, end), own);
    // The item's token count when the engine reported one for each of its requests (never used to score).
    const counts = own.map((response) => response.tokens);
    const tokens = counts.every((n): n is number => n !== undefined) && counts.length > 0 ? counts.reduce((a, b) => a + b, 0) : undefined;
    outputs.push(tokens === undefined ? output : { ...output, tokens: Math.min(tokens, MAX_ITEM_TOKENS) });
    start = end;
  }
  return outputs;
}
