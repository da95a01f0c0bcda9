import { z } from "zod";
import { createTRPCRouter, publicProcedure, userOrTokenProcedure } from "@/server/api/trpc";
import { ZSaveCompetitionRequestSchema } from "@/server/services/competitions/competition-input";
import { getCompetition, listCompetitions } from "@/server/services/competitions/get-competition";
import { saveCompetition } from "@/server/services/competitions/save-competition";

export const competitionRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => listCompetitions({ db: ctx.db })),

  get: publicProcedure
    .input(z.object({ slug: z.string().trim().min(1).max(63), version: z.number().int().min(1).optional() }))
    .query(({ ctx, input }) => getCompetition({ db: ctx.db, slug: input.slug, version: input.version })),

  /** Creates a competition or changes it (a change of rules is a new version). Admins, or `benchmark:create`. */
  save: userOrTokenProcedure("benchmark:create")
    .input(ZSaveCompetitionRequestSchema)
    .mutation(({ ctx, input }) =>
      saveCompetition({
        db: ctx.db,
        actor: { id: ctx.user.id, role: ctx.user.role, tokenScopes: ctx.token?.scopes ?? null },
        input,
      }),
    ),
});
