/**
 * Paging, sorting, searching and filtering the cached board on the server, so a reader's browser receives one page
 * of rows whatever the board's size. Each sort order is computed once per board version and reused by every
 * filter and page; a filter is one pass over the sorted rows. Lower-is-better metrics sort best-first ascending.
 */
import { defaultOrder, FIXED_SORTS, type TBoardQuery, type TSortOrder } from "@/lib/leaderboard/board-query";
import type { Leaderboard, LeaderboardEntry } from "@/server/services/leaderboard/get-leaderboard";

export class BoardQueryError extends Error {
  override readonly name = "BoardQueryError";
}

/** By name, not instanceof: the production build may bundle this module into more than one chunk. */
export function isBoardQueryError(error: unknown): error is BoardQueryError {
  return error instanceof Error && error.name === "BoardQueryError";
}

type Value = number | string | null;

/** Overall score (%) per kWh spent evaluating 1,000 items: higher is greener. */
export function scorePerKwh(entry: Pick<LeaderboardEntry, "overall" | "energy">): number | null {
  if (!entry.overall || !entry.energy || entry.energy.whPerItem <= 0) return null;
  return (entry.overall.mean * 100) / entry.energy.whPerItem;
}

function columnValue(board: Leaderboard, sort: string): ((entry: LeaderboardEntry) => Value) | null {
  switch (sort) {
    case "rank":
      return (entry) => entry.rank;
    case "model":
      return (entry) => entry.repo.toLowerCase();
    case "overall":
      return (entry) => entry.overall?.mean ?? null;
    case "updated":
      return (entry) => entry.updatedAt?.getTime() ?? null;
    case "energy":
      return (entry) => entry.energy?.whPerItem ?? null;
    case "score_per_kwh":
      return scorePerKwh;
  }
  const split = sort.indexOf(":");
  if (split < 0) return null;
  const benchmarkId = sort.slice(0, split);
  const metric = sort.slice(split + 1);
  const benchmark = board.benchmarks.find((candidate) => candidate.id === benchmarkId);
  if (!benchmark?.metrics.includes(metric)) return null;
  return (entry) => entry.scores[benchmarkId]?.[metric]?.mean ?? null;
}

/** Every sort key this board accepts, for error messages and docs. */
export function sortKeys(board: Leaderboard): string[] {
  return [...FIXED_SORTS, ...board.benchmarks.flatMap((b) => b.metrics.map((metric) => `${b.id}:${metric}`))];
}

/** The order a sort key means when none is given: best first. */
export function orderOf(board: Leaderboard, query: Pick<TBoardQuery, "sort" | "order">): TSortOrder {
  if (query.order) return query.order;
  const split = query.sort.indexOf(":");
  if (split < 0) return defaultOrder(query.sort);
  const benchmark = board.benchmarks.find((candidate) => candidate.id === query.sort.slice(0, split));
  return defaultOrder(query.sort, benchmark?.higherIsBetter?.[query.sort.slice(split + 1)]);
}

export interface BoardSorter {
  /** The board's rows in the query's order, filtered; throws BoardQueryError for an unknown sort key. */
  select: (query: TBoardQuery) => LeaderboardEntry[];
}

/** One per board version: caches each sort order and each entry's search text. */
export function createBoardSorter(board: Leaderboard): BoardSorter {
  const orders = new Map<string, LeaderboardEntry[]>();
  const haystacks = new Map<LeaderboardEntry, string>();
  const haystack = (entry: LeaderboardEntry) => {
    let text = haystacks.get(entry);
    if (text === undefined) {
      text = `${entry.repo}\n${entry.submitter}\n${entry.revision}\n${entry.baseModel ?? ""}`.toLowerCase();
      haystacks.set(entry, text);
    }
    return text;
  };
  const sorted = (sort: string, order: TSortOrder) => {
    const key = `${sort} ${order}`;
    let rows = orders.get(key);
    if (rows) return rows;
    const value = columnValue(board, sort);
    if (!value) throw new BoardQueryError(`sort: expected one of ${sortKeys(board).join(", ")}`);
    const sign = order === "asc" ? 1 : -1;
    const keyed = board.entries.map((entry, index) => ({ entry, index, value: value(entry) }));
    keyed.sort((a, b) => {
      const x = a.value;
      const y = b.value;
      // Rows without a value sort last in either direction; ties keep the board's own order (best first).
      if (x === null || y === null) return x === y ? a.index - b.index : x === null ? 1 : -1;
      const compared = typeof x === "string" || typeof y === "string" ? String(x).localeCompare(String(y)) : x - y;
      return compared * sign || a.index - b.index;
    });
    rows = keyed.map((row) => row.entry);
    if (orders.size < 64) orders.set(key, rows);
    return rows;
  };
  return {
    select: (query) => {
      const rows = sorted(query.sort, orderOf(board, query));
      const needle = query.q.toLowerCase();
      const weightType = query.weightType?.toUpperCase();
      const precision = query.precision?.toUpperCase();
      if (!needle && !weightType && !precision) return rows;
      return rows.filter(
        (entry) =>
          (!weightType || entry.weightType === weightType) &&
          (!precision || entry.precision === precision) &&
          (!needle || haystack(entry).includes(needle)),
      );
    },
  };
}
