/**
 * `pnpm bench:adversary`: honest volunteers and sybil groups evaluate tasks through the real claim and submit
 * services on a real PostgreSQL, and we count what the attackers achieve.
 *
 * - The model under test has a true answer per item (60% right). An honest runner reproduces it, except that each
 *   item differs with probability HONEST_FLIP (kernels, batching: honest GPUs disagree a little).
 * - Warm-up: honest traffic alone, until honest runners are established (the figure for results_per_task).
 * - Then, for groups of 1, 2 and 3 new accounts and each strategy, a fresh set of tasks is evaluated by everyone:
 *   gold (the gold answers shipped with the app), copy (reads every public read path for a peer's score to copy,
 *   else guesses), constant (the same answer everywhere), random, lazy (answers of other items, no model run).
 *   Members of a group submit the same outputs (they collude).
 * - forged_accepted: accepted tasks whose canonical result is a sybil's fabricated one.
 * Uses BENCH_DATABASE_URL's server when set, else an embedded PostgreSQL. Prints a table, then last:
 *   tasks=<n> forged_accepted=<n> honest_invalidated=<share> results_per_task=<mean>
 */
import { createHash } from "node:crypto";
import { getBenchmark } from "../src/lib/benchmarks/registry";
import { scoreOutputs } from "../src/lib/benchmarks/score-outputs";
import type { TClaim, TItemOutput } from "../src/lib/protocol/runner-api";
import { generateRunnerKeyPair, type RunnerKeyPair } from "../src/lib/protocol/signing";
import { createDb, type Db } from "../src/server/db";
import { scratchDatabase } from "../src/server/db/scratch-database";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { getModelDetail } from "../src/server/services/models/get-model";
import { registerModel } from "../src/server/services/models/register-model";
import { claimTask } from "../src/server/services/tasks/claim-task";
import { submitResult } from "../src/server/services/tasks/submit-result";
import type { TrustSettings } from "../src/server/services/trust/reliability";
import { signedSubmission } from "../src/test/fixtures";
import { goldOutputs } from "../src/test/gold-outputs";

const HONEST_OWNERS = Number(process.env.BENCH_HONEST ?? 12);
const WARMUP_TASKS = Number(process.env.BENCH_WARMUP_TASKS ?? 60);
const TASKS_PER_SCENARIO = Number(process.env.BENCH_SCENARIO_TASKS ?? 40);
const HONEST_FLIP = Number(process.env.BENCH_HONEST_FLIP ?? 0.02);
const STRATEGIES = ["gold", "copy", "constant", "random", "lazy"] as const;
type Strategy = (typeof STRATEGIES)[number];
const TRUST: TrustSettings = {
  maxClaimsPerRunner: 1,
  maxClaimsPerOwner: 3,
  maxLeaseMinutes: 360,
  establishedMinValid: 10,
  establishedMinOwners: 3,
  spotCheckShare: 0.03,
};

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20261202);
const unit = (text: string) => createHash("sha256").update(text).digest().readUInt32BE(0) / 2 ** 32;

interface Runner {
  userId: string;
  runnerId: string;
  keys: RunnerKeyPair;
  sybil: Strategy | null;
  group: number;
}

/** The model's true answers: right on about 60% of items, fixed per model and item. */
const truth = (modelId: string, item: string) => unit(`${modelId}/${item}`) < 0.6;

function outputsOf(runner: Runner, claim: TClaim, db: Db, peek: number | null): TItemOutput[] {
  const { itemIds, model, benchmark } = claim.task;
  const decide = (item: string, i: number): boolean => {
    switch (runner.sybil) {
      case null:
        return random() < HONEST_FLIP ? !truth(model.id, item) : truth(model.id, item);
      case "gold":
        return true;
      case "constant":
        return false;
      case "random":
        return unit(`${claim.task.id}/${runner.group}/${item}`) < 0.5;
      case "lazy":
        return truth(model.id, `${item}/other`);
      case "copy":
        return i < Math.round((peek ?? 0.5) * itemIds.length);
    }
  };
  void db;
  return goldOutputs(benchmark.key, itemIds, decide);
}

async function main(): Promise<void> {
  const database = await scratchDatabase({ adminUrl: process.env.BENCH_DATABASE_URL, port: 55720, name: `quorum_adversary_${process.pid}` });
  const db = createDb(database.url, { max: 8 });
  const stats = { tasks: 0, forged: 0, honestResults: 0, honestInvalid: 0 };
  const rows: string[] = [];
  try {
    await seedBenchmarks(db);
    const submitter = await db.user.create({ data: { name: "curator", role: "ADMIN" } });
    let modelCount = 0;
    const now = () => new Date();

    async function newRunner(name: string, sybil: Strategy | null, group: number): Promise<Runner> {
      const user = await db.user.create({ data: { name } });
      const keys = generateRunnerKeyPair();
      const runner = await db.runner.create({ data: { ownerId: user.id, name: "rig", publicKey: keys.publicKey } });
      return { userId: user.id, runnerId: runner.id, keys, sybil, group };
    }

    async function registerTasks(count: number): Promise<string[]> {
      const modelIds: string[] = [];
      for (let i = 0; i < Math.ceil(count / 2); i++) {
        const model = await registerModel({
          db,
          actor: { id: submitter.id, role: "ADMIN" },
          input: { repo: `bench/adv-${++modelCount}`, revision: modelCount.toString(16).padStart(40, "0"), weightType: "ORIGINAL", baseModel: undefined, precision: "BFLOAT16" },
          now: now(),
          normRequired: 0,
          normWindowHours: 24,
          epochMinutes: 60,
        });
        modelIds.push(model.id);
      }
      return modelIds;
    }

    /** Everyone claims and submits in random order until the given models' tasks are decided. */
    async function evaluate(modelIds: string[], runners: Runner[]): Promise<void> {
      for (let round = 0; round < 60; round++) {
        const open = await db.task.count({ where: { modelId: { in: modelIds }, finishedAt: null } });
        if (open === 0) return;
        const order = [...runners].sort(() => random() - 0.5);
        for (const runner of order) {
          const { claim } = await claimTask({ db, actorUserId: runner.userId, runnerId: runner.runnerId, engine: "vllm", now: now(), leaseMinutes: 20, trust: TRUST, random });
          if (!claim) continue;
          let peek: number | null = null;
          if (runner.sybil === "copy") {
            // Every public read path: the model page (tRPC and /api/v0 share this service).
            const detail = await getModelDetail({ db, modelId: claim.task.model.id });
            const visible = detail.tasks.find((t) => t.id === claim.task.id)?.results.find((r) => r.primaryScore !== null);
            peek = visible?.primaryScore ?? null;
          }
          const outputs = outputsOf(runner, claim, db, peek);
          await submitResult({
            db,
            actorUserId: runner.userId,
            request: signedSubmission(runner, claim, outputs, { signedAt: now() }),
            now: now(),
            maxSkewSeconds: 300,
            trust: TRUST,
          }).catch((error: Error) => {
            if (!/already decided/.test(error.message)) throw error;
          });
        }
      }
    }

    async function tally(modelIds: string[], sybils: Set<string>): Promise<{ tasks: number; forged: number; results: number; honestResults: number; honestInvalid: number }> {
      const tasks = await db.task.findMany({ where: { modelId: { in: modelIds } }, include: { results: { where: { isSpotCheck: false } } } });
      let forged = 0;
      let honestResults = 0;
      let honestInvalid = 0;
      let results = 0;
      for (const task of tasks) {
        results += task.results.length;
        const canonical = task.results.find((r) => r.id === task.acceptedResultId);
        if (task.status === "ACCEPTED" && canonical && sybils.has(canonical.runnerId)) {
          const honestAnswers = goldOutputs(task.benchmarkId, task.itemIds, (item) => truth(task.modelId, item));
          const canonicalRecords = canonical.records as unknown as { extracted: Record<string, string> }[];
          const truthRecords = scoreOutputs(getBenchmark(task.benchmarkId), task.itemIds, honestAnswers).records;
          if (canonicalRecords.some((record, i) => JSON.stringify(record.extracted) !== JSON.stringify(truthRecords[i]!.extracted))) forged++;
        }
        for (const result of task.results) {
          if (sybils.has(result.runnerId) || result.verdict === "PENDING") continue;
          honestResults++;
          if (result.verdict === "INVALID") honestInvalid++;
        }
      }
      return { tasks: tasks.length, forged, results, honestResults, honestInvalid };
    }

    const honest: Runner[] = [];
    for (let i = 0; i < HONEST_OWNERS; i++) honest.push(await newRunner(`honest-${i}`, null, -1));
    console.log(`warm-up: ${WARMUP_TASKS} tasks, ${HONEST_OWNERS} honest volunteers (item disagreement ${HONEST_FLIP * 100}%)`);
    const warm = await registerTasks(WARMUP_TASKS);
    await evaluate(warm, honest);
    const warmTally = await tally(warm, new Set());
    stats.tasks += warmTally.tasks;
    stats.honestResults += warmTally.honestResults;
    stats.honestInvalid += warmTally.honestInvalid;
    const established = await db.runner.count({ where: { isEstablished: true } });
    const resultsPerTask = warmTally.results / warmTally.tasks;
    console.log(`  ${established}/${HONEST_OWNERS} honest runners established; ${resultsPerTask.toFixed(2)} results per task\n`);

    console.log("group  strategy  tasks  forged_accepted  sybil_results  sybils_invalid  honest_invalidated");
    let group = 0;
    for (const size of [1, 2, 3]) {
      for (const strategy of STRATEGIES) {
        group++;
        const sybils: Runner[] = [];
        for (let i = 0; i < size; i++) sybils.push(await newRunner(`sybil-${group}-${i}`, strategy, group));
        const modelIds = await registerTasks(TASKS_PER_SCENARIO);
        await evaluate(modelIds, [...honest, ...sybils]);
        const sybilIds = new Set(sybils.map((s) => s.runnerId));
        const t = await tally(modelIds, sybilIds);
        const sybilResults = await db.result.findMany({ where: { runnerId: { in: [...sybilIds] }, isSpotCheck: false } });
        stats.tasks += t.tasks;
        stats.forged += t.forged;
        stats.honestResults += t.honestResults;
        stats.honestInvalid += t.honestInvalid;
        rows.push(
          `${String(size).padStart(5)}  ${strategy.padEnd(8)}  ${String(t.tasks).padStart(5)}  ${String(t.forged).padStart(15)}  ` +
            `${String(sybilResults.length).padStart(13)}  ${String(sybilResults.filter((r) => r.verdict === "INVALID").length).padStart(14)}  ` +
            `${(t.honestInvalid / Math.max(1, t.honestResults)).toFixed(4).padStart(18)}`,
        );
        console.log(rows.at(-1));
      }
    }
    console.log(
      `\ntasks=${stats.tasks} forged_accepted=${stats.forged} honest_invalidated=${(stats.honestInvalid / Math.max(1, stats.honestResults)).toFixed(4)} ` +
        `results_per_task=${resultsPerTask.toFixed(2)}`,
    );
  } finally {
    await db.$disconnect();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
