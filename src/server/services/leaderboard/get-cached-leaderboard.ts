/**
 * The leaderboard, computed once per change that affects it. Every state change appends to the Event table in its
 * transaction; the newest event of the kinds that change the board (registrations, new tasks, decisions) is a
 * version number for all the data it is made of. Claims, heartbeats and submissions that decide nothing leave it
 * alone. Pages of any sort, search and filter are cut from the cached board (query-leaderboard.ts). A request costs a few index lookups while nothing changed, and concurrent requests after a change share
 * one recomputation.
 */
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { BOARD_EVENT_KINDS } from "@/lib/live-events";
import { poolOf, type Db } from "@/server/db";
import { listBenchmarks } from "@/server/services/benchmarks/list-benchmarks";
import { env } from "@/env";
import type { TBoardQuery } from "@/lib/leaderboard/board-query";
import type { TPublicLeaderboard, TPublicModel, TPublicSummary } from "@/lib/leaderboard/public-board";
import { DEFAULT_GRID_G_CO2_PER_KWH, GRID_SOURCE } from "@/lib/leaderboard/green";
import { getLeaderboard, type Leaderboard, type LeaderboardEntry } from "@/server/services/leaderboard/get-leaderboard";
import { createBoardSorter, orderOf, scorePerKwh } from "@/server/services/leaderboard/query-leaderboard";

export interface CachedLeaderboard {
  version: string;
  board: Leaderboard;
  /** One page of the public JSON (api/v0) and its ETag, rendered once per version and page. */
  publicJson: (page: { offset: number; limit: number }, query?: TBoardQuery) => { body: string; etag: string };
}

const VERSION_QUERY = {
  text: `SELECT GREATEST(${BOARD_EVENT_KINDS.map((_, i) => `(SELECT max(id) FROM "Event" WHERE kind = $${i + 1})`).join(", ")})::text AS version`,
  values: [...BOARD_EVENT_KINDS],
};

const state = globalThis as unknown as {
  quorumLeaderboardCache?: { version: string; promise: Promise<CachedLeaderboard>; checkedAt: number };
};

/**
 * Under load, the version itself is re-checked at most every 50 ms: a board at most 50 ms old, far inside the
 * one-second target for live updates, and one database round trip per 50 ms instead of one per request.
 */
const RECHECK_MS = 50;

export async function getCachedLeaderboard(db: Db): Promise<CachedLeaderboard> {
  const current = state.quorumLeaderboardCache;
  if (current && performance.now() - current.checkedAt < RECHECK_MS) return current.promise;
  // Every request asks this, so it is one prepared statement: an index lookup per kind (Event(kind, id)).
  const { rows } = await poolOf(db).query<{ version: string | null }>({ name: "quorum_board_version_v1", ...VERSION_QUERY });
  const version = rows[0]?.version ?? "0";
  const cached = state.quorumLeaderboardCache;
  if (cached && cached.version === version) {
    cached.checkedAt = performance.now();
    return cached.promise;
  }
  const promise = build(db, version);
  state.quorumLeaderboardCache = { version, promise, checkedAt: performance.now() };
  promise.catch(() => {
    if (state.quorumLeaderboardCache?.promise === promise) state.quorumLeaderboardCache = undefined;
  });
  return promise;
}

async function build(db: Db, version: string): Promise<CachedLeaderboard> {
  const benchmarks = await listBenchmarks({ db, activeOnly: true });
  const board = await getLeaderboard({
    db,
    benchmarks: benchmarks.map((b) => ({
      id: b.id,
      name: b.name,
      primaryMetric: b.primaryMetric,
      metrics: b.metrics.map((m) => m.name),
      higherIsBetter: Object.fromEntries(b.metrics.map((m) => [m.name, m.higherIsBetter])),
      lowerIsBetter: b.metrics.filter((m) => !m.higherIsBetter).map((m) => m.name),
    })),
  });
  const sorter = createBoardSorter(board);
  // Rendered pages of this version, bounded in bytes (LEADERBOARD_CACHE_MB): a client walking every offset, limit,
  // sort and filter evicts old pages instead of growing the heap.
  const pages = new LRUCache<string, { body: string; etag: string }>({
    maxSize: env.LEADERBOARD_CACHE_MB * 1024 * 1024,
    sizeCalculation: (page) => page.body.length * 2 + 128,
  });
  return {
    version,
    board,
    publicJson: (page, query = DEFAULT_QUERY) => {
      const key = JSON.stringify([page.offset, page.limit, query.sort, query.order, query.q, query.weightType, query.precision]);
      let cached = pages.get(key);
      if (!cached) {
        const rows = sorter.select(query);
        const body = JSON.stringify(toPublicLeaderboard(board, version, { ...page, query, rows }));
        cached = { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
        pages.set(key, cached);
      }
      return cached;
    },
  };
}

const DEFAULT_QUERY: TBoardQuery = { sort: "rank", q: "" };

/** The stable public shape of /api/v0/leaderboard.json (documented in docs/api.md). */
export function toPublicLeaderboard(
  board: Leaderboard,
  version: string,
  page: { offset: number; limit: number; query?: TBoardQuery; rows?: LeaderboardEntry[] },
): TPublicLeaderboard {
  const query = page.query ?? DEFAULT_QUERY;
  const rows = page.rows ?? board.entries;
  const grams = env.GRID_G_CO2_PER_KWH;
  const tieCounts = rankCounts(board);
  return {
    apiVersion: 0,
    dataVersion: version,
    generatedAt: board.generatedAt.toISOString(),
    total: rows.length,
    boardTotal: board.entries.length,
    offset: page.offset,
    limit: page.limit,
    query: { sort: query.sort, order: orderOf(board, query), q: query.q, weightType: query.weightType, precision: query.precision },
    grid: { gramsCo2PerKwh: grams, source: grams === DEFAULT_GRID_G_CO2_PER_KWH ? GRID_SOURCE : "set by this server's operator (GRID_G_CO2_PER_KWH)" },
    benchmarks: board.benchmarks.map((b) => ({
      id: b.id,
      name: b.name,
      primaryMetric: b.primaryMetric,
      metrics: b.metrics,
      higherIsBetter: Object.fromEntries(b.metrics.map((m) => [m, b.higherIsBetter?.[m] ?? true])),
      lowerIsBetter: b.lowerIsBetter ?? [],
    })),
    models: rows.slice(page.offset, page.offset + page.limit).map((entry) => ({
      id: entry.modelId,
      repo: entry.repo,
      revision: entry.revision,
      weightType: entry.weightType.toLowerCase() as TPublicModel["weightType"],
      precision: entry.precision.toLowerCase(),
      baseModel: entry.baseModel,
      submitter: entry.submitter,
      rank: entry.rank,
      isTied: entry.rank !== null && (tieCounts.get(entry.rank) ?? 0) > 1,
      overall: entry.overall && round(entry.overall),
      longContext: entry.longContext,
      scores: Object.fromEntries(
        Object.entries(entry.scores).map(([benchmark, metrics]) => [
          benchmark,
          Object.fromEntries(Object.entries(metrics).map(([metric, summary]) => [metric, round(summary)])),
        ]),
      ),
      acceptedTasks: entry.acceptedTasks,
      pendingTasks: entry.pendingTasks,
      disputedTasks: entry.disputedTasks,
      energy: entry.energy && {
        whPerItem: r6(entry.energy.whPerItem),
        co2gPerItem: r6((entry.energy.whPerItem / 1000) * grams),
        results: entry.energy.results,
        declared: entry.energy.declared,
      },
      scorePerKwh: nullableR6(scorePerKwh(entry)),
      updatedAt: entry.updatedAt?.toISOString() ?? null,
      registeredAt: entry.createdAt.toISOString(),
    })),
  };
}

const tieCountsByBoard = new WeakMap<Leaderboard, Map<number, number>>();
function rankCounts(board: Leaderboard): Map<number, number> {
  let counts = tieCountsByBoard.get(board);
  if (!counts) {
    counts = new Map();
    for (const entry of board.entries) if (entry.rank !== null) counts.set(entry.rank, (counts.get(entry.rank) ?? 0) + 1);
    tieCountsByBoard.set(board, counts);
  }
  return counts;
}

const r6 = (value: number) => Math.round(value * 1e6) / 1e6;
const nullableR6 = (value: number | null) => (value === null ? null : r6(value));

function round(summary: { mean: number; n: number; stderr: number | null; lo: number; hi: number }): TPublicSummary {
  return {
    mean: r6(summary.mean),
    n: summary.n,
    stderr: summary.stderr === null ? null : r6(summary.stderr),
    ci95: [r6(summary.lo), r6(summary.hi)],
  };
}
