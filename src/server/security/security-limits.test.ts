/** The limits at the door: body and batch caps, live connection slots, and rate limits stored in PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.RATE_IP_PER_MIN = "5";
  process.env.MAX_BODY_BYTES = "10000";
});

import { createTrpcHttpHandler } from "@/server/api/http-handler";
import { poolOf } from "@/server/db";
import { createLiveSlots, onStreamEnd } from "@/server/security/live-connections";
import { createRateLimits } from "@/server/security/rate-limits";
import { batchSizeOf, readBoundedBody, RequestTooLargeError } from "@/server/security/request-limits";
import { createTestDatabase, type TestDatabase } from "@/test/db";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe("request body and batch caps", () => {
  it("refuses a declared body over the cap unread, and a chunked one as soon as it passes the cap", async () => {
    const declared = new Request("http://x/api/trpc/a", { method: "POST", headers: { "content-length": "2000" }, body: "x".repeat(10) });
    await expect(readBoundedBody(declared, 1000)).rejects.toBeInstanceOf(RequestTooLargeError);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(256));
      },
    });
    const chunked = new Request("http://x/api/trpc/a", { method: "POST", body: endless, duplex: "half" } as RequestInit);
    await expect(readBoundedBody(chunked, 1000)).rejects.toBeInstanceOf(RequestTooLargeError);
    expect(pulled).toBeLessThan(10);
    const fine = new Request("http://x/api/trpc/a", { method: "POST", body: "{}" });
    expect(new TextDecoder().decode((await readBoundedBody(fine, 1000))!)).toBe("{}");
  });

  it("counts the calls of a batch", () => {
    expect(batchSizeOf(new URL("http://x/api/trpc/a,b,c?batch=1"))).toBe(3);
    expect(batchSizeOf(new URL("http://x/api/trpc/a"))).toBe(1);
  });
});

describe("live connection slots", () => {
  it("caps connections per client and in total, and frees a slot when the stream ends", async () => {
    const slots = createLiveSlots({ perClient: 2, total: 3 });
    const a1 = slots.acquire("a")!;
    expect(slots.acquire("a")).not.toBeNull();
    expect(slots.acquire("a")).toBeNull();
    expect(slots.acquire("b")).not.toBeNull();
    expect(slots.acquire("c")).toBeNull();
    const stream = onStreamEnd(new ReadableStream({ start: (c) => c.close() }), a1);
    await stream.getReader().read();
    expect(slots.total).toBe(2);
    expect(slots.acquire("c")).not.toBeNull();
  });
});

describe("rate limits in PostgreSQL", () => {
  it("refuses past the limit with a retry time, per key, and shares counts between instances", async () => {
    const rules = {
      mutationUser: { points: 3, durationS: 60, what: "changes from this account" },
      mutationIp: { points: 100, durationS: 60, what: "x" },
      signInIp: { points: 100, durationS: 60, what: "x" },
      tokenCreate: { points: 100, durationS: 3600, what: "x" },
    };
    const one = createRateLimits(poolOf(database.db), rules);
    const other = createRateLimits(poolOf(database.db), rules);
    await one.consume("mutationUser", "user-1");
    await other.consume("mutationUser", "user-1");
    await one.consume("mutationUser", "user-1");
    await expect(other.consume("mutationUser", "user-1")).rejects.toMatchObject({
      code: "RATE_LIMITED",
      message: expect.stringMatching(/Too many changes from this account: at most 3 per minute\. Try again in \d+ s\./),
    });
    await expect(one.consume("mutationUser", "user-2")).resolves.toBeUndefined();
    const { rows } = await poolOf(database.db).query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = 'mutationUser:user-1'`);
    expect(rows[0]!.points).toBeGreaterThanOrEqual(4);
  });
});

describe("the /api/trpc door", () => {
  it("answers oversized bodies with 413, batches over the cap and NUL characters with 400, and floods with 429", async () => {
    const handler = createTrpcHttpHandler({ getDb: () => database.db, getUser: async () => null });
    const send = (path: string, init: RequestInit = {}) =>
      handler(new Request(`http://localhost/api/trpc/${path}`, { headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.7" }, ...init }));
    const big = await send("model.register", { method: "POST", body: JSON.stringify({ json: { repo: "x".repeat(20_000) } }) });
    expect(big.status).toBe(413);
    const batch = await send(`${Array.from({ length: 11 }, () => "leaderboard.get").join(",")}?batch=1&input=%7B%7D`);
    expect(batch.status).toBe(400);
    expect(await batch.text()).toContain("at most 10 calls");
    const nul = await send(`model.get?input=${encodeURIComponent(JSON.stringify({ json: { id: "a\u0000b" } }))}`);
    expect(nul.status).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await send("token.revoke", { method: "POST", body: JSON.stringify({ json: { id: "x" } }) })).status);
    }
    // Anonymous: 401 until the address is over its limit, then 429.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });
});
