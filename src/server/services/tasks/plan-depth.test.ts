/**
 * Adaptive depth through the real scheduler on PostgreSQL: tiers are prefixes of the epoch's shared sample (paired
 * comparisons hold), the plan and its reason are stored once per epoch, and fixed depth is unchanged without it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_DEPTH_SETTINGS } from "@/lib/scheduling/adaptive-depth";
import { scheduleTasks } from "@/server/services/tasks/schedule-tasks";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser } from "@/test/fixtures";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

it("gives unresolved models deeper tasks on the same item window and explains each model's tier", async () => {
  const db = database.db;
  const owner = await createUser(db, "depth-owner");
  await db.model.createMany({
    data: ["a", "b", "c"].map((name, i) => ({ id: `depth-${name}`, repo: `org/depth-${name}`, revision: String(i).repeat(40), submitterId: owner.id })),
  });
  const benchmark = (await db.benchmark.findFirstOrThrow({ where: { isActive: true } })).id;
  // a and b close and uncertain; c far away and sure.
  const row = (modelId: string, mean: number, half: number) => ({
    modelId, benchmarkId: benchmark, metrics: {}, mean, n: 10, lo: mean - half, hi: mean + half, acceptedTasks: 1,
  });
  await db.leaderboardRow.createMany({ data: [row("depth-a", 0.5, 0.2), row("depth-b", 0.6, 0.2), row("depth-c", 0.98, 0.001)] });

  const now = new Date(Date.UTC(2026, 11, 3, 10, 5));
  await scheduleTasks({ db, now, epochMinutes: 60, depth: DEFAULT_DEPTH_SETTINGS, modelIds: ["depth-a", "depth-b", "depth-c"] });
  const tasks = await db.task.findMany({ where: { benchmarkId: benchmark, modelId: { startsWith: "depth-" } } });
  const items = new Map(tasks.map((t) => [t.modelId, t.itemIds]));
  expect(items.get("depth-a")).toHaveLength(100);
  expect(items.get("depth-c")).toHaveLength(5);
  // The shallow task's items are the first items of the deep one: every model shares the window it evaluated.
  expect(items.get("depth-a")!.slice(0, 5)).toEqual(items.get("depth-c"));
  expect(items.get("depth-b")).toEqual(items.get("depth-a"));

  const plans = await db.depthPlan.findMany({ where: { benchmarkId: benchmark }, orderBy: { modelId: "asc" } });
  expect(plans.map((p) => [p.modelId, p.items, p.settledEpochs])).toEqual([["depth-a", 100, 0], ["depth-b", 100, 0], ["depth-c", 5, 1]]);
  expect(plans[0]!.reason).toMatch(/^unresolved/);
  // A second run in the same epoch keeps the plan (settled epochs count epochs, not runs).
  await scheduleTasks({ db, now: new Date(now.getTime() + 60_000), epochMinutes: 60, depth: DEFAULT_DEPTH_SETTINGS });
  expect((await db.depthPlan.findUniqueOrThrow({ where: { modelId_benchmarkId: { modelId: "depth-c", benchmarkId: benchmark } } })).settledEpochs).toBe(1);
});
