/**
 * POST /api/v0/benchmarks: creating a community benchmark over plain HTTP with a bearer API token holding
 * `benchmark:create` (docs/api.md). The body is the definition as JSON (definition.ts). Answers:
 *   201 {apiVersion, benchmark: {id, version, status: "PROBATION", canaryTaskIds, referenceModels}}
 *   400 {error: {code: "VALIDATION", message, fieldErrors: [{field, message}]}}   nothing stored
 *   401 no or unknown token; 403 a token without the scope, or 5 benchmarks of this creator already in probation;
 *   413 body too large; 429 rate limited; 503 fewer than two reference models
 */
import type { Db } from "@/server/db";
import { resolveToken } from "@/server/auth/tokens";
import { AppError, prismaErrorCode } from "@/server/errors";
import { clientIpOf } from "@/server/security/client-ip";
import type { RateLimits } from "@/server/security/rate-limits";
import { readBoundedBody, RequestTooLargeError } from "@/server/security/request-limits";
import { createCommunityBenchmark } from "@/server/services/benchmarks/community/create-community-benchmark";

const STATUS: Partial<Record<AppError["code"], number>> = {
  UNAUTHENTICATED: 401,
  NOT_ALLOWED: 403,
  QUOTA: 403,
  VALIDATION: 400,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

function errorResponse(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({ apiVersion: 0, error: { code, message, ...extra } }, { status, headers: { "cache-control": "no-store" } });
}

export interface CreateBenchmarkHttpOptions {
  db: Db;
  now: Date;
  epochMinutes: number;
  referenceModels: readonly string[];
  maxBodyBytes: number;
  /** Null in tests that do not exercise the limits. */
  rateLimits: RateLimits | null;
}

export async function handleCreateBenchmarkRequest(req: Request, options: CreateBenchmarkHttpOptions): Promise<Response> {
  const bearer = req.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;
  if (!bearer) {
    return errorResponse(401, "UNAUTHENTICATED", "An API token is required: pass `Authorization: Bearer <token>` (a token with the benchmark:create scope).");
  }
  const token = await resolveToken(options.db, bearer, options.now);
  if (!token) return errorResponse(401, "UNAUTHENTICATED", "This API token is unknown or revoked. Create a new one on your account page.");
  if (!token.scopes.includes("benchmark:create")) {
    return errorResponse(403, "NOT_ALLOWED", "This token lacks the `benchmark:create` scope (only admins can create tokens with it); nothing was stored.");
  }
  let text: string;
  try {
    const body = await readBoundedBody(req, options.maxBodyBytes);
    text = body ? new TextDecoder().decode(body) : "";
  } catch (error) {
    if (error instanceof RequestTooLargeError) return errorResponse(413, "VALIDATION", error.message);
    throw error;
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    const fieldErrors = [{ field: "(definition)", message: "the body must be the definition as a JSON object" }];
    return errorResponse(400, "VALIDATION", "The body is not JSON; nothing was stored.", { fieldErrors });
  }
  try {
    await options.rateLimits?.consume("mutationIp", clientIpOf(req.headers));
    await options.rateLimits?.consume("mutationUser", token.userId);
    const created = await createCommunityBenchmark({
      db: options.db,
      actor: { id: token.userId, role: token.role, tokenScopes: token.scopes },
      input,
      now: options.now,
      epochMinutes: options.epochMinutes,
      referenceModels: options.referenceModels,
    });
    return Response.json({ apiVersion: 0, benchmark: created }, { status: 201, headers: { "cache-control": "no-store" } });
  } catch (error) {
    if (error instanceof AppError) {
      const fieldErrors = error.options.details?.fieldErrors;
      return errorResponse(STATUS[error.code] ?? 400, error.code, error.message, fieldErrors ? { fieldErrors } : {});
    }
    if (prismaErrorCode(error) === "P2002") {
      return errorResponse(409, "CONFLICT", "Another request created this version of the benchmark at the same moment; submit again to create the next one.");
    }
    console.error("[api] POST /api/v0/benchmarks failed:", error);
    return errorResponse(500, "INTERNAL", "Something went wrong on the server. Please try again; if it persists, report it.");
  }
}

