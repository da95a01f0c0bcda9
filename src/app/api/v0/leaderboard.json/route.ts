import { parseBoardQuery, ZBoardPageSchema } from "@/lib/leaderboard/board-query";
import { getDb } from "@/server/db";
import { getCachedLeaderboard } from "@/server/services/leaderboard/get-cached-leaderboard";
import { isBoardQueryError } from "@/server/services/leaderboard/query-leaderboard";

export const dynamic = "force-dynamic";

const CORS = { "access-control-allow-origin": "*" };

function badRequest(error: string): Response {
  return Response.json({ error }, { status: 400, headers: CORS });
}

/**
 * GET /api/v0/leaderboard.json?offset=0&limit=100&sort=rank&order=asc&q=&weightType=&precision= — the public
 * leaderboard, ranked, sorted, searched and filtered on the server, one page at a time (docs/api.md).
 */
export async function GET(request: Request) {
  const params = new URL(request.url).searchParams;
  const page = ZBoardPageSchema.safeParse({ offset: params.get("offset") ?? undefined, limit: params.get("limit") ?? undefined });
  if (!page.success) {
    const issue = page.error.issues[0]!;
    return badRequest(`${issue.path.join(".")}: ${issue.message}`);
  }
  const query = parseBoardQuery(params);
  if (!query.success) return badRequest(query.error);
  const cached = await getCachedLeaderboard(getDb());
  let json: { body: string; etag: string };
  try {
    json = cached.publicJson(page.data, query.query);
  } catch (error) {
    if (isBoardQueryError(error)) return badRequest(error.message);
    throw error;
  }
  const headers = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "public, max-age=5, stale-while-revalidate=30",
    etag: json.etag,
    vary: "accept-encoding",
    ...CORS,
  };
  if (request.headers.get("if-none-match") === json.etag) return new Response(null, { status: 304, headers });
  return new Response(json.body, { status: 200, headers });
}
