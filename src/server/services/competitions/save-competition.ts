/**
 * Creating a competition or changing it. Admins may create and change any competition; API tokens (or users acting
 * through one) holding `benchmark:create` may create competitions and change the ones they created. A change of
 * rule or settings starts a new version (its decisions start afresh; the old version's decisions stay as they
 * were); a change of title or description only does not.
 */
import type { Prisma } from "@/generated/prisma/client";
import { getBenchmark, listBenchmarks } from "@/lib/benchmarks/registry";
import { canonicalJson } from "@/lib/protocol/signing";
import type { Db } from "@/server/db";
import { AppError, prismaErrorCode } from "@/server/errors";
import type { BenchmarkActor } from "@/server/services/benchmarks/save-benchmark";
import type { TSaveCompetitionRequest } from "@/server/services/competitions/competition-input";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";

export function canCreateCompetitions(actor: BenchmarkActor): boolean {
  return actor.role === "ADMIN" || (actor.tokenScopes?.includes("benchmark:create") ?? false);
}

export async function saveCompetition(options: {
  db: Db;
  actor: BenchmarkActor;
  input: TSaveCompetitionRequest;
}): Promise<{ slug: string; version: number; isCreated: boolean; isNewVersion: boolean }> {
  const { db, actor, input } = options;
  if (!canCreateCompetitions(actor)) {
    throw new AppError("NOT_ALLOWED", "Only admins (or API tokens with the benchmark:create scope) can create competitions.");
  }
  const known = new Set(listBenchmarks().map((definition) => definition.key));
  const seen = new Set<string>();
  for (const benchmark of input.settings.benchmarks) {
    if (!known.has(benchmark.key)) {
      throw new AppError("VALIDATION", `benchmarks: ${benchmark.key} is not in the registry (known: ${[...known].join(", ")}).`, {
        field: "settings.benchmarks",
      });
    }
    if (seen.has(benchmark.key)) {
      throw new AppError("VALIDATION", `benchmarks: ${benchmark.key} is listed twice.`, { field: "settings.benchmarks" });
    }
    seen.add(benchmark.key);
  }
  const rows = await db.benchmark.findMany({ where: { id: { in: [...seen] } }, select: { id: true } });
  const missing = [...seen].filter((key) => !rows.some((row) => row.id === key));
  if (missing.length > 0) {
    throw new AppError("VALIDATION", `benchmarks: ${missing.join(", ")} has no database row yet; add it on the benchmarks page first.`, {
      field: "settings.benchmarks",
    });
  }
  if (input.rule === "band" && input.settings.benchmarks.length > 1) {
    const directions = new Set(input.settings.benchmarks.map((b) => primaryDirection(b.key)));
    if (directions.size > 1) {
      throw new AppError("VALIDATION", "benchmarks: a band competition's benchmarks must share one metric direction.", {
        field: "settings.benchmarks",
      });
    }
  }
  const settings = input.settings as unknown as Prisma.InputJsonValue;
  return db.$transaction(async (tx) => {
    const existing = await tx.competition.findUnique({
      where: { slug: input.slug },
      include: { versions: { orderBy: { version: "desc" }, take: 1 } },
    });
    if (!existing) {
      try {
        await tx.competition.create({
          data: {
            slug: input.slug,
            title: input.title,
            description: input.description,
            createdById: actor.id,
            versions: { create: { version: 1, rule: input.rule, settings, createdById: actor.id } },
          },
        });
      } catch (error) {
        if (prismaErrorCode(error) === "P2002") throw new AppError("CONFLICT", `slug: ${input.slug} is taken.`, { field: "slug" });
        throw error;
      }
      return { slug: input.slug, version: 1, isCreated: true, isNewVersion: true };
    }
    if (actor.role !== "ADMIN" && existing.createdById !== actor.id) {
      throw new AppError("NOT_ALLOWED", "Only admins or the competition's creator can change it.");
    }
    const latest = existing.versions[0]!;
    const isNewVersion = latest.rule !== input.rule || canonicalJson(latest.settings) !== canonicalJson(input.settings);
    const version = isNewVersion ? latest.version + 1 : latest.version;
    if (isNewVersion) {
      await tx.competitionVersion.create({
        data: { competitionId: existing.id, version, rule: input.rule, settings, createdById: actor.id },
      });
    }
    await tx.competition.update({
      where: { id: existing.id },
      data: { title: input.title, description: input.description, currentVersion: version },
    });
    return { slug: input.slug, version, isCreated: false, isNewVersion };
  }, TRANSACTION_OPTIONS);
}

export function primaryDirection(key: string): boolean {
  const definition = getBenchmark(key);
  return definition.metrics.find((metric) => metric.name === definition.primaryMetric)?.higherIsBetter ?? true;
}
