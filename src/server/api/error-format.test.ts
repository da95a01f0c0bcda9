/** The error shape clients see over HTTP: a duplicate registration names the existing model for the form's link. */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import type { SessionUser } from "@/server/auth/users";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser, TestClock } from "@/test/fixtures";

let database: TestDatabase;
let admin: SessionUser;

beforeAll(async () => {
  database = await createTestDatabase();
  admin = await createUser(database.db, undefined, "ADMIN");
});
afterAll(async () => database.drop());

async function post(path: string, input: unknown, user: SessionUser | null) {
  const req = new Request(`http://localhost/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(superjson.serialize(input)),
  });
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createTRPCContext({ db: database.db, headers: req.headers, getUser: async () => user, clock: new TestClock() }),
  });
  return { status: response.status, body: (await response.json()) as { error?: { json: { message: string; data: Record<string, unknown> } } } };
}

describe("the error formatter", () => {
  const model = { repo: "org/twice", revision: "e".repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16" };

  it("adds existingModelId to a duplicate repo@commit (409), on the revision field", async () => {
    const first = await post("model.register", model, admin);
    expect(first.status).toBe(200);
    const existing = await database.db.model.findFirstOrThrow({ where: { repo: "org/twice" } });
    const second = await post("model.register", model, admin);
    expect(second.status).toBe(409);
    expect(second.body.error?.json.data).toMatchObject({
      quorumCode: "CONFLICT",
      field: "revision",
      existingModelId: existing.id,
    });
    expect(second.body.error?.json.message).toBe("org/twice@eeeeeee is already registered.");
  });

  it("leaves existingModelId null elsewhere and passes zod's field errors", async () => {
    const bad = await post("model.register", { ...model, revision: "main" }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.json.data).toMatchObject({
      quorumCode: "VALIDATION",
      existingModelId: null,
      zodError: { fieldErrors: { revision: [expect.stringMatching(/40-character commit hash/)] } },
    });
    const anonymous = await post("model.register", model, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.json.data).toMatchObject({ quorumCode: "UNAUTHENTICATED", existingModelId: null });
  });
});
