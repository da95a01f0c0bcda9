import { z } from "zod";
import { env } from "@/env";
import {
  ZClaimTaskRequestSchema,
  ZClaimTaskResponseSchema,
  ZClaimTokenRequestSchema,
  ZHeartbeatResponseSchema,
  ZReleaseClaimRequestSchema,
  ZSubmitResultRequestSchema,
  ZSubmitResultResponseSchema,
} from "@/lib/protocol/runner-api";
import { createTRPCRouter, publicProcedure, tokenProcedure } from "@/server/api/trpc";
import { claimTask } from "@/server/services/tasks/claim-task";
import { areTestDoublesAllowed, assertRealEngine } from "@/server/services/test-doubles/test-doubles";
import { listTasks } from "@/server/services/tasks/list-tasks";
import { heartbeatClaim, releaseClaim } from "@/server/services/tasks/manage-claim";
import { submitResult } from "@/server/services/tasks/submit-result";
import { trustSettingsFromEnv } from "@/server/services/trust/trust-settings";

/** How long an idle runner waits before asking again. */
const IDLE_RETRY_SECONDS = 30;

export const taskRouter = createTRPCRouter({
  claim: tokenProcedure("task:pull")
    .input(ZClaimTaskRequestSchema)
    .output(ZClaimTaskResponseSchema)
    .mutation(async ({ ctx, input }) => {
      assertRealEngine(input.engine, areTestDoublesAllowed());
      const { claim, notice, bundle } = await claimTask({
        db: ctx.db,
        actorUserId: ctx.token.userId,
        runnerId: input.runnerId,
        engine: input.engine,
        gpu: input.gpu,
        maxContextTokens: input.maxContextTokens,
        now: ctx.clock.now(),
        leaseMinutes: env.LEASE_MINUTES,
        trust: trustSettingsFromEnv(),
        random: ctx.random,
        bundle: input.bundle,
        warmModelId: input.warmModelId,
      });
      return { claim, notice, retryAfterSeconds: claim ? 0 : IDLE_RETRY_SECONDS, ...(bundle ? { bundle } : {}) };
    }),

  heartbeat: tokenProcedure("task:pull")
    .input(ZClaimTokenRequestSchema)
    .output(ZHeartbeatResponseSchema)
    .mutation(({ ctx, input }) =>
      heartbeatClaim({
        db: ctx.db,
        actorUserId: ctx.token.userId,
        claimToken: input.claimToken,
        now: ctx.clock.now(),
        leaseMinutes: env.LEASE_MINUTES,
        maxLeaseMinutes: env.MAX_LEASE_MINUTES,
      }),
    ),

  release: tokenProcedure("task:pull")
    .input(ZReleaseClaimRequestSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await releaseClaim({
        db: ctx.db,
        actorUserId: ctx.token.userId,
        claimToken: input.claimToken,
        kind: input.kind,
        cause: input.cause ?? "other",
        reason: input.reason,
        now: ctx.clock.now(),
      });
      return { ok: true as const };
    }),

  submit: tokenProcedure("task:submit")
    .input(ZSubmitResultRequestSchema)
    .output(ZSubmitResultResponseSchema)
    .mutation(({ ctx, input }) =>
      submitResult({
        db: ctx.db,
        actorUserId: ctx.token.userId,
        request: input,
        now: ctx.clock.now(),
        maxSkewSeconds: env.SIGNATURE_MAX_SKEW_S,
        trust: trustSettingsFromEnv(),
      }),
    ),

  list: publicProcedure
    .input(z.object({ status: z.enum(["QUEUED", "RUNNING", "VALIDATING", "ACCEPTED", "DISPUTED", "FAILED"]).optional() }).optional())
    .query(({ ctx, input }) => listTasks({ db: ctx.db, now: ctx.clock.now(), status: input?.status })),
});
