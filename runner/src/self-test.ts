/**
 * `pnpm runner eval <org/repo@commit>`: a model author's self-test. The same fetch, sandbox, engine and scoring
 * pipeline as a claimed task (evaluateClaim), on a claim made up locally: nothing is claimed or submitted. It refuses
 * exactly what registration (the server's schema, shared through src/lib/protocol) and the runner refuse, with the
 * same messages, and reports each benchmark's scores with their 95% intervals and the file it wrote.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { aggregate } from "@/lib/benchmarks/aggregate";
import { UnknownBenchmarkError } from "@/lib/benchmarks/errors";
import { listBenchmarks, resolveBenchmark } from "@/lib/benchmarks/registry";
import { ZRegisterModelRequestSchema, type TRegisterModelRequest } from "@/lib/protocol/model-input";
import { generateRunnerKeyPair } from "@/lib/protocol/signing";
import type { GpuRequest } from "./docker/docker";
import type { Engine } from "./engines/engine";
import { evaluateClaim } from "./evaluate";
import type { GpuInfo } from "./gpu";
import type { Logger } from "./log";
import type { Progress } from "./progress";
import { UsageError } from "./setup";
import { syntheticClaim } from "./synthetic-claim";

export interface SelfTestModel {
  /** `org/repo@<40-hex commit>` */
  model: string;
  weightType?: string;
  baseModel?: string;
  precision?: string;
}

/** Registration's own checks and messages; a refusal names the field as the server's form does. */
export function parseSelfTestModel(input: SelfTestModel): TRegisterModelRequest {
  const at = input.model.lastIndexOf("@");
  if (at <= 0) throw new UsageError(`model ${input.model}: expected org/repo@<40-hex commit>`, "Pin the exact commit, e.g. org/model@0123…(40 hex).");
  const parsed = ZRegisterModelRequestSchema.safeParse({
    repo: input.model.slice(0, at),
    revision: input.model.slice(at + 1),
    weightType: (input.weightType ?? "ORIGINAL").toUpperCase(),
    baseModel: input.baseModel,
    precision: (input.precision ?? "BFLOAT16").toUpperCase(),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${issue.path.join(".") || "model"}: ${issue.message}`, "The server's registration refuses the same input.");
  }
  return parsed.data;
}

export function selfTestBenchmarks(keys: string[] | undefined): string[] {
  if (!keys || keys.length === 0) return listBenchmarks().map((b) => b.key);
  return keys.map((key) => {
    try {
      return resolveBenchmark(key).key;
    } catch (error) {
      if (error instanceof UnknownBenchmarkError) throw new UsageError(`--benchmark ${key}: ${error.message}`, `Known: ${listBenchmarks().map((b) => b.key).join(", ")}.`);
      throw error;
    }
  });
}

export interface SelfTestReport {
  model: string;
  engine: { name: string; version: string; imageDigest: string };
  benchmarks: Array<{
    key: string;
    n: number;
    metrics: Record<string, { mean: number; ci95: [number, number] }>;
    outputs: unknown[];
  }>;
  file: string;
}

export async function runSelfTest(options: {
  model: TRegisterModelRequest;
  benchmarks: string[];
  items?: number;
  engine: Engine;
  workDir: string;
  cacheDir: string;
  hub?: { url?: string; accessToken?: string };
  gpus: GpuRequest | null;
  gpuInfo?: GpuInfo[];
  timeoutMs: number;
  logger: Logger;
  progress?: Progress;
  signal?: AbortSignal;
  out?: string;
}): Promise<SelfTestReport> {
  const ref = `${options.model.repo}@${options.model.revision}`;
  // A throwaway identity: the signature is never sent anywhere.
  const keys = generateRunnerKeyPair();
  const report: Omit<SelfTestReport, "file"> = { model: ref, engine: { name: options.engine.name, version: "", imageDigest: "" }, benchmarks: [] };
  for (const key of options.benchmarks) {
    const definition = resolveBenchmark(key);
    const items = options.items ?? definition.itemsPerTask;
    if (!Number.isInteger(items) || items < 1 || items > definition.itemCount()) {
      throw new UsageError(`--items ${items}: expected a whole number from 1 to ${definition.itemCount()} for ${definition.key}`, "See --help.");
    }
    const claim = syntheticClaim({
      model: ref,
      benchmark: definition.key,
      items,
      weightType: options.model.weightType,
      baseModel: options.model.baseModel ?? null,
      precision: options.model.precision,
    });
    options.engine.checkModel(claim.task.model);
    options.logger.info(`evaluating ${ref} on ${definition.key} (${items} items)`);
    const result = await evaluateClaim({
      claim,
      engine: options.engine,
      runner: { id: "self-test", name: "self-test", privateKeyPem: keys.privateKeyPem },
      workDir: options.workDir,
      cacheDir: options.cacheDir,
      hub: options.hub,
      gpus: options.gpus,
      gpuInfo: options.gpuInfo,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      logger: options.logger,
      progress: options.progress,
    });
    report.engine = { name: result.engine.name, version: result.engine.version, imageDigest: result.engine.imageDigest };
    const metrics: SelfTestReport["benchmarks"][number]["metrics"] = {};
    for (const metric of definition.metrics) {
      const summary = aggregate(result.records.map((record) => record.scores[metric.name]!), metric.kind);
      metrics[metric.name] = { mean: summary.mean, ci95: [summary.lo, summary.hi] };
    }
    report.benchmarks.push({ key: definition.key, n: result.records.length, metrics, outputs: result.submission.payload.outputs });
  }
  const file = path.resolve(options.out ?? path.join(options.workDir, "eval", `${options.model.repo.replace("/", "--")}-${options.model.revision.slice(0, 12)}-${Date.now()}.json`));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ ...report, file }, null, 2)}\n`);
  return { ...report, file };
}

export function formatSelfTest(report: SelfTestReport): string {
  const lines = [`${report.model} with ${report.engine.name} ${report.engine.version}`];
  for (const b of report.benchmarks) {
    for (const [name, m] of Object.entries(b.metrics)) {
      lines.push(`  ${b.key.padEnd(18)} ${name.padEnd(30)} ${m.mean.toFixed(3)}  95% CI [${m.ci95[0].toFixed(3)}, ${m.ci95[1].toFixed(3)}]  n=${b.n}`);
    }
  }
  lines.push(`output file: ${report.file}`);
  return `${lines.join("\n")}\n`;
}
