import { tracked, TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { getEventListener, type LiveEvent } from "@/server/events/event-listener";

/** Events missed while disconnected are replayed from the Event table, up to this many. */
const MAX_REPLAY = 500;

/**
 * Events waiting for a client that does not read (its socket is full, so the stream is not pulled). Past this many
 * the client is dropped instead of buffered without bound; a real client reconnects and resumes from its last id.
 */
export const MAX_PENDING_EVENTS = 1000;

/** The emitter's events as an iterable with a bounded queue; `isDropped` turns true when the queue overflowed. */
function boundedEvents(emitter: NodeJS.EventEmitter, signal: AbortSignal | undefined) {
  const queue: LiveEvent[] = [];
  let wake: (() => void) | null = null;
  let isDropped = false;
  const onEvent = (event: LiveEvent) => {
    if (queue.length >= MAX_PENDING_EVENTS) {
      isDropped = true;
      queue.length = 0;
      emitter.off("event", onEvent);
    } else {
      queue.push(event);
    }
    wake?.();
  };
  const onAbort = () => wake?.();
  emitter.on("event", onEvent);
  signal?.addEventListener("abort", onAbort);
  return {
    get isDropped() {
      return isDropped;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<LiveEvent> {
      try {
        while (!signal?.aborted && !isDropped) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
        }
      } finally {
        emitter.off("event", onEvent);
        signal?.removeEventListener("abort", onAbort);
      }
    },
  };
}

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
      const live = boundedEvents(listener.emitter, signal);
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
      for await (const event of live) {
        const id = BigInt(event.id);
        if (lastId !== null && id <= lastId) continue;
        lastId = id;
        yield tracked(event.id, { ...event, at: new Date().toISOString() });
      }
      if (live.isDropped) {
        throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "This live connection fell too far behind and was closed; reconnect to resume." });
      }
    }),
});
