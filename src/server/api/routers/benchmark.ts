import { createTRPCRouter, publicProcedure, userOrTokenProcedure } from "@/server/api/trpc";
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
});
