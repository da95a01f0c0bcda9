import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { getCachedLeaderboard } from "@/server/services/leaderboard/get-cached-leaderboard";

export const leaderboardRouter = createTRPCRouter({
  get: publicProcedure.query(async ({ ctx }) => (await getCachedLeaderboard(ctx.db)).board),
});
