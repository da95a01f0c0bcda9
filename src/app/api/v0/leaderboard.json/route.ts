import { getDb } from "@/server/db";
import { getCachedLeaderboard } from "@/server/services/leaderboard/get-cached-leaderboard";

export const dynamic = "force-dynamic";

/** GET /api/v0/leaderboard.json — the public leaderboard (fields documented in docs/api.md). */
export async function GET(request: Request) {
  const cached = await getCachedLeaderboard(getDb());
  const { body, etag } = cached.publicJson();
  const headers = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "public, max-age=5, stale-while-revalidate=30",
    etag,
    "access-control-allow-origin": "*",
  };
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers });
}
