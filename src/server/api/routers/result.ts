import { z } from "zod";
import { env } from "@/env";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { getResultOrThrow } from "@/server/services/results/get-result";
import { listEpochScores } from "@/server/services/results/list-epoch-scores";

export const resultRouter = createTRPCRouter({
  /** A result's per-item outputs, extracted answers and scores (published once its task is decided). */
  get: publicProcedure
    .input(z.object({ id: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => getResultOrThrow({ db: ctx.db, resultId: input.id })),

  /** The model's accepted score per epoch with a per-task 95% interval, per benchmark. */
  listEpochScores: publicProcedure
    .input(z.object({ modelId: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => listEpochScores({ db: ctx.db, modelId: input.modelId, epochMinutes: env.EPOCH_MINUTES })),
});
