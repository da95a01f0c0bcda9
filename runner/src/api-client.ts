/**
 * The runner's typed client for the server's tRPC API (`<server>/api/trpc`, superjson, bearer token).
 * Untyped against the router on purpose (the runner ships apart from the app): every procedure is called by path
 * and every response is parsed with the shared zod schemas, so a server that drifts fails loudly here.
 */
import { createTRPCUntypedClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import {
  QUORUM_ERROR_CODES,
  ZClaimTaskRequestSchema,
  ZClaimTaskResponseSchema,
  ZClaimTokenRequestSchema,
  ZHeartbeatResponseSchema,
  ZRegisterRunnerRequestSchema,
  ZRegisterRunnerResponseSchema,
  ZReleaseClaimRequestSchema,
  ZSubmitResultRequestSchema,
  ZSubmitResultResponseSchema,
  ZRunnerStandingSchema,
  ZWhoAmIResponseSchema,
  type TQuorumErrorCode,
  type TRunnerStanding,
} from "@/lib/protocol/runner-api";

export type TWhoAmIResponse = z.infer<typeof ZWhoAmIResponseSchema>;
export type TRegisterRunnerRequest = z.infer<typeof ZRegisterRunnerRequestSchema>;
export type TRegisterRunnerResponse = z.infer<typeof ZRegisterRunnerResponseSchema>;
export type TClaimTaskRequest = z.infer<typeof ZClaimTaskRequestSchema>;
export type TClaimTaskResponse = z.infer<typeof ZClaimTaskResponseSchema>;
export type THeartbeatResponse = z.infer<typeof ZHeartbeatResponseSchema>;
export type TReleaseClaimRequest = z.infer<typeof ZReleaseClaimRequestSchema>;
export type TSubmitResultRequest = z.infer<typeof ZSubmitResultRequestSchema>;
export type TSubmitResultResponse = z.infer<typeof ZSubmitResultResponseSchema>;

/** `stored`: the server took the result now; `already-submitted`: an earlier attempt had already stored it. */
export type TSubmitOutcome =
  | { status: "stored"; response: TSubmitResultResponse }
  | { status: "already-submitted"; message: string };

export class RunnerApiError extends Error {
  readonly quorumCode: TQuorumErrorCode | null;
  readonly httpStatus: number | null;
  readonly trpcCode: string | null;
  /** A transport failure or a server error: the same call may succeed later. */
  readonly isRetryable: boolean;
  readonly procedure: string;
  constructor(
    message: string,
    options: {
      procedure: string;
      quorumCode?: TQuorumErrorCode | null;
      httpStatus?: number | null;
      trpcCode?: string | null;
      isRetryable: boolean;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = "RunnerApiError";
    this.procedure = options.procedure;
    this.quorumCode = options.quorumCode ?? null;
    this.httpStatus = options.httpStatus ?? null;
    this.trpcCode = options.trpcCode ?? null;
    this.isRetryable = options.isRetryable;
  }

  /** What the user should do next, for the common cases. */
  get hint(): string {
    if (this.quorumCode === "UNAUTHENTICATED" || this.httpStatus === 401)
      return "Check the token (it may be revoked or mistyped) and run `pnpm runner login --server URL --token T` again.";
    if (this.quorumCode === "NOT_ALLOWED" || this.httpStatus === 403)
      return "Create a token with the task:pull and task:submit scopes on the server's settings page, then log in again.";
    if (this.isRetryable && this.httpStatus === null)
      return "Is the server running and reachable from this machine? `pnpm runner doctor` checks it.";
    if (this.isRetryable) return "The server had a problem; the runner retries on its own. If it persists, tell the server's operators.";
    return "See the message above.";
  }
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 15_000 };

export interface RunnerApiOptions {
  server: string;
  token: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  /** Per request, in milliseconds. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { procedure: string; attempt: number; delayMs: number; error: RunnerApiError }) => void;
}

export interface RunnerApi {
  readonly server: string;
  whoami(): Promise<TWhoAmIResponse>;
  register(input: TRegisterRunnerRequest): Promise<TRegisterRunnerResponse>;
  /** Not retried: a lost response to a claim would leave a task claimed twice; the loop simply polls again. */
  claim(input: TClaimTaskRequest): Promise<TClaimTaskResponse>;
  heartbeat(input: { claimToken: string }): Promise<THeartbeatResponse>;
  release(input: TReleaseClaimRequest): Promise<void>;
  standing(runnerId: string): Promise<TRunnerStanding>;
  /** Retried with backoff; a resubmission the server already stored (`ALREADY_SUBMITTED`) counts as success. */
  submit(input: TSubmitResultRequest, options?: { onAttempt?: (attempt: number) => void }): Promise<TSubmitOutcome>;
}

export function trpcUrl(server: string): string {
  return `${server.replace(/\/+$/, "")}/api/trpc`;
}

const ZOkSchema = z.object({ ok: z.literal(true) });

export function createRunnerApi(options: RunnerApiOptions): RunnerApi {
  const retry = options.retry ?? DEFAULT_RETRY;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const baseFetch = options.fetch ?? fetch;
  const timedFetch: typeof fetch = (input, init) =>
    baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) });

  const client = createTRPCUntypedClient<AnyRouter>({
    links: [
      httpLink({
        url: trpcUrl(options.server),
        transformer: superjson,
        fetch: timedFetch,
        headers: () => ({ authorization: `Bearer ${options.token}`, "x-quorum-client": "runner" }),
      }),
    ],
  });

  async function call<T>(
    kind: "query" | "mutation",
    procedure: string,
    input: unknown,
    schema: z.ZodType<T>,
    retries: boolean,
    onAttempt?: (attempt: number) => void,
  ): Promise<T> {
    const attempts = retries ? retry.attempts : 1;
    for (let attempt = 1; ; attempt += 1) {
      onAttempt?.(attempt);
      try {
        const raw = kind === "query" ? await client.query(procedure, input) : await client.mutation(procedure, input);
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new RunnerApiError(
            `The server's answer to ${procedure} does not match the runner protocol (${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}). The runner and the server may be different versions.`,
            { procedure, isRetryable: false },
          );
        }
        return parsed.data;
      } catch (error) {
        const apiError = error instanceof RunnerApiError ? error : toApiError(procedure, error);
        if (!apiError.isRetryable || attempt >= attempts) throw apiError;
        const delayMs = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)) * (0.5 + random() / 2);
        options.onRetry?.({ procedure, attempt, delayMs, error: apiError });
        await sleep(delayMs);
      }
    }
  }

  return {
    server: options.server,
    whoami: () => call("query", "runner.whoami", undefined, ZWhoAmIResponseSchema, true),
    register: (input) => call("mutation", "runner.register", ZRegisterRunnerRequestSchema.parse(input), ZRegisterRunnerResponseSchema, true),
    claim: (input) => call("mutation", "task.claim", ZClaimTaskRequestSchema.parse(input), ZClaimTaskResponseSchema, false),
    heartbeat: (input) => call("mutation", "task.heartbeat", ZClaimTokenRequestSchema.parse(input), ZHeartbeatResponseSchema, true),
    standing: (runnerId) => call("query", "runner.standing", { runnerId }, ZRunnerStandingSchema, true),
    release: async (input) => {
      await call("mutation", "task.release", ZReleaseClaimRequestSchema.parse(input), ZOkSchema, true);
    },
    submit: async (input, submitOptions) => {
      try {
        const response = await call(
          "mutation",
          "task.submit",
          ZSubmitResultRequestSchema.parse(input),
          ZSubmitResultResponseSchema,
          true,
          submitOptions?.onAttempt,
        );
        return { status: "stored", response };
      } catch (error) {
        if (error instanceof RunnerApiError && error.quorumCode === "ALREADY_SUBMITTED") {
          return { status: "already-submitted", message: error.message };
        }
        throw error;
      }
    },
  };
}

function isQuorumCode(value: unknown): value is TQuorumErrorCode {
  return typeof value === "string" && (QUORUM_ERROR_CODES as readonly string[]).includes(value);
}

export function toApiError(procedure: string, error: unknown): RunnerApiError {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? null) as { quorumCode?: unknown; httpStatus?: unknown; code?: unknown } | null;
    const meta = (error.meta ?? {}) as { response?: { status?: number } };
    const httpStatus = typeof data?.httpStatus === "number" ? data.httpStatus : (meta.response?.status ?? null);
    const quorumCode = isQuorumCode(data?.quorumCode) ? data.quorumCode : null;
    const trpcCode = typeof data?.code === "string" ? data.code : null;
    if (!data) {
      // No tRPC error body: the request never reached the API (connection refused, DNS, timeout) or a proxy
      // answered with something that is not tRPC (a 502 page). Both are worth retrying.
      const status = meta.response?.status ?? null;
      const reason = describeCause(error);
      return new RunnerApiError(
        status ? `The server answered ${procedure} with HTTP ${status} (${reason}).` : `Could not reach the server for ${procedure}: ${reason}.`,
        { procedure, httpStatus: status, isRetryable: status === null || status >= 500 || status === 429, cause: error },
      );
    }
    const retryable = httpStatus !== null && (httpStatus >= 500 || httpStatus === 429) && quorumCode !== "QUOTA";
    return new RunnerApiError(error.message, { procedure, quorumCode, httpStatus, trpcCode, isRetryable: retryable, cause: error });
  }
  return new RunnerApiError(`Calling ${procedure} failed: ${describeCause(error)}.`, { procedure, isRetryable: true, cause: error });
}

function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth += 1) {
    if (current instanceof Error) {
      const code = (current as NodeJS.ErrnoException).code;
      parts.push(code ? `${current.message} (${code})` : current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return [...new Set(parts)].join(": ") || "unknown error";
}
