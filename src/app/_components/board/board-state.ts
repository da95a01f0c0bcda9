/** The board page's state as it lives in the URL: the API query, the 1-based page and the view. */
import type { BoardView } from "@/app/_components/board/board-columns";
import { boardQueryParams, parseBoardQuery, parsePageNumber, type TBoardQuery } from "@/lib/leaderboard/board-query";

export interface BoardState {
  query: TBoardQuery;
  page: number;
  view: BoardView;
}

export function readBoardState(params: URLSearchParams): BoardState {
  const parsed = parseBoardQuery(params);
  return {
    query: parsed.success ? parsed.query : { sort: "rank", q: "" },
    page: parsePageNumber(params.get("page")),
    view: params.get("view") === "green" ? "green" : "scores",
  };
}

export function boardHref(pathname: string, state: BoardState): string {
  const params = boardQueryParams(state.query, {
    page: state.page > 1 ? state.page : undefined,
    view: state.view === "green" ? "green" : undefined,
  });
  const search = params.toString();
  return search ? `${pathname}?${search}` : pathname;
}

