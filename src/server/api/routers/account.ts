import { env } from "@/env";
import { createTRPCRouter, signedInProcedure } from "@/server/api/trpc";
import { getAccount } from "@/server/services/account/get-account";

export const accountRouter = createTRPCRouter({
  get: signedInProcedure.query(({ ctx }) =>
    getAccount({
      db: ctx.db,
      actor: ctx.user,
      now: ctx.clock.now(),
      normRequired: env.NORM_REQUIRED,
      normWindowHours: env.NORM_WINDOW_H,
      epochMinutes: env.EPOCH_MINUTES,
    }),
  ),
});
