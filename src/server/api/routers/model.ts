import { z } from "zod";
import { env } from "@/env";
import { createTRPCRouter, publicProcedure, signedInProcedure, userOrTokenProcedure } from "@/server/api/trpc";
import { listWeightFileHashes } from "@/server/services/models/exact-reupload";
import { DEFAULT_GRID_G_CO2_PER_KWH, GRID_SOURCE } from "@/lib/leaderboard/green";
import { energyByModel } from "@/server/services/leaderboard/get-leaderboard";
import { getLineage } from "@/server/services/models/get-lineage";
import { getModelDetail } from "@/server/services/models/get-model";
import { ZRegisterModelRequestSchema } from "@/server/services/models/model-input";
import { registerModel } from "@/server/services/models/register-model";
import { getSubmitQuota } from "@/server/services/models/submit-quota";

export const modelRouter = createTRPCRouter({
  register: userOrTokenProcedure("model:register")
    .input(ZRegisterModelRequestSchema)
    .mutation(({ ctx, input }) =>
      registerModel({
        db: ctx.db,
        actor: ctx.user,
        input,
        now: ctx.clock.now(),
        normRequired: env.NORM_REQUIRED,
        normWindowHours: env.NORM_WINDOW_H,
        epochMinutes: env.EPOCH_MINUTES,
        listWeightFileHashes: env.QUORUM_HUB_CHECKS
          ? (repo, revision) => listWeightFileHashes({ hubUrl: env.HF_ENDPOINT, repo, revision, accessToken: env.HF_TOKEN })
          : undefined,
        admission: env.QUORUM_HUB_CHECKS
          ? { hubUrl: env.HF_ENDPOINT, accessToken: env.HF_TOKEN, maxBytes: env.MAX_MODEL_GB * 1e9 }
          : null,
      }),
    ),

  quota: signedInProcedure.query(({ ctx }) =>
    getSubmitQuota({
      db: ctx.db,
      userId: ctx.user.id,
      role: ctx.user.role,
      now: ctx.clock.now(),
      required: env.NORM_REQUIRED,
      windowHours: env.NORM_WINDOW_H,
    }),
  ),

  get: publicProcedure
    .input(z.object({ id: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => getModelDetail({ db: ctx.db, modelId: input.id })),

  /** Base model, derived models and the family tree with scores. */
  lineage: publicProcedure
    .input(z.object({ id: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => getLineage({ db: ctx.db, modelId: input.id })),

  /** Energy per item (Wh), estimated CO2 per item at the server's grid intensity; energy null when not measured. */
  green: publicProcedure.input(z.object({ id: z.string().min(1).max(64) })).query(async ({ ctx, input }) => {
    const energy = (await energyByModel(ctx.db, input.id)).get(input.id) ?? null;
    const grams = env.GRID_G_CO2_PER_KWH;
    return {
      energy: energy && { ...energy, co2gPerItem: (energy.whPerItem / 1000) * grams },
      grid: { gramsCo2PerKwh: grams, source: grams === DEFAULT_GRID_G_CO2_PER_KWH ? GRID_SOURCE : "set by this server's operator (GRID_G_CO2_PER_KWH)" },
    };
  }),

  /** Adaptive depth: each benchmark's tier (items per task) and why; empty under fixed depth. */
  depth: publicProcedure
    .input(z.object({ id: z.string().min(1).max(64) }))
    .query(({ ctx, input }) =>
      ctx.db.depthPlan.findMany({
        where: { modelId: input.id },
        select: { benchmarkId: true, items: true, reason: true, settledEpochs: true, isSkipped: true, epoch: true },
        orderBy: { benchmarkId: "asc" },
      }),
    ),

  mine: signedInProcedure.query(({ ctx }) =>
    ctx.db.model.findMany({
      where: { submitterId: ctx.user.id },
      select: { id: true, repo: true, revision: true, status: true, createdAt: true },
      orderBy: { createdAt: "desc" },
    }),
  ),
});
