import { z } from "zod";
import { createTRPCRouter, signedInProcedure } from "@/server/api/trpc";
import { createToken, listTokens, revokeToken } from "@/server/services/tokens/manage-tokens";
import { ZCreateTokenRequestSchema } from "@/server/services/tokens/token-input";

export const tokenRouter = createTRPCRouter({
  create: signedInProcedure
    .input(ZCreateTokenRequestSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.rateLimits?.consume("tokenCreate", ctx.user.id);
      return createToken({ db: ctx.db, actor: ctx.user, name: input.name, scopes: input.scopes });
    }),
  list: signedInProcedure.query(({ ctx }) => listTokens({ db: ctx.db, actorId: ctx.user.id })),
  revoke: signedInProcedure
    .input(z.object({ id: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      await revokeToken({ db: ctx.db, actorId: ctx.user.id, tokenId: input.id, now: ctx.clock.now() });
      return { ok: true as const };
    }),
});
