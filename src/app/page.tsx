import { BoardView } from "@/app/_components/board/board-view";
import { readBoardState } from "@/app/_components/board/board-state";
import { boardApiUrl, BOARD_PAGE_SIZE, type TBoardQuery } from "@/lib/leaderboard/board-query";
import type { TPublicLeaderboard } from "@/lib/leaderboard/public-board";
import { getDb } from "@/server/db";
import { getCachedLeaderboard } from "@/server/services/leaderboard/get-cached-leaderboard";
import { isBoardQueryError } from "@/server/services/leaderboard/query-leaderboard";

export const dynamic = "force-dynamic";

/**
 * The leaderboard: the page the URL asks for (sort, filters, page) is rendered on the server from the cached board,
 * so the first load carries one page of rows; the browser pages on through the public API.
 */
export default async function LeaderboardPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = await searchParams;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(raw)) if (typeof value === "string") params.set(key, value);
  const state = readBoardState(params);
  const cached = await getCachedLeaderboard(getDb());
  const render = (query: TBoardQuery) =>
    JSON.parse(cached.publicJson({ offset: (state.page - 1) * BOARD_PAGE_SIZE, limit: BOARD_PAGE_SIZE }, query).body) as TPublicLeaderboard;
  let query = state.query;
  let data: TPublicLeaderboard;
  try {
    data = render(query);
  } catch (error) {
    if (!(isBoardQueryError(error))) throw error;
    query = { ...query, sort: "rank", order: undefined };
    data = render(query);
  }
  return <BoardView initial={{ key: boardApiUrl(query, state.page), data }} />;
}
