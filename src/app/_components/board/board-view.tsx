"use client";

/**
 * The leaderboard page: heading, filters, the table of one server page of models and the pager. State and data
 * come from use-board.ts (URL + swr + live events); columns from board-columns.ts; rows from board-row.tsx.
 */
import Link from "next/link";
import { useMemo } from "react";
import { CompareBar, CompareSelection } from "@/app/_components/board/board-compare";
import { BoardEmpty } from "@/app/_components/board/board-empty";
import { BoardFilters } from "@/app/_components/board/board-filters";
import { BoardPager } from "@/app/_components/board/board-pager";
import { BoardTable } from "@/app/_components/board/board-table";
import { boardColumns, type BoardColumn } from "@/app/_components/board/board-columns";
import { boardHref, type BoardState } from "@/app/_components/board/board-state";
import { useBoard } from "@/app/_components/board/use-board";
import { LiveStatus } from "@/app/_components/live-status";
import { BOARD_EVENT_KINDS } from "@/lib/live-events";
import { BOARD_PAGE_SIZE } from "@/lib/leaderboard/board-query";
import type { TPublicLeaderboard } from "@/lib/leaderboard/public-board";

export function BoardView({ initial }: { initial: { key: string; data: TPublicLeaderboard } }) {
  const { state, current, navigate, board, isLoading, error, onLiveEvent } = useBoard(initial);
  const columns = useMemo(() => boardColumns(board.benchmarks, state.view), [board.benchmarks, state.view]);
  const pageCount = Math.max(1, Math.ceil(board.total / BOARD_PAGE_SIZE));
  const isFiltered = state.query.q !== "" || !!state.query.weightType || !!state.query.precision;

  /** Applies a change, computed from the state the URL holds now (see useBoard's `current`); back to page 1 unless it says. */
  const change = (next: (now: BoardState) => Partial<BoardState>, mode: "push" | "replace" = "push") => {
    const now = current();
    const changed = next(now);
    navigate({ ...now, page: 1, ...changed, query: { ...now.query, ...changed.query } }, mode);
  };

  const onSort = (column: BoardColumn) => {
    const sort = column.sort;
    if (!sort) return;
    change((now) => ({
      query: { ...now.query, sort, order: now.query.sort === sort ? (board.query.order === "asc" ? "desc" : "asc") : column.defaultOrder },
    }));
  };

  return (
    <CompareSelection>
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="max-w-3xl">
          <h1 className="text-2xl font-semibold">Leaderboard</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Open checkpoints scored by independent volunteer runners; a score appears once three of them agree. Every
            score shows its n (distinct items scored) and its 95% interval: the band is the interval, the dot the mean.
          </p>
          <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">
            Unlike the harness, which scores every item of a benchmark&apos;s split, each Quorum task scores a sample of
            items, and scores pool the tasks accepted so far; intervals narrow as epochs add items.{" "}
            <Link href="/benchmarks" className="underline">
              How each benchmark is scored
            </Link>
            . Ranks are tied where 95% intervals overlap.
          </p>
        </div>
        <LiveStatus kinds={BOARD_EVENT_KINDS} onEvent={onLiveEvent} />
      </div>

      {board.boardTotal === 0 ? (
        <BoardEmpty />
      ) : (
        <>
          <BoardFilters
            q={state.query.q}
            weightType={state.query.weightType ?? ""}
            precision={state.query.precision ?? ""}
            view={state.view}
            sort={board.query.sort}
            order={board.query.order}
            columns={columns}
            summary={
              isLoading
                ? "Loading…"
                : `${board.total} of ${board.boardTotal} model${board.boardTotal === 1 ? "" : "s"}`
            }
            onChange={(next) => {
              const { view, sort } = next;
              if (view) return change((now) => ({ view, page: now.page }));
              if (sort) return change((now) => ({ query: { ...now.query, ...sort } }));
              change((now) => {
                const query = { ...now.query };
                if (next.q !== undefined) query.q = next.q.trim();
                if (next.weightType !== undefined) query.weightType = (next.weightType || undefined) as typeof query.weightType;
                if (next.precision !== undefined) query.precision = (next.precision || undefined) as typeof query.precision;
                return { query };
              }, next.isTyping ? "replace" : "push");
            }}
          />
          {error ? (
            <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
              {error.message}
            </p>
          ) : null}
          {state.view === "green" ? (
            <p className="text-xs text-zinc-600 dark:text-zinc-400">
              Energy is what runners measured from their GPUs&apos; power draw while evaluating, per item; CO₂ is estimated
              at {board.grid.gramsCo2PerKwh} g CO₂/kWh ({board.grid.source}). &ldquo;Declared&rdquo; energy comes from the
              GPU watts a runner&apos;s owner declared, not from readings; &ldquo;not measured&rdquo; means no runner could
              measure it.
            </p>
          ) : null}
          <CompareBar />
          <BoardTable
            columns={columns}
            models={board.models}
            sort={board.query.sort}
            order={board.query.order}
            onSort={onSort}
            isLoading={isLoading}
          />
          {board.total === 0 ? (
            <div className="space-y-2 p-6 text-center text-sm text-zinc-600 dark:text-zinc-400">
              <p>No models match these filters.</p>
              {isFiltered ? (
                <button type="button" className="underline" onClick={() => change((now) => ({ query: { sort: now.query.sort, order: now.query.order, q: "" } }))}>
                  Clear the filters
                </button>
              ) : null}
            </div>
          ) : null}
          <BoardPager
            page={Math.min(state.page, pageCount)}
            pageCount={pageCount}
            total={board.total}
            pageSize={BOARD_PAGE_SIZE}
            hrefOf={(page) => boardHref("/", { ...state, page })}
            onPage={(page) => {
              change(() => ({ page }));
              window.scrollTo({ top: 0 });
            }}
          />
        </>
      )}
    </div>
    </CompareSelection>
  );
}
