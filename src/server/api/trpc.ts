/**
 * tRPC setup: the request context, the error mapping and the three kinds of procedure —
 * public, signed-in (a next-auth session) and runner-token (a bearer API token with a scope).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { TQuorumErrorCode, TTokenScope } from "@/lib/protocol/runner-api";
import { resolveToken, type TokenIdentity } from "@/server/auth/tokens";
import type { SessionUser } from "@/server/auth/users";
import type { RateLimits } from "@/server/security/rate-limits";
import type { Db } from "@/server/db";
import { AppError, prismaErrorCode } from "@/server/errors";

export interface Clock {
  now: () => Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface TRPCContext {
  db: Db;
  /** The signed-in web user, if any. */
  user: SessionUser | null;
  /** The API token that authenticated the request, if any (runners, scripts). */
  token: TokenIdentity | null;
  clock: Clock;
  /** The server's randomness (which task a claim gets, spot checks); tests inject a fixed one. */
  random: () => number;
  /** The client's address (HTTP requests only). */
  clientIp: string | null;
  /** Rate limits for mutations (HTTP requests only; in-process callers are not limited). */
  rateLimits: RateLimits | null;
}

export interface CreateContextOptions {
  db: Db;
  headers: Headers;
  getUser: () => Promise<SessionUser | null>;
  clock?: Clock;
  random?: () => number;
  clientIp?: string | null;
  rateLimits?: RateLimits | null;
}

export async function createTRPCContext(options: CreateContextOptions): Promise<TRPCContext> {
  const clock = options.clock ?? systemClock;
  const authorization = options.headers.get("authorization");
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;
  const token = bearer ? await resolveToken(options.db, bearer, clock.now()) : null;
  if (bearer && !token) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: "This API token is unknown or revoked. Create a new one on your account page.",
    });
  }
  const user = bearer ? null : await options.getUser();
  return {
    db: options.db,
    user,
    token,
    clock,
    random: options.random ?? Math.random,
    clientIp: options.clientIp ?? null,
    rateLimits: options.rateLimits ?? null,
  };
}

const HTTP_CODE: Record<TQuorumErrorCode, TRPCError["code"]> = {
  UNAUTHENTICATED: "UNAUTHORIZED",
  NOT_ALLOWED: "FORBIDDEN",
  QUOTA: "FORBIDDEN",
  BAD_SIGNATURE: "FORBIDDEN",
  STALE_SIGNATURE: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  CLAIM_NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  ALREADY_SUBMITTED: "CONFLICT",
  LEASE_EXPIRED: "CONFLICT",
  WRONG_ITEMS: "BAD_REQUEST",
  INVALID_OUTPUTS: "BAD_REQUEST",
  VALIDATION: "BAD_REQUEST",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
};

function quorumCodeOf(error: TRPCError): TQuorumErrorCode | null {
  if (error.cause instanceof AppError) return error.cause.code;
  switch (error.code) {
    case "UNAUTHORIZED":
      return "UNAUTHENTICATED";
    case "FORBIDDEN":
      return "NOT_ALLOWED";
    case "NOT_FOUND":
      return "NOT_FOUND";
    case "CONFLICT":
      return "CONFLICT";
    case "BAD_REQUEST":
      return "VALIDATION";
    default:
      return null;
  }
}

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  // Live updates (SSE): keep idle connections open through proxies; clients reconnect after 30 s of silence.
  sse: { ping: { enabled: true, intervalMs: 10_000 }, client: { reconnectAfterInactivityMs: 30_000 } },
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
    const field = error.cause instanceof AppError ? (error.cause.options.field ?? null) : null;
    // A duplicate registration names the entry that already exists, so the form can link to it.
    const details = error.cause instanceof AppError && error.cause.code === "CONFLICT" ? error.cause.options.details : undefined;
    const existingModelId = typeof details?.modelId === "string" ? details.modelId : null;
    // Refused definitions (community benchmarks) name every field at fault.
    const rawFieldErrors = error.cause instanceof AppError ? error.cause.options.details?.fieldErrors : undefined;
    const fieldErrors = Array.isArray(rawFieldErrors) ? (rawFieldErrors as { field: string; message: string }[]) : null;
    const isInternal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      message: isInternal ? "Something went wrong on the server. Please try again; if it persists, report it." : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        quorumCode: quorumCodeOf(error),
        field,
        existingModelId,
        fieldErrors,
        zodError,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

/** Maps domain errors (and Prisma's unique/not-found errors) to tRPC codes; logs unexpected ones. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof AppError) {
    return { ...result, error: new TRPCError({ code: HTTP_CODE[cause.code], message: cause.message, cause }) };
  }
  const prismaCode = prismaErrorCode(cause);
  if (prismaCode === "P2002") {
    return { ...result, error: new TRPCError({ code: "CONFLICT", message: "That already exists.", cause }) };
  }
  if (prismaCode === "P2025") {
    return { ...result, error: new TRPCError({ code: "NOT_FOUND", message: "Not found.", cause }) };
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR") {
    console.error(`[trpc] ${path} failed:`, cause ?? result.error);
  }
  return result;
});

/** Every HTTP mutation counts against its client address and its account (docs/security.md, "Limits"). */
const mutationLimits = t.middleware(async ({ ctx, type, next }) => {
  if (type === "mutation" && ctx.rateLimits) {
    if (ctx.clientIp) await ctx.rateLimits.consume("mutationIp", ctx.clientIp);
    const accountId = ctx.token?.userId ?? ctx.user?.id;
    if (accountId) await ctx.rateLimits.consume("mutationUser", accountId);
  }
  return next();
});

export const publicProcedure = t.procedure.use(errorMapping).use(mutationLimits);

export const signedInProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to do this." });
  }
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const adminProcedure = signedInProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== "ADMIN") throw new TRPCError({ code: "FORBIDDEN", message: "Only admins can do this." });
  return next();
});

/** A procedure for API-token callers (runners, scripts) holding `scope`. */
export function tokenProcedure(scope: TTokenScope) {
  return publicProcedure.use(({ ctx, next }) => {
    if (!ctx.token) {
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: "An API token is required: pass `Authorization: Bearer <token>` (create one on your account page).",
      });
    }
    if (!ctx.token.scopes.includes(scope)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This token lacks the \`${scope}\` scope. Create a token with that scope on your account page.`,
      });
    }
    return next({ ctx: { ...ctx, token: ctx.token } });
  });
}

/** Signed-in web users, or API tokens holding `scope` acting for their owner. */
export function userOrTokenProcedure(scope: TTokenScope) {
  return publicProcedure.use(({ ctx, next }) => {
    if (ctx.token) {
      if (!ctx.token.scopes.includes(scope)) {
        throw new TRPCError({ code: "FORBIDDEN", message: `This token lacks the \`${scope}\` scope.` });
      }
      const actor: SessionUser = { id: ctx.token.userId, name: ctx.token.userName, role: ctx.token.role, image: null };
      return next({ ctx: { ...ctx, user: actor } });
    }
    if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to do this." });
    return next({ ctx: { ...ctx, user: ctx.user } });
  });
}
