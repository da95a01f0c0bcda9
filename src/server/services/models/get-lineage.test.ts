/**
 * Lineage on a real PostgreSQL: an adapter links to its registered base model, the base lists what was derived from
 * it, the family tree reaches grandchildren, and a withdrawal by the author keeps the member in the tree, marked.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser, TestClock, userCaller } from "@/test/fixtures";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

it("links base and derived models, draws the family tree, and keeps a withdrawn member in it", async () => {
  const clock = new TestClock(new Date());
  const author = await createUser(database.db, "lineage-author", "ADMIN");
  const caller = await userCaller(database.db, author, clock);
  const base = await caller.model.register({ repo: "org/base", revision: "a".repeat(40), weightType: "ORIGINAL", precision: "BFLOAT16" });
  const adapter = await caller.model.register({
    repo: "org/base-lora", revision: "b".repeat(40), weightType: "ADAPTER", precision: "BFLOAT16", baseModel: `org/base@${"a".repeat(40)}`,
  });
  const grandchild = await caller.model.register({
    repo: "org/base-lora-merged", revision: "c".repeat(40), weightType: "DELTA", precision: "BFLOAT16", baseModel: `org/base-lora@${"b".repeat(40)}`,
  });
  const stranger = await userCaller(database.db, await createUser(database.db, "lineage-stranger"), clock);

  const ofAdapter = (await stranger.model.lineage({ id: adapter.id }))!;
  expect(ofAdapter.base?.repo).toBe("org/base");
  expect(ofAdapter.derived.map((m) => m.repo)).toEqual(["org/base-lora-merged"]);
  expect(ofAdapter.tree.repo).toBe("org/base");
  expect(ofAdapter.tree.children.map((c) => c.repo)).toEqual(["org/base-lora"]);
  expect(ofAdapter.tree.children[0]!.children.map((c) => c.repo)).toEqual(["org/base-lora-merged"]);
  expect(ofAdapter.memberCount).toBe(3);

  // Someone else cannot withdraw the author's model; the author can, with a reason that the tree shows.
  await expect(stranger.moderation.model({ modelId: grandchild.id, action: "withdraw", reason: "not mine" })).rejects.toThrow(/author or an admin/);
  await caller.moderation.model({ modelId: grandchild.id, action: "withdraw", reason: "superseded by v2" });
  const ofBase = (await stranger.model.lineage({ id: base.id }))!;
  const withdrawn = ofBase.tree.children[0]!.children[0]!;
  expect(withdrawn).toMatchObject({ repo: "org/base-lora-merged", status: "WITHDRAWN", statusReason: "superseded by v2" });
  expect((await stranger.leaderboard.get()).entries.map((e) => e.repo)).not.toContain("org/base-lora-merged");

  // Energy is "not measured" (null), never zero, for a model no runner measured.
  expect((await stranger.model.green({ id: base.id })).energy).toBeNull();
});
