/**
 * Creating a community benchmark (seed 002's `benchmark:create` scope): a definition of an existing family, as data.
 * Who: admins, or API tokens holding `benchmark:create` (only admins can mint those). What happens:
 *
 * 1. The definition is validated (definition.ts) and refused with one `{field, message}` per field at fault; the
 *    slug may not be a code benchmark's, and a slug belongs to whoever created its first version (or an admin).
 * 2. The server downloads the dataset by URL (public hosts only, no redirects, size cap) and keeps it only if its
 *    bytes hash to the pinned sha256, then checks its records against the family's format.
 * 3. Nothing is stored on a refusal. Otherwise, in one transaction: the definition (immutable: a change is a new
 *    version, `slug@<n+1>`; past results keep pointing at the version they were scored with), an inactive Benchmark
 *    row (not scheduled, not on the board) and one canary task per reference model in the current epoch.
 *
 * The benchmark is in PROBATION until its canary tasks are accepted by consensus (review-probation.ts).
 */
import type { Prisma } from "@/generated/prisma/client";
import { parseCommunityBenchmark, type FieldError, type TCommunityBenchmark } from "@/lib/benchmarks/community/definition";
import { datasetBytes } from "@/lib/benchmarks/community/dataset-cache";
import { buildCommunityBenchmark, DatasetFormatError } from "@/lib/benchmarks/community/families";
import { DatasetFetchError } from "@/lib/benchmarks/community/fetch-dataset";
import { isCodeBenchmarkId, listBenchmarks } from "@/lib/benchmarks/registry";
import { sampleItems } from "@/lib/benchmarks/sampling";
import type { TTokenScope } from "@/lib/protocol/runner-api";
import { canonicalJson } from "@/lib/protocol/signing";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { publishEvents } from "@/server/services/events/publish-event";
import { serverDatasetOptions } from "@/server/services/benchmarks/community/load-community-benchmarks";
import { ensureEpochSeeds } from "@/server/services/tasks/epoch-seeds";
import { epochOf } from "@/server/services/tasks/epochs";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";

export interface CommunityActor {
  id: string;
  role: "USER" | "ADMIN";
  /** The scopes of the API token the request came with; null for a signed-in web user. */
  tokenScopes: readonly TTokenScope[] | null;
}

export function canCreateCommunityBenchmarks(actor: CommunityActor): boolean {
  return actor.role === "ADMIN" || (actor.tokenScopes?.includes("benchmark:create") ?? false);
}

/** The canary tasks of a new benchmark run on this many reference models. */
export const CANARY_MODELS = 2;
/** Benchmarks one creator may have in probation at once (each costs the server a download and canary tasks). */
export const MAX_PROBATION_PER_CREATOR = 5;

export interface CreateCommunityBenchmarkOptions {
  db: Db;
  actor: CommunityActor;
  input: unknown;
  now: Date;
  epochMinutes: number;
  /** Repos or model ids of the reference models (COMMUNITY_REFERENCE_MODELS); empty: the two earliest active models. */
  referenceModels: readonly string[];
}

export interface CreatedCommunityBenchmark {
  id: string;
  version: number;
  status: "PROBATION";
  canaryTaskIds: string[];
  referenceModels: { id: string; repo: string }[];
}

function refuse(errors: FieldError[]): AppError {
  const summary = errors.map((error) => `${error.field}: ${error.message}`).join("; ");
  return new AppError("VALIDATION", `The benchmark definition was refused; nothing was stored. ${summary}`, {
    field: errors[0]?.field,
    details: { fieldErrors: errors },
  });
}

async function referenceModelsOf(db: Db, configured: readonly string[]): Promise<{ id: string; repo: string }[]> {
  if (configured.length > 0) {
    const models = await db.model.findMany({
      where: { status: "ACTIVE", OR: [{ id: { in: [...configured] } }, { repo: { in: [...configured] } }] },
      select: { id: true, repo: true, createdAt: true },
      orderBy: { createdAt: "asc" },
    });
    // In the configured order, one model per entry.
    const picked: { id: string; repo: string }[] = [];
    for (const entry of configured) {
      const model = models.find((candidate) => (candidate.id === entry || candidate.repo === entry) && !picked.some((p) => p.id === candidate.id));
      if (model) picked.push({ id: model.id, repo: model.repo });
    }
    return picked.slice(0, CANARY_MODELS);
  }
  return db.model.findMany({ where: { status: "ACTIVE" }, select: { id: true, repo: true }, orderBy: { createdAt: "asc" }, take: CANARY_MODELS });
}

export async function createCommunityBenchmark(options: CreateCommunityBenchmarkOptions): Promise<CreatedCommunityBenchmark> {
  const { db, actor } = options;
  if (!canCreateCommunityBenchmarks(actor)) {
    throw new AppError("NOT_ALLOWED", "Only admins (or API tokens with the benchmark:create scope) can create benchmarks; nothing was stored.");
  }
  const parsed = parseCommunityBenchmark(options.input);
  if (!parsed.ok) throw refuse(parsed.errors);
  const definition: TCommunityBenchmark = parsed.value;

  if (isCodeBenchmarkId(definition.slug)) {
    throw refuse([{ field: "slug", message: `${definition.slug} is a benchmark defined in code; choose another slug` }]);
  }
  // A community benchmark may not pass itself off as one defined in code on the board.
  const lookalike = listBenchmarks().find((code) => code.name.trim().toLowerCase() === definition.name.trim().toLowerCase());
  if (lookalike) throw refuse([{ field: "name", message: `${lookalike.name} is the name of ${lookalike.key}; choose another name` }]);
  const previous = await db.communityBenchmark.findFirst({
    where: { slug: definition.slug },
    orderBy: { version: "desc" },
    select: { version: true, createdById: true, definition: true },
  });
  const first = previous
    ? await db.communityBenchmark.findFirstOrThrow({ where: { slug: definition.slug }, orderBy: { version: "asc" }, select: { createdById: true } })
    : null;
  if (first && first.createdById !== actor.id && actor.role !== "ADMIN") {
    throw refuse([{ field: "slug", message: `${definition.slug} belongs to another creator; choose another slug` }]);
  }
  if (previous && canonicalJson(previous.definition) === canonicalJson(definition)) {
    throw refuse([{ field: "(definition)", message: `identical to ${definition.slug}@${previous.version}: a new version must change something` }]);
  }
  const waiting = await db.communityBenchmark.count({ where: { createdById: actor.id, status: "PROBATION" } });
  if (waiting >= MAX_PROBATION_PER_CREATOR) {
    throw new AppError(
      "QUOTA",
      `You have ${waiting} benchmarks in probation, the most one creator may have at once; wait until their canary tasks are decided. Nothing was stored.`,
    );
  }
  const version = (previous?.version ?? 0) + 1;
  const key = `${definition.slug}@${version}`;

  // The dataset: downloaded and verified by the server itself before anything is stored.
  const probe = buildCommunityBenchmark({ key, version: String(version), definition });
  try {
    probe.loadDataset(await datasetBytes(definition.dataset.url, definition.dataset.sha256, serverDatasetOptions()));
  } catch (error) {
    if (error instanceof DatasetFetchError || error instanceof DatasetFormatError) throw refuse([{ field: error.field, message: error.message }]);
    throw error;
  }
  const itemCount = probe.itemCount();
  if (definition.itemsPerTask > itemCount) {
    throw refuse([{ field: "itemsPerTask", message: `the dataset has ${itemCount} items after the few-shot exemplars; at most ${itemCount}` }]);
  }
  const references = await referenceModelsOf(db, options.referenceModels);
  if (references.length < CANARY_MODELS) {
    throw new AppError(
      "UNAVAILABLE",
      `A new benchmark needs ${CANARY_MODELS} active reference models for its canary tasks; this server has ${references.length} ` +
        "(set COMMUNITY_REFERENCE_MODELS). Nothing was stored.",
    );
  }

  const epoch = epochOf(options.now, options.epochMinutes);
  const created = await db.$transaction(async (tx: Prisma.TransactionClient) => {
    await tx.benchmark.create({
      data: {
        id: key,
        slug: definition.slug,
        version: String(version),
        name: definition.name,
        description: definition.description,
        itemsPerTask: definition.itemsPerTask,
        quorum: probe.quorum,
        minAgreement: probe.minAgreement,
        maxResults: probe.maxResults,
        isActive: false,
        createdById: actor.id,
      },
    });
    const seed = await ensureEpochSeeds(tx, epoch);
    const itemIds = sampleItems(probe, seed, definition.itemsPerTask);
    const canaryTaskIds: string[] = [];
    for (const model of references) {
      const task = await tx.task.create({
        data: {
          modelId: model.id,
          benchmarkId: key,
          epoch,
          itemIds,
          quorum: probe.quorum,
          targetResults: probe.quorum,
          maxResults: probe.maxResults,
          minAgreement: probe.minAgreement,
          createdAt: options.now,
        },
        select: { id: true },
      });
      canaryTaskIds.push(task.id);
    }
    await tx.communityBenchmark.create({
      data: {
        id: key,
        slug: definition.slug,
        version,
        definition: definition as unknown as Prisma.InputJsonValue,
        itemCount,
        createdById: actor.id,
        status: "PROBATION",
        canaryTaskIds,
        createdAt: options.now,
      },
    });
    await publishEvents(tx, [{ kind: "task.created", taskId: null, modelId: null, payload: { epoch, benchmark: key, count: canaryTaskIds.length } }]);
    return canaryTaskIds;
  }, TRANSACTION_OPTIONS);
  return { id: key, version, status: "PROBATION", canaryTaskIds: created, referenceModels: references };
}
