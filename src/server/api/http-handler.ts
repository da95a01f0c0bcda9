/**
 * The HTTP door of /api/trpc: batch and body caps, live connection slots, then tRPC with the rate limits and the
 * client's address in its context. The Next.js route (src/app/api/trpc/[trpc]/route.ts) serves it with the
 * next-auth session; the fuzz tests and `pnpm bench:abuse` serve the same handler from a plain HTTP server.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { env } from "@/env";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import type { SessionUser } from "@/server/auth/users";
import { poolOf, type Db } from "@/server/db";
import { clientIpOf } from "@/server/security/client-ip";
import { createLiveSlots, onStreamEnd } from "@/server/security/live-connections";
import { rateLimitsFor } from "@/server/security/rate-limits";
import { batchSizeOf, readBoundedBody, RequestTooLargeError, trpcErrorResponse } from "@/server/security/request-limits";

const ENDPOINT = "/api/trpc";
const LIVE_PATH = `${ENDPOINT}/live.events`;

/** A NUL character, raw or as a JSON escape (`\u0000`); in a URL also percent-encoded. */
const NUL_IN_JSON = /\\u0000|\u0000/i;
const NUL_IN_URL = /%00|\\u0000|%5Cu0000/i;

export function createTrpcHttpHandler(options: {
  getDb: () => Db;
  getUser: (req: Request) => Promise<SessionUser | null>;
}): (req: Request) => Promise<Response> {
  const liveSlots = createLiveSlots({ perClient: env.LIVE_MAX_PER_CLIENT, total: env.LIVE_MAX_TOTAL });

  function handle(req: Request, clientIp: string): Promise<Response> {
    const db = options.getDb();
    return fetchRequestHandler({
      endpoint: ENDPOINT,
      req,
      router: appRouter,
      maxBatchSize: env.MAX_BATCH_CALLS,
      createContext: () =>
        createTRPCContext({
          db,
          headers: req.headers,
          getUser: () => options.getUser(req),
          clientIp,
          rateLimits: rateLimitsFor(poolOf(db)),
        }),
    });
  }

  return async (incoming) => {
    const url = new URL(incoming.url);
    let req = incoming;
    let bodyText: string | null = null;
    if (incoming.method === "POST") {
      try {
        const body = await readBoundedBody(incoming, env.MAX_BODY_BYTES);
        bodyText = body ? new TextDecoder().decode(body) : null;
        req = new Request(incoming.url, { method: "POST", headers: incoming.headers, body: body as BodyInit | null });
      } catch (error) {
        if (!(error instanceof RequestTooLargeError)) throw error;
        // The rest of the body is left unread: the connection cannot carry another request.
        return trpcErrorResponse(413, "PAYLOAD_TOO_LARGE", "VALIDATION", `${error.message} See docs/api.md, "Limits".`, {
          connection: "close",
        });
      }
    }
    // PostgreSQL text cannot hold NUL: refuse it here, naming the problem, rather than fail in the database.
    if (NUL_IN_URL.test(url.search) || (bodyText !== null && NUL_IN_JSON.test(bodyText))) {
      return trpcErrorResponse(400, "BAD_REQUEST", "VALIDATION", "Text may not contain NUL characters (\\u0000).");
    }
    // Checked once the (bounded) body is read, so the connection stays usable for the client's next request.
    const calls = batchSizeOf(url, ENDPOINT);
    if (calls > env.MAX_BATCH_CALLS) {
      return trpcErrorResponse(
        400,
        "BAD_REQUEST",
        "VALIDATION",
        `A batch may hold at most ${env.MAX_BATCH_CALLS} calls; this one has ${calls}. Send fewer calls per request.`,
      );
    }
    const clientIp = clientIpOf(req.headers);
    let release: (() => void) | null = null;
    if (url.pathname === LIVE_PATH) {
      release = liveSlots.acquire(clientIp);
      if (!release) {
        return trpcErrorResponse(
          429,
          "TOO_MANY_REQUESTS",
          "RATE_LIMITED",
          `Too many live connections: at most ${env.LIVE_MAX_PER_CLIENT} per client and ${env.LIVE_MAX_TOTAL} in all. Close other tabs and try again.`,
          { "retry-after": "30" },
        );
      }
    }
    let response: Response;
    try {
      response = await handle(req, clientIp);
    } catch (error) {
      release?.();
      throw error;
    }
    if (!release) return response;
    if (!response.body) {
      release();
      return response;
    }
    return new Response(onStreamEnd(response.body, release), { status: response.status, headers: response.headers });
  };
}
