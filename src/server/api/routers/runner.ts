import { env } from "@/env";
import {
  ZRegisterRunnerRequestSchema,
  ZRegisterRunnerResponseSchema,
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

  list: publicProcedure.query(({ ctx }) => listRunners({ db: ctx.db, now: ctx.clock.now(), epochMinutes: env.EPOCH_MINUTES })),
});
