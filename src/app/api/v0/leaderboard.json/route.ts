import { z } from "zod";
import { getDb } from "@/server/db";
import { getCachedLeaderboard } from "@/server/services/leaderboard/get-cached-leaderboard";

export const dynamic = "force-dynamic";

const ZPageSchema = z.object({
  offset: z.coerce.number().int("expected a whole number").min(0, "expected 0 or more").default(0),
  limit: z.coerce.number().int("expected a whole number").min(1, "expected 1 to 1000").max(1000, "expected 1 to 1000").default(100),
});

/**
 * GET /api/v0/leaderboard.json?offset=0&limit=100 — the public leaderboard, ranked, one page at a time (fields
 * documented in docs/api.md).
 */
export async function GET(request: Request) {
  const params = new URL(request.url).searchParams;
  const page = ZPageSchema.safeParse({ offset: params.get("offset") ?? undefined, limit: params.get("limit") ?? undefined });
  if (!page.success) {
    const issue = page.error.issues[0]!;
    return Response.json(
      { error: `${issue.path.join(".")}: ${issue.message}` },
      { status: 400, headers: { "access-control-allow-origin": "*" } },
    );
  }
  const cached = await getCachedLeaderboard(getDb());
  const { body, etag } = cached.publicJson(page.data);
  const headers = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "public, max-age=5, stale-while-revalidate=30",
    etag,
    "access-control-allow-origin": "*",
  };
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers });
}
