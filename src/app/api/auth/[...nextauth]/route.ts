import NextAuth from "next-auth";
import { authOptions } from "@/server/auth/options";
import { getDb, poolOf } from "@/server/db";
import { AppError } from "@/server/errors";
import { clientIpOf } from "@/server/security/client-ip";
import { rateLimitsFor } from "@/server/security/rate-limits";

const nextAuth = NextAuth(authOptions) as (req: Request, context: unknown) => Promise<Response>;

/** Sign-in attempts (every POST: credentials, OAuth starts, callbacks) count against the client's address. */
async function post(req: Request, context: unknown): Promise<Response> {
  try {
    await rateLimitsFor(poolOf(getDb())).consume("signInIp", clientIpOf(req.headers));
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "RATE_LIMITED") throw error;
    const retryAfter = String((error.options.details?.retryAfterSeconds as number | undefined) ?? 60);
    return Response.json({ error: error.message }, { status: 429, headers: { "retry-after": retryAfter } });
  }
  return nextAuth(req, context);
}

export { nextAuth as GET, post as POST };
