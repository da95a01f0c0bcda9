import { on } from "node:events";
import { tracked } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { getEventListener, type LiveEvent } from "@/server/events/event-listener";

/** Events missed while disconnected are replayed from the Event table, up to this many. */
const MAX_REPLAY = 500;

export const liveRouter = createTRPCRouter({
  /**
   * Every state change, as it commits (SSE). Each event is `tracked` by its id, so a reconnecting client sends
   * `lastEventId` and resumes where it left off.
   */
  events: publicProcedure
    .input(z.object({ lastEventId: z.string().regex(/^\d+$/).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      const listener = getEventListener();
      await listener.ensureConnected();
      // Start listening before reading the backlog, so nothing falls between the two.
      const live = on(listener.emitter, "event", { signal });
      let lastId = input?.lastEventId ? BigInt(input.lastEventId) : null;
      if (lastId !== null) {
        const missed = await ctx.db.event.findMany({
          where: { id: { gt: lastId } },
          orderBy: { id: "asc" },
          take: MAX_REPLAY,
          select: { id: true, kind: true, taskId: true, modelId: true, createdAt: true },
        });
        for (const event of missed) {
          lastId = event.id;
          yield tracked(event.id.toString(), {
            id: event.id.toString(),
            kind: event.kind,
            taskId: event.taskId,
            modelId: event.modelId,
            at: event.createdAt.toISOString(),
          });
        }
      }
      for await (const [event] of live as AsyncIterable<[LiveEvent]>) {
        const id = BigInt(event.id);
        if (lastId !== null && id <= lastId) continue;
        lastId = id;
        yield tracked(event.id, { ...event, at: new Date().toISOString() });
      }
    }),
});
