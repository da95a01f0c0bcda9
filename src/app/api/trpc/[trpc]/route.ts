import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { env } from "@/env";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { getSessionUser } from "@/server/auth/session";
import { getDb, poolOf } from "@/server/db";
import { clientIpOf } from "@/server/security/client-ip";
import { rateLimitsFor } from "@/server/security/rate-limits";
import { createLiveSlots, onStreamEnd } from "@/server/security/live-connections";
import { batchSizeOf, readBoundedBody, RequestTooLargeError, trpcErrorResponse } from "@/server/security/request-limits";

export const dynamic = "force-dynamic";

const LIVE_PATH = "/api/trpc/live.events";
const state = globalThis as unknown as { quorumLiveSlots?: ReturnType<typeof createLiveSlots> };
const liveSlots = (state.quorumLiveSlots ??= createLiveSlots({ perClient: env.LIVE_MAX_PER_CLIENT, total: env.LIVE_MAX_TOTAL }));

async function handler(incoming: Request): Promise<Response> {
  const url = new URL(incoming.url);
  const calls = batchSizeOf(url);
  if (calls > env.MAX_BATCH_CALLS) {
    return trpcErrorResponse(
      400,
      "BAD_REQUEST",
      "VALIDATION",
      `A batch may hold at most ${env.MAX_BATCH_CALLS} calls; this one has ${calls}. Send fewer calls per request.`,
    );
  }
  let req = incoming;
  if (incoming.method === "POST") {
    try {
      const body = await readBoundedBody(incoming, env.MAX_BODY_BYTES);
      req = new Request(incoming.url, { method: "POST", headers: incoming.headers, body: body as BodyInit | null });
    } catch (error) {
      if (!(error instanceof RequestTooLargeError)) throw error;
      return trpcErrorResponse(413, "PAYLOAD_TOO_LARGE", "VALIDATION", `${error.message} See docs/api.md, "Limits".`);
    }
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
}

function handle(req: Request, clientIp: string): Promise<Response> {
  const db = getDb();
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    maxBatchSize: env.MAX_BATCH_CALLS,
    createContext: () =>
      createTRPCContext({
        db,
        headers: req.headers,
        getUser: getSessionUser,
        clientIp,
        rateLimits: rateLimitsFor(poolOf(db)),
      }),
  });
}

export { handler as GET, handler as POST };
