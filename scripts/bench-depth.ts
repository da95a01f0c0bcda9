/**
 * `pnpm bench:depth`: adaptive depth against fixed depth, through the real scheduler (scheduleTasks with its depth
 * planner, epoch seeds and shared item windows) on a scratch PostgreSQL. 200 models with known true scores on each
 * active benchmark run for 48 epochs. Runners and consensus are simulated (named as such): every task the scheduler
 * creates is answered at once, item by item, by a model that gets an item right when a fixed per (model, item)
 * draw falls below its true score (so an item seen twice gets the same answer), and accepted; the board's row keeps
 * the pooled mean and Wilson interval as the real one does.
 *
 * Fixed depth: every model gets the top tier (100 items) every epoch, the depth adaptive gives an unresolved rank;
 * the middle tier (25 for everyone) is printed for reference. Adaptive: tiers 5/25/100
 * (src/lib/scheduling/adaptive-depth.ts, confidence 2.5 standard errors, resolution 5 points). A rank error is a pair of models whose true overall scores differ by at
 * least the resolution (5 points) and whose estimated order is the other way round. Prints, last:
 *   items_evaluated=<n> rank_errors=<n> vs_fixed_depth_items=<n>
 */
import { createHash } from "node:crypto";
import { listBenchmarks } from "../src/lib/benchmarks/registry";
import { wilsonInterval } from "../src/lib/benchmarks/aggregate";
import { DEFAULT_DEPTH_SETTINGS, type DepthSettings } from "../src/lib/scheduling/adaptive-depth";
import { createDb, type Db } from "../src/server/db";
import { scratchDatabase } from "../src/server/db/scratch-database";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { scheduleTasks } from "../src/server/services/tasks/schedule-tasks";

const MODELS = Number(process.env.BENCH_MODELS ?? 200);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 48);
const EPOCH_MINUTES = 60;
const SETTINGS: DepthSettings = {
  ...DEFAULT_DEPTH_SETTINGS,
  ...(process.env.DEPTH_CONFIDENCE ? { confidence: Number(process.env.DEPTH_CONFIDENCE) } : {}),
  ...(process.env.DEPTH_SKIP_AFTER_EPOCHS ? { skipAfterSettledEpochs: Number(process.env.DEPTH_SKIP_AFTER_EPOCHS) } : {}),
};
/** The comparison: every model at the deepest tier every epoch, the depth adaptive gives unresolved ranks. */
const FIXED_ITEMS = Number(process.env.BENCH_FIXED_ITEMS ?? SETTINGS.tiers[SETTINGS.tiers.length - 1]);
/** The benchmarks a fresh install schedules (gsm8k, truthfulqa_mc): the others start inactive. */
const SCHEDULED = listBenchmarks().filter((benchmark) => benchmark.activeByDefault !== false);
/** For reference: every model at the middle tier. */
const MIDDLE_ITEMS = SETTINGS.tiers[Math.floor((SETTINGS.tiers.length - 1) / 2)]!;

/** A deterministic uniform draw in [0, 1) from a text key. */
function draw(key: string): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * True scores. `families` (the default): as on the Hub, most registered models are fine-tunes and adapters of a
 * few bases: 20 families of 10, each family's ability uniform in [0.1, 0.9], members within 3 points of it, each
 * benchmark moving a model by up to 5 points. `uniform`: abilities spread evenly over [0.15, 0.85], the hardest case
 * for any adaptive scheme (every model has neighbours at every distance).
 */
const SCENARIO = process.env.BENCH_SCORES === "uniform" ? "uniform" : "families";
function trueScore(model: number, benchmark: string): number {
  const u = draw(`true/${model}/${benchmark}`);
  const v = draw(`true2/${model}/${benchmark}`);
  const ability =
    SCENARIO === "uniform"
      ? 0.15 + 0.7 * draw(`ability/${model}`)
      : 0.1 + 0.8 * draw(`family/${model % 20}`) + (draw(`member/${model}`) - 0.5) * 0.06;
  return Math.min(0.98, Math.max(0.02, ability + (u + v - 1) * 0.05));
}

interface RunResult {
  items: number;
  rankErrors: number;
  byItems: Map<number, number>;
}

async function run(db: Db, depth: DepthSettings | null, label: string, fixedItems = FIXED_ITEMS): Promise<RunResult> {
  await db.$executeRawUnsafe(`TRUNCATE "Task", "LeaderboardRow", "DepthPlan", "EpochSeed", "Event" CASCADE`);
  const benchmarks = SCHEDULED.map((b) => b.key);
  await db.benchmark.updateMany({ data: { itemsPerTask: depth ? SETTINGS.tiers[0]! : fixedItems } });
  const pooled = new Map<string, { right: number; n: number }>();
  const truth = new Map<string, number>();
  for (let m = 0; m < MODELS; m++) for (const b of benchmarks) truth.set(`m${m}|${b}`, trueScore(m, b));
  let items = 0;
  const byItems = new Map<number, number>();
  const start = Date.UTC(2026, 11, 1);
  // The same epoch seeds for both runs (so both see the same items); the scheduler takes stored seeds as they are.
  const firstEpoch = Math.floor(start / (EPOCH_MINUTES * 60_000));
  await db.epochSeed.createMany({
    data: Array.from({ length: EPOCHS + 4 }, (_, i) => {
      const seed = createHash("sha256").update(`bench-depth/epoch/${i}`).digest("hex");
      return { epoch: firstEpoch + i, seed, commitment: createHash("sha256").update(seed).digest("hex") };
    }),
  });
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const now = new Date(start + epoch * EPOCH_MINUTES * 60_000 + 1000);
    await scheduleTasks({ db, now, epochMinutes: EPOCH_MINUTES, depth });
    const tasks = await db.task.findMany({ where: { status: "QUEUED" }, select: { id: true, modelId: true, benchmarkId: true, itemIds: true } });
    for (const task of tasks) {
      const key = `${task.modelId}|${task.benchmarkId}`;
      const p = truth.get(key)!;
      const right = task.itemIds.filter((item) => draw(`answer/${task.modelId}/${task.benchmarkId}/${item}`) < p).length;
      const pool = pooled.get(key) ?? { right: 0, n: 0 };
      pool.right += right;
      pool.n += task.itemIds.length;
      pooled.set(key, pool);
      items += task.itemIds.length;
      byItems.set(task.itemIds.length, (byItems.get(task.itemIds.length) ?? 0) + 1);
    }
    // Simulated consensus: every task accepted, the board's rows updated with pooled means and Wilson intervals.
    await db.task.updateMany({ where: { id: { in: tasks.map((t) => t.id) } }, data: { status: "ACCEPTED" } });
    const touched = [...new Set(tasks.map((t) => `${t.modelId}|${t.benchmarkId}`))];
    const rows = touched.map((key) => {
      const [modelId, benchmarkId] = key.split("|") as [string, string];
      const pool = pooled.get(key)!;
      return { modelId, benchmarkId, mean: pool.right / pool.n, n: pool.n, ...wilsonInterval(pool.right, pool.n) };
    });
    if (rows.length > 0) {
      await db.$executeRaw`
        INSERT INTO "LeaderboardRow" ("modelId", "benchmarkId", metrics, mean, n, lo, hi, "acceptedTasks", "updatedAt")
        SELECT u.m, u.b, '{}'::jsonb, u.mean, u.n, u.lo, u.hi, 1, now()
        FROM unnest(${rows.map((r) => r.modelId)}::text[], ${rows.map((r) => r.benchmarkId)}::text[], ${rows.map((r) => r.mean)}::float8[],
                    ${rows.map((r) => r.n)}::int[], ${rows.map((r) => r.lo)}::float8[], ${rows.map((r) => r.hi)}::float8[]) AS u(m, b, mean, n, lo, hi)
        ON CONFLICT ("modelId", "benchmarkId") DO UPDATE SET mean = EXCLUDED.mean, n = EXCLUDED.n, lo = EXCLUDED.lo, hi = EXCLUDED.hi`;
    }
    if ((epoch + 1) % 12 === 0) console.log(`${label}: epoch ${epoch + 1}/${EPOCHS}, ${items} items so far`);
  }
  // Rank errors on the overall score (the mean over benchmarks).
  const models = Array.from({ length: MODELS }, (_, m) => {
    const id = `m${m}`;
    const trueOverall = benchmarks.reduce((s, b) => s + truth.get(`${id}|${b}`)!, 0) / benchmarks.length;
    const estimate = benchmarks.reduce((s, b) => {
      const pool = pooled.get(`${id}|${b}`);
      return s + (pool ? pool.right / pool.n : 0.5);
    }, 0) / benchmarks.length;
    return { trueOverall, estimate };
  });
  let rankErrors = 0;
  for (let i = 0; i < models.length; i++) {
    for (let j = i + 1; j < models.length; j++) {
      const a = models[i]!;
      const b = models[j]!;
      if (Math.abs(a.trueOverall - b.trueOverall) < SETTINGS.resolution) continue;
      if (Math.sign(a.trueOverall - b.trueOverall) !== Math.sign(a.estimate - b.estimate)) rankErrors++;
    }
  }
  return { items, rankErrors, byItems };
}

async function main(): Promise<void> {
  const database = await scratchDatabase({ adminUrl: process.env.BENCH_DATABASE_URL, port: 55820, name: `quorum_benchdepth_${process.pid}` });
  try {
    const db = createDb(database.url, { max: 4 });
    await seedBenchmarks(db);
    const owner = await db.user.create({ data: { name: "bench-depth" } });
    await db.model.createMany({
      data: Array.from({ length: MODELS }, (_, m) => ({ id: `m${m}`, repo: `bench/depth-${m}`, revision: m.toString(16).padStart(40, "0"), submitterId: owner.id })),
    });
    console.log(`${MODELS} models (${SCENARIO} scores) x ${SCHEDULED.length} benchmarks x ${EPOCHS} epochs; resolution ${SETTINGS.resolution}, tiers ${SETTINGS.tiers.join("/")}`);
    const middle = await run(db, null, `fixed depth (${MIDDLE_ITEMS} items)`, MIDDLE_ITEMS);
    const fixed = await run(db, null, `fixed depth (${FIXED_ITEMS} items)`);
    const adaptive = await run(db, SETTINGS, "adaptive depth");
    const tiers = (r: RunResult) => [...r.byItems].sort((a, b) => a[0] - b[0]).map(([n, count]) => `${count} tasks of ${n}`).join(", ");
    console.log(`fixed depth at the middle tier (reference): ${middle.items} items, ${middle.rankErrors} rank errors`);
    console.log(`fixed depth at the top tier: ${fixed.items} items (${tiers(fixed)}), ${fixed.rankErrors} rank errors`);
    console.log(`adaptive depth: ${adaptive.items} items (${tiers(adaptive)}), ${adaptive.rankErrors} rank errors, ${((100 * adaptive.items) / fixed.items).toFixed(1)}% of fixed depth's items`);
    await db.$disconnect();
    console.log(`items_evaluated=${adaptive.items} rank_errors=${adaptive.rankErrors} vs_fixed_depth_items=${fixed.items}`);
  } finally {
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:depth failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
