/**
 * The files behind `pull` / `run` / `submit`, and the pending-results folder that makes submissions survive
 * restarts. Task and result files hold the claim token (a secret that proves the claim): they are written 0600.
 */
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ZClaimSchema, ZSubmitResultRequestSchema, type TClaim, type TSubmitResultRequest } from "@/lib/protocol/runner-api";

export const ZTaskFileSchema = z.object({
  kind: z.literal("quorum-task"),
  version: z.literal(1),
  server: z.string(),
  runnerId: z.string(),
  claimedAt: z.string(),
  claim: ZClaimSchema,
});
export type TTaskFile = z.infer<typeof ZTaskFileSchema>;

export const ZResultFileSchema = z.object({
  kind: z.literal("quorum-result"),
  version: z.literal(1),
  server: z.string(),
  runnerId: z.string(),
  createdAt: z.string(),
  model: z.string(),
  benchmark: z.string(),
  scores: z.record(z.string(), z.number()),
  submission: ZSubmitResultRequestSchema,
});
export type TResultFile = z.infer<typeof ZResultFileSchema>;

export class TaskFileError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "TaskFileError";
  }
}

export async function writePrivateJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

async function readJson<T>(file: string, schema: z.ZodType<T>, what: string, hint: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TaskFileError(`Cannot read the ${what} ${file}: ${(error as Error).message}`, hint);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TaskFileError(`${file} is not JSON.`, hint);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TaskFileError(`${file} is not a ${what} (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}).`, hint);
  }
  return parsed.data;
}

export function taskFile(server: string, runnerId: string, claim: TClaim, now = new Date()): TTaskFile {
  return { kind: "quorum-task", version: 1, server, runnerId, claimedAt: now.toISOString(), claim };
}

export const readTaskFile = (file: string) => readJson(file, ZTaskFileSchema, "task file", "Pull a task with `pnpm runner pull` and pass the file it prints.");
export const readResultFile = (file: string) => readJson(file, ZResultFileSchema, "result file", "Pass the file `pnpm runner run` printed.");

export function resultFile(options: {
  server: string;
  runnerId: string;
  claim: TClaim;
  scores: Record<string, number>;
  submission: TSubmitResultRequest;
  now?: Date;
}): TResultFile {
  const model = options.claim.task.model;
  return {
    kind: "quorum-result",
    version: 1,
    server: options.server,
    runnerId: options.runnerId,
    createdAt: (options.now ?? new Date()).toISOString(),
    model: `${model.repo}@${model.revision}`,
    benchmark: options.claim.task.benchmark.key,
    scores: options.scores,
    submission: options.submission,
  };
}

/** Results waiting to be submitted: written before the first attempt, removed once the server answered for good. */
export class PendingResults {
  constructor(readonly dir: string) {}

  private fileOf(assignmentId: string): string {
    return path.join(this.dir, `${assignmentId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);
  }

  async save(result: TResultFile): Promise<string> {
    const file = this.fileOf(result.submission.payload.assignmentId);
    await writePrivateJson(file, result);
    return file;
  }

  async remove(assignmentId: string): Promise<void> {
    await rm(this.fileOf(assignmentId), { force: true });
  }

  /** Every pending result for this server; unreadable files are reported, not deleted. */
  async list(server: string): Promise<{ results: TResultFile[]; unreadable: Array<{ file: string; error: string }> }> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith(".json"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { results: [], unreadable: [] };
      throw error;
    }
    const results: TResultFile[] = [];
    const unreadable: Array<{ file: string; error: string }> = [];
    for (const name of names.sort()) {
      const file = path.join(this.dir, name);
      try {
        const result = await readResultFile(file);
        if (result.server === server) results.push(result);
      } catch (error) {
        unreadable.push({ file, error: (error as Error).message });
      }
    }
    return { results, unreadable };
  }
}
