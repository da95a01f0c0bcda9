import { adminProcedure, createTRPCRouter, signedInProcedure } from "@/server/api/trpc";
import {
  listAuditLog,
  moderateModel,
  moderateRunner,
  ZModerateModelRequestSchema,
  ZPauseRunnerRequestSchema,
} from "@/server/services/moderation/moderate";

export const moderationRouter = createTRPCRouter({
  runner: adminProcedure
    .input(ZPauseRunnerRequestSchema)
    .mutation(({ ctx, input }) => moderateRunner({ db: ctx.db, actor: ctx.user, request: input, now: ctx.clock.now() })),

  /** Admins: pause, resume, withdraw; authors: withdraw their own model. */
  model: signedInProcedure
    .input(ZModerateModelRequestSchema)
    .mutation(({ ctx, input }) => moderateModel({ db: ctx.db, actor: ctx.user, request: input, now: ctx.clock.now() })),

  auditLog: adminProcedure.query(({ ctx }) => listAuditLog({ db: ctx.db, actor: ctx.user })),
});
