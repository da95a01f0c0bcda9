import { accountRouter } from "@/server/api/routers/account";
import { benchmarkRouter } from "@/server/api/routers/benchmark";
import { competitionRouter } from "@/server/api/routers/competition";
import { leaderboardRouter } from "@/server/api/routers/leaderboard";
import { liveRouter } from "@/server/api/routers/live";
import { modelRouter } from "@/server/api/routers/model";
import { moderationRouter } from "@/server/api/routers/moderation";
import { resultRouter } from "@/server/api/routers/result";
import { runnerRouter } from "@/server/api/routers/runner";
import { taskRouter } from "@/server/api/routers/task";
import { tokenRouter } from "@/server/api/routers/token";
import { createCallerFactory, createTRPCRouter } from "@/server/api/trpc";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  benchmark: benchmarkRouter,
  competition: competitionRouter,
  leaderboard: leaderboardRouter,
  live: liveRouter,
  model: modelRouter,
  moderation: moderationRouter,
  result: resultRouter,
  runner: runnerRouter,
  task: taskRouter,
  token: tokenRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller (React Server Components, tests): `createCaller(context)`. */
export const createCaller = createCallerFactory(appRouter);
