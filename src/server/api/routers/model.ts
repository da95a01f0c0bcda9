import { z } from "zod";
import { env } from "@/env";
import { createTRPCRouter, publicProcedure, signedInProcedure, userOrTokenProcedure } from "@/server/api/trpc";
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

  mine: signedInProcedure.query(({ ctx }) =>
    ctx.db.model.findMany({
      where: { submitterId: ctx.user.id },
      select: { id: true, repo: true, revision: true, status: true, createdAt: true },
      orderBy: { createdAt: "desc" },
    }),
  ),
});
