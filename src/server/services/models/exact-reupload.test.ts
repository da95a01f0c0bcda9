/**
 * Exact re-uploads refused at registration, on PostgreSQL, with the Hub test double (the machine cannot reach the
 * Hugging Face Hub): same weight files under a new name are refused naming the original; new weights pass; a Hub
 * that does not answer does not block registration.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSafetensors, startHubDouble, type HubDouble } from "../../../../runner/src/hf/test-helpers/hub-double";
import { listWeightFileHashes } from "@/server/services/models/exact-reupload";
import { registerModel } from "@/server/services/models/register-model";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser } from "@/test/fixtures";

let database: TestDatabase;
let hub: HubDouble;
const weights = fakeSafetensors(4096, 7);
const commit = (c: string) => c.repeat(40);

beforeAll(async () => {
  database = await createTestDatabase();
  hub = await startHubDouble([
    { repo: "alice/original", commit: commit("a"), files: [{ path: "config.json", content: "{}" }, { path: "model.safetensors", content: weights, lfs: true }] },
    { repo: "mallory/renamed", commit: commit("b"), files: [{ path: "config.json", content: '{"x":1}' }, { path: "model.safetensors", content: weights, lfs: true }] },
    { repo: "bob/new", commit: commit("c"), files: [{ path: "model.safetensors", content: fakeSafetensors(4096, 8), lfs: true }] },
  ]);
});
afterAll(async () => {
  await hub.close();
  await database.drop();
});

async function register(repo: string, revision: string, hubUrl = hub.url) {
  const admin = await createUser(database.db, undefined, "ADMIN");
  return registerModel({
    db: database.db,
    actor: admin,
    input: { repo, revision, weightType: "ORIGINAL", baseModel: undefined, precision: "BFLOAT16" },
    now: new Date(),
    normRequired: 0,
    normWindowHours: 24,
    epochMinutes: 60,
    listWeightFileHashes: (r, rev) => listWeightFileHashes({ hubUrl, repo: r, revision: rev }),
  });
}

describe("exact re-uploads", () => {
  it("refuses the same weight files under another name, naming the original, and stores nothing", async () => {
    const original = await register("alice/original", commit("a"));
    expect((await database.db.model.findUniqueOrThrow({ where: { id: original.id } })).weightFileHashes).toHaveLength(1);
    await expect(register("mallory/renamed", commit("b"))).rejects.toThrow(/byte for byte those of alice\/original@aaaaaaa/);
    expect(await database.db.model.count({ where: { repo: "mallory/renamed" } })).toBe(0);
    await expect(register("bob/new", commit("c"))).resolves.toMatchObject({ id: expect.any(String) });
  });

  it("registers without the check when the Hub does not answer", async () => {
    await expect(register("carol/offline", commit("d"), "http://127.0.0.1:9")).resolves.toMatchObject({ id: expect.any(String) });
  });
});
