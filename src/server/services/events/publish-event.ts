/**
 * State changes are appended to the Event table and announced with NOTIFY on the `quorum_events` channel, in the
 * same transaction as the change: listeners hear of it exactly when it commits. A reconnecting client resumes from
 * the last event id it saw (see the live-updates subscription).
 */
import { Prisma } from "@/generated/prisma/client";

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
  | "model.registered";

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

/**
 * NOTIFY for an event that is already committed, as a transaction of its own: it writes no WAL, so the global
 * notification lock is held only for a moment. For hot paths (claims); everything else notifies in-transaction.
 */
export async function notifyCommitted(
  pool: { query: (config: { name: string; text: string; values: unknown[] }) => Promise<unknown> },
  event: StoredEvent,
): Promise<void> {
  await pool.query({
    name: "quorum_notify_v1",
    text: "SELECT pg_notify($1, $2)",
    values: [EVENTS_CHANNEL, JSON.stringify(event)],
  });
}
