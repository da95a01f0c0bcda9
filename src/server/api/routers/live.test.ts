/**
 * Live events over LISTEN/NOTIFY on a real PostgreSQL: a subscriber hears a state change when it commits, and a
 * reconnecting subscriber that passes its last event id gets what it missed, in order, without duplicates.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { MAX_PENDING_EVENTS } from "@/server/api/routers/live";
import { getEventListener } from "@/server/events/event-listener";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, TestClock, userCaller } from "@/test/fixtures";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
});
afterAll(async () => {
  await getEventListener().close();
  await database.drop();
});

type Tracked = { id: string; data: { id: string; kind: string; modelId: string | null; taskId: string | null } };

async function take(iterable: AsyncIterable<unknown>, count: number): Promise<Tracked[]> {
  const received: Tracked[] = [];
  for await (const item of iterable) {
    // The server-side caller yields tracked events as [id, data] envelopes (over HTTP they arrive as {id, data}).
    const [id, data] = item as [string, Tracked["data"]];
    received.push({ id, data });
    if (received.length >= count) break;
  }
  return received;
}

it("publishes committed changes to subscribers and replays missed events after a reconnect", async () => {
  const clock = new TestClock();
  const admin = await createUser(database.db, "live-admin", "ADMIN");
  const adminCaller = await userCaller(database.db, admin, clock);
  const viewer = await userCaller(database.db, null, clock);

  // The subscription starts listening when first read; with the listener already connected that happens before
  // the registration below can commit.
  await getEventListener().ensureConnected();
  const subscription = await viewer.live.events(undefined);
  const receiving = take(subscription, 3);
  const model = await adminCaller.model.register({
    repo: "org/live-model",
    revision: "b".repeat(40),
    weightType: "ORIGINAL",
    precision: "BFLOAT16",
  });
  const first = await receiving;
  expect(first.map((e) => e.data.kind)).toEqual(["model.registered", "task.created", "task.created"]);
  expect(first.every((e) => e.data.modelId === model.id)).toBe(true);
  expect(first[0]!.id).toBe(first[0]!.data.id);

  // While nobody listens, a runner claims a task; a client resuming from the last id it saw gets exactly that.
  const runner = await createRunner(database.db, await createUser(database.db), clock);
  const { claim } = await runner.caller.task.claim({ runnerId: runner.runnerId, engine: "vllm" });
  expect(claim).not.toBeNull();
  const resumed = await viewer.live.events({ lastEventId: first[2]!.id });
  const missed = await take(resumed, 1);
  expect(missed.map((e) => [e.data.kind, e.data.taskId])).toEqual([["task.claimed", claim!.task.id]]);
  expect(BigInt(missed[0]!.id)).toBeGreaterThan(BigInt(first[2]!.id));
});

it("drops a subscriber that does not read instead of buffering events without bound", async () => {
  const viewer = await userCaller(database.db, null, new TestClock());
  await getEventListener().ensureConnected();
  const subscription = await viewer.live.events(undefined);
  const iterator = (subscription as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  // The first read starts the subscription; it waits for an event.
  const emitter = getEventListener().emitter;
  const listening = emitter.listenerCount("event");
  const first = iterator.next();
  while (emitter.listenerCount("event") === listening) await new Promise((resolve) => setImmediate(resolve));
  emitter.emit("event", { id: "900000000", kind: "test", taskId: null, modelId: null });
  await first;
  const before = emitter.listenerCount("event");
  for (let i = 1; i <= MAX_PENDING_EVENTS + 10; i += 1) {
    emitter.emit("event", { id: String(900000000 + i), kind: "test", taskId: null, modelId: null });
  }
  // Past the cap the subscriber stopped listening; reading again ends it with an error the client reconnects after.
  expect(emitter.listenerCount("event")).toBeLessThan(before);
  await expect(
    (async () => {
      for (;;) if ((await iterator.next()).done) return "ended";
    })(),
  ).rejects.toThrow(/fell too far behind/);
});
