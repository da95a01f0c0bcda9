/**
 * Public traces: every decided task of one benchmark and epoch, in bulk, as one gzip JSON Lines file, generated once
 * when the epoch is complete (its window is over and none of its tasks is still open) and then never changed. The
 * manifest lists each file's sha256, size and line count. Format: docs/api.md ("Public traces").
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { epochOf } from "@/server/services/tasks/epochs";
import { prepareBenchmark } from "@/server/services/benchmarks/community/load-community-benchmarks";

export const TRACE_FORMAT = "quorum-trace-v1";

interface StoredRecord {
  item: string;
  promptSha256: string;
  output?: string;
  loglikelihoods?: Record<string, number[]>;
  extracted: Record<string, string>;
  scores: Record<string, number>;
}

export interface TraceEntry {
  benchmark: string;
  epoch: number;
  sha256: string;
  bytes: number;
  lines: number;
  createdAt: string;
}

/** Why an epoch's trace does not exist yet, or null when it can be built. */
async function incompleteReason(db: Db, benchmarkId: string, epoch: number, now: Date, epochMinutes: number): Promise<string | null> {
  if (epoch >= epochOf(now, epochMinutes)) return `epoch ${epoch} is not over yet`;
  const open = await db.task.count({ where: { benchmarkId, epoch, finishedAt: null } });
  if (open > 0) return `epoch ${epoch} still has ${open} open task${open === 1 ? "" : "s"} on ${benchmarkId}`;
  return null;
}

async function renderLines(db: Db, benchmarkId: string, epoch: number): Promise<string[]> {
  // Traces show prompts: a community benchmark needs its dataset (downloaded and verified once, then cached).
  const definition = await prepareBenchmark(db, benchmarkId);
  const tasks = await db.task.findMany({
    where: { benchmarkId, epoch, finishedAt: { not: null } },
    orderBy: { id: "asc" },
    include: {
      model: { select: { id: true, repo: true, revision: true } },
      results: {
        where: { isSpotCheck: false },
        orderBy: { createdAt: "asc" },
        select: { id: true, primaryScore: true, verdict: true, outputsSha256: true, records: true, runner: { select: { name: true } } },
      },
    },
  });
  return tasks.map((task) => {
    const canonical = task.results.find((r) => r.id === task.acceptedResultId);
    const records = (canonical?.records ?? null) as StoredRecord[] | null;
    return JSON.stringify({
      format: TRACE_FORMAT,
      task: task.id,
      benchmark: benchmarkId,
      epoch,
      model: task.model,
      status: task.status.toLowerCase(),
      reason: task.reason,
      acceptedScore: task.acceptedScore,
      primaryMetric: definition.primaryMetric,
      items: records
        ? records.map((r) => ({
            item: r.item,
            prompt: definition.promptOf(r.item),
            promptSha256: r.promptSha256,
            output: r.output ?? null,
            loglikelihoods: r.loglikelihoods ?? null,
            extracted: r.extracted,
            scores: r.scores,
          }))
        : null,
      results: task.results.map((r) => ({
        id: r.id,
        runner: r.runner.name,
        verdict: r.verdict.toLowerCase(),
        primaryScore: r.primaryScore,
        outputsSha256: r.outputsSha256,
      })),
    });
  });
}

/** The trace file, building and storing it first when the epoch is complete. NOT_FOUND (with why) otherwise. */
export async function getTrace(options: { db: Db; benchmarkId: string; epoch: number; now: Date; epochMinutes: number }) {
  const { db, benchmarkId, epoch } = options;
  const stored = await db.traceFile.findUnique({ where: { benchmarkId_epoch: { benchmarkId, epoch } } });
  if (stored) return stored;
  if (!(await db.benchmark.findUnique({ where: { id: benchmarkId }, select: { id: true } }))) {
    throw new AppError("NOT_FOUND", `No benchmark is called ${benchmarkId}.`);
  }
  const why = await incompleteReason(db, benchmarkId, epoch, options.now, options.epochMinutes);
  if (why) throw new AppError("NOT_FOUND", `No trace yet: ${why}.`);
  const lines = await renderLines(db, benchmarkId, epoch);
  if (lines.length === 0) throw new AppError("NOT_FOUND", `No trace: ${benchmarkId} had no decided task in epoch ${epoch}.`);
  // mtime 0 and a fixed level: the same content always gives the same bytes.
  const body = gzipSync(Buffer.from(lines.join("\n") + "\n"), { level: 9 });
  const sha256 = createHash("sha256").update(body).digest("hex");
  await db.traceFile.createMany({
    data: [{ benchmarkId, epoch, body: new Uint8Array(body), sha256, bytes: body.length, lines: lines.length }],
    skipDuplicates: true,
  });
  return db.traceFile.findUniqueOrThrow({ where: { benchmarkId_epoch: { benchmarkId, epoch } } });
}

/** Every published trace; builds up to `buildLimit` of the complete epochs not yet published on the way. */
export async function listTraces(options: { db: Db; now: Date; epochMinutes: number; buildLimit?: number }): Promise<TraceEntry[]> {
  const { db } = options;
  const current = epochOf(options.now, options.epochMinutes);
  const candidates = await db.$queryRaw<{ benchmarkId: string; epoch: number }[]>`
    SELECT t."benchmarkId", t.epoch FROM "Task" t
     WHERE t.epoch < ${current}
       AND NOT EXISTS (SELECT 1 FROM "TraceFile" f WHERE f."benchmarkId" = t."benchmarkId" AND f.epoch = t.epoch)
     GROUP BY t."benchmarkId", t.epoch
    HAVING bool_and(t."finishedAt" IS NOT NULL)
     ORDER BY t.epoch, t."benchmarkId"
     LIMIT ${options.buildLimit ?? 20}`;
  for (const candidate of candidates) {
    await getTrace({ db, benchmarkId: candidate.benchmarkId, epoch: candidate.epoch, now: options.now, epochMinutes: options.epochMinutes }).catch(
      (error: unknown) => {
        if (!(error instanceof AppError)) throw error;
      },
    );
  }
  const files = await db.traceFile.findMany({
    select: { benchmarkId: true, epoch: true, sha256: true, bytes: true, lines: true, createdAt: true },
    orderBy: [{ epoch: "asc" }, { benchmarkId: "asc" }],
  });
  return files.map((f) => ({ benchmark: f.benchmarkId, epoch: f.epoch, sha256: f.sha256, bytes: f.bytes, lines: f.lines, createdAt: f.createdAt.toISOString() }));
}
