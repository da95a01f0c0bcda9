/**
 * State changes are appended to the Event table and announced with NOTIFY on the `quorum_events` channel, in the
 * same transaction as the change: listeners hear of it exactly when it commits. A reconnecting client resumes from
 * the last event id it saw (see the live-updates subscription).
 */
import { Prisma } from "@/generated/prisma/client";
import { batcherPerKey, createMicroBatcher } from "@/server/services/micro-batcher";

export const EVENTS_CHANNEL = "quorum_events";

export type EventKind =
  | "task.created"
  | "task.claimed"
  | "task.released"
  | "task.expired"
  | "task.failed"
  | "result.submitted"
  | "task.accepted"
  | "task.disputed"
  | "model.registered"
  | "model.moderated";

export interface EventInput {
  kind: EventKind;
  taskId?: string | null;
  modelId?: string | null;
  payload?: Record<string, unknown>;
}

/** Anything that can run raw SQL: the client or an interactive transaction. */
export interface RawSql {
  $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Prisma.PrismaPromise<T>;
}

export interface StoredEvent {
  id: string;
  kind: EventKind;
  taskId: string | null;
  modelId: string | null;
}

/** Appends events without notifying; send `notifyCommitted` for each once the transaction has committed. */
export async function insertEvents(tx: RawSql, events: EventInput[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  return tx.$queryRaw<StoredEvent[]>`
    INSERT INTO "Event" (kind, "taskId", "modelId", payload)
    VALUES ${eventValues(events)}
    RETURNING id::text AS id, kind, "taskId", "modelId"`;
}

function eventValues(events: EventInput[]): Prisma.Sql {
  return Prisma.join(
    events.map(
      (event) =>
        Prisma.sql`(${event.kind}, ${event.taskId ?? null}, ${event.modelId ?? null}, ${JSON.stringify(event.payload ?? {})}::jsonb)`,
    ),
  );
}

/** Appends events and notifies listeners, in one statement. Call inside the transaction that made the change. */
export async function publishEvents(tx: RawSql, events: EventInput[]): Promise<void> {
  if (events.length === 0) return;
  await tx.$queryRaw`
    WITH inserted AS (
      INSERT INTO "Event" (kind, "taskId", "modelId", payload)
      VALUES ${eventValues(events)}
      RETURNING id, kind, "taskId", "modelId"
    )
    SELECT count(*)::int AS notified FROM (
      SELECT pg_notify(${EVENTS_CHANNEL}, json_build_object('id', id::text, 'kind', kind, 'taskId', "taskId", 'modelId', "modelId")::text)
      FROM inserted
    ) AS notifications`;
}

type NotifyPool = { query: (config: { name: string; text: string; values: unknown[] }) => Promise<unknown> };

const notifierOf = batcherPerKey((pool: NotifyPool) =>
  createMicroBatcher<string, void>({
    maxBatch: 500,
    maxInFlight: 1, // one batch at a time keeps notifications in commit order
    run: async (payloads) => {
      await pool.query({
        name: "quorum_notify_batch_v1",
        // unnest yields the payloads in array order, so notifications leave in the order they were queued.
        text: "SELECT count(pg_notify($1, payload))::int AS sent FROM unnest($2::text[]) AS payload",
        values: [EVENTS_CHANNEL, payloads],
      });
      return payloads.map(() => undefined);
    },
  }),
);

/**
 * NOTIFY for events that are already committed, as a transaction of their own: it writes no WAL, so the global
 * notification lock is held only for a moment. For hot paths (claims, submissions).
 *
 * Concurrent callers share round trips (see micro-batcher): events queued while a batch is on its way leave
 * together, in order, as the next one. The promise settles once the batch holding this event has been sent, so a
 * caller that awaits it knows listeners have been told.
 */
export function notifyCommitted(pool: NotifyPool, event: StoredEvent): Promise<void> {
  return notifierOf(pool).submit(JSON.stringify(event));
}
