import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { listBenchmarks } from "@/server/services/benchmarks/list-benchmarks";
import { getLeaderboard } from "@/server/services/leaderboard/get-leaderboard";

export const leaderboardRouter = createTRPCRouter({
  get: publicProcedure.query(async ({ ctx }) => {
    const benchmarks = await listBenchmarks({ db: ctx.db, activeOnly: true });
    return getLeaderboard({
      db: ctx.db,
      benchmarks: benchmarks.map((b) => ({
        id: b.id,
        name: b.name,
        primaryMetric: b.primaryMetric,
        metrics: b.metrics.map((m) => m.name),
      })),
    });
  }),
});
