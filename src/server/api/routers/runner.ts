import { z } from "zod";
import { env } from "@/env";
import { AppError } from "@/server/errors";
import {
  ZRegisterRunnerRequestSchema,
  ZRegisterRunnerResponseSchema,
  ZRunnerStandingSchema,
  ZWhoAmIResponseSchema,
} from "@/lib/protocol/runner-api";
import { createTRPCRouter, publicProcedure, tokenProcedure } from "@/server/api/trpc";
import { registerRunner } from "@/server/services/runners/register-runner";
import { listRunners } from "@/server/services/runners/list-runners";

export const runnerRouter = createTRPCRouter({
  whoami: tokenProcedure("task:pull")
    .output(ZWhoAmIResponseSchema)
    .query(({ ctx }) => ({
      userId: ctx.token.userId,
      userName: ctx.token.userName,
      scopes: ctx.token.scopes,
      tokenPrefix: ctx.token.prefix,
    })),

  register: tokenProcedure("task:pull")
    .input(ZRegisterRunnerRequestSchema)
    .output(ZRegisterRunnerResponseSchema)
    .mutation(({ ctx, input }) =>
      registerRunner({
        db: ctx.db,
        ownerId: ctx.token.userId,
        name: input.name,
        publicKey: input.publicKey,
        gpu: input.gpu,
        now: ctx.clock.now(),
      }),
    ),

  standing: tokenProcedure("task:pull")
    .input(z.object({ runnerId: z.string().min(1).max(64) }))
    .output(ZRunnerStandingSchema)
    .query(async ({ ctx, input }) => {
      const [runner] = await listRunners({ db: ctx.db, now: ctx.clock.now(), epochMinutes: env.EPOCH_MINUTES, ownerId: ctx.token.userId, runnerId: input.runnerId });
      if (!runner) throw new AppError("NOT_FOUND", "This runner is not registered to your account.", { field: "runnerId" });
      return runner;
    }),

  list: publicProcedure.query(({ ctx }) => listRunners({ db: ctx.db, now: ctx.clock.now(), epochMinutes: env.EPOCH_MINUTES })),
});
