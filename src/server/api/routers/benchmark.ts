import { z } from "zod";
import { env } from "@/env";
import { adminProcedure, createTRPCRouter, publicProcedure, userOrTokenProcedure } from "@/server/api/trpc";
import { rejectCommunityBenchmark } from "@/server/services/benchmarks/community/reject-community-benchmark";
import { createCommunityBenchmark } from "@/server/services/benchmarks/community/create-community-benchmark";
import { retryCanaries } from "@/server/services/benchmarks/community/retry-canaries";
import { ZSaveBenchmarkRequestSchema } from "@/server/services/benchmarks/benchmark-input";
import { listBenchmarkCatalog } from "@/server/services/benchmarks/list-benchmark-catalog";
import { saveBenchmark } from "@/server/services/benchmarks/save-benchmark";

export const benchmarkRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => listBenchmarkCatalog({ db: ctx.db })),

  /** Adds a registry benchmark to the database, or changes its consensus settings (admins, `benchmark:create`). */
  create: userOrTokenProcedure("benchmark:create")
    .input(ZSaveBenchmarkRequestSchema)
    .mutation(({ ctx, input }) =>
      saveBenchmark({
        db: ctx.db,
        actor: { id: ctx.user.id, role: ctx.user.role, tokenScopes: ctx.token?.scopes ?? null },
        input,
      }),
    ),

  /**
   * Creates a community benchmark from a definition (admins, `benchmark:create`): refused with field-level errors
   * (`data.fieldErrors`) and nothing stored, or stored in probation with its canary tasks.
   */
  createCommunity: userOrTokenProcedure("benchmark:create")
    // The definition is validated by the service, which reports every field at fault (definition.ts).
    .input(z.record(z.string(), z.unknown()))
    .mutation(({ ctx, input }) =>
      createCommunityBenchmark({
        db: ctx.db,
        actor: { id: ctx.user.id, role: ctx.user.role, tokenScopes: ctx.token?.scopes ?? null },
        input,
        now: ctx.clock.now(),
        epochMinutes: env.EPOCH_MINUTES,
        referenceModels: env.COMMUNITY_REFERENCE_MODELS,
      }),
    ),

  /**
   * Runs a community benchmark's failed or disputed canary tasks again, in a later epoch (its creator or admins;
   * at most MAX_CANARY_RETRIES per version).
   */
  retryCanaries: userOrTokenProcedure("benchmark:create")
    .input(z.object({ id: z.string().min(3).max(60) }))
    .mutation(({ ctx, input }) =>
      retryCanaries({ db: ctx.db, actor: ctx.user, id: input.id, now: ctx.clock.now(), epochMinutes: env.EPOCH_MINUTES }),
    ),

  /** Rejects a community benchmark (admins): REJECTED with the reason, off the schedule and the board. */
  rejectCommunity: adminProcedure
    .input(z.object({ id: z.string().min(3).max(60), reason: z.string().trim().min(3).max(500) }))
    .mutation(({ ctx, input }) => rejectCommunityBenchmark({ db: ctx.db, actor: ctx.user, id: input.id, reason: input.reason, now: ctx.clock.now() })),
});
