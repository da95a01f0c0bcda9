/**
 * The leaderboard, computed once per state change. Every change appends to the Event table in its transaction,
 * so the newest event id is a version number for all the data the board is made of: a request costs one index
 * lookup while nothing changed, and concurrent requests after a change share one recomputation.
 */
import { createHash } from "node:crypto";
import type { Db } from "@/server/db";
import { listBenchmarks } from "@/server/services/benchmarks/list-benchmarks";
import { getLeaderboard, type Leaderboard } from "@/server/services/leaderboard/get-leaderboard";

export interface CachedLeaderboard {
  version: string;
  board: Leaderboard;
  /** The public JSON (api/v0) and its ETag, rendered lazily once per version. */
  publicJson: () => { body: string; etag: string };
}

const state = globalThis as unknown as {
  quorumLeaderboardCache?: { version: string; promise: Promise<CachedLeaderboard> };
};

export async function getCachedLeaderboard(db: Db): Promise<CachedLeaderboard> {
  const [row] = await db.$queryRaw<{ version: bigint | null }[]>`SELECT max(id) AS version FROM "Event"`;
  const version = String(row?.version ?? 0);
  const cached = state.quorumLeaderboardCache;
  if (cached && cached.version === version) return cached.promise;
  const promise = build(db, version);
  state.quorumLeaderboardCache = { version, promise };
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
    })),
  });
  let rendered: { body: string; etag: string } | null = null;
  return {
    version,
    board,
    publicJson: () => {
      if (!rendered) {
        const body = JSON.stringify(toPublicLeaderboard(board, version));
        rendered = { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
      }
      return rendered;
    },
  };
}

/** The stable public shape of /api/v0/leaderboard.json (documented in docs/api.md). */
export function toPublicLeaderboard(board: Leaderboard, version: string) {
  return {
    apiVersion: 0,
    dataVersion: version,
    generatedAt: board.generatedAt.toISOString(),
    benchmarks: board.benchmarks.map((b) => ({ id: b.id, name: b.name, primaryMetric: b.primaryMetric, metrics: b.metrics })),
    models: board.entries.map((entry) => ({
      id: entry.modelId,
      repo: entry.repo,
      revision: entry.revision,
      weightType: entry.weightType.toLowerCase(),
      precision: entry.precision.toLowerCase(),
      baseModel: entry.baseModel,
      submitter: entry.submitter,
      rank: entry.rank,
      overall: entry.overall && round(entry.overall),
      scores: Object.fromEntries(
        Object.entries(entry.scores).map(([benchmark, metrics]) => [
          benchmark,
          Object.fromEntries(Object.entries(metrics).map(([metric, summary]) => [metric, round(summary)])),
        ]),
      ),
      acceptedTasks: entry.acceptedTasks,
      pendingTasks: entry.pendingTasks,
      disputedTasks: entry.disputedTasks,
      updatedAt: entry.updatedAt?.toISOString() ?? null,
      registeredAt: entry.createdAt.toISOString(),
    })),
  };
}

function round(summary: { mean: number; n: number; stderr: number | null; lo: number; hi: number }) {
  const r = (value: number) => Math.round(value * 1e6) / 1e6;
  return {
    mean: r(summary.mean),
    n: summary.n,
    stderr: summary.stderr === null ? null : r(summary.stderr),
    ci95: [r(summary.lo), r(summary.hi)],
  };
}
