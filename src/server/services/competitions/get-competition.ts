/**
 * A competition's state: its current version's rule applied to the evidence so far. Decisions are appended to the
 * version's log (never changed); the standing and pending duels are kept as a snapshot, recomputed only when an
 * event that can change them (an accepted task, a registration, a moderation) arrived since. Recomputation holds a
 * per-version advisory lock, so two requests never append the same decision twice.
 */
import type { Prisma } from "@/generated/prisma/client";
import { getBenchmark as getDefinition } from "@/lib/benchmarks/registry";
import {
  advanceCompetition,
  type CompetitionBenchmark,
  type CompetitionRules,
  type Contender,
  type Decision,
  type PendingDuel,
  type RuleKind,
} from "@/lib/competitions/ranking-rules";
import { poolOf, type Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { ZCompetitionSettingsSchema, type TCompetitionSettings } from "@/server/services/competitions/competition-input";
import { loadEvidence } from "@/server/services/competitions/load-evidence";
import { primaryDirection } from "@/server/services/competitions/save-competition";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";

/** Events after which a competition may have moved. */
export const COMPETITION_EVENT_KINDS = ["task.accepted", "model.registered", "model.moderated"] as const;

export interface CompetitionModel {
  id: string;
  repo: string;
  revision: string;
  parameterCount: number | null;
  duplicateOfId: string | null;
}

export interface CompetitionSnapshot {
  standing: string[];
  pending: PendingDuel[];
  /** Mean of the primary metric per benchmark, per model with evidence (for the board rule and the tables). */
  means: { modelId: string; evaluations: number; mean: number; items: number }[];
  computedAt: string;
}

export interface CompetitionState {
  slug: string;
  title: string;
  description: string;
  version: number;
  rule: RuleKind;
  settings: TCompetitionSettings;
  benchmarks: (CompetitionBenchmark & { name: string; metric: string })[];
  decisions: (Decision & { seq: number; createdAt: string })[];
  snapshot: CompetitionSnapshot;
  /** Every model named anywhere above. */
  models: Record<string, CompetitionModel>;
  versions: { version: number; rule: string; createdAt: string; decisions: number }[];
}

export function rulesOf(rule: RuleKind, settings: TCompetitionSettings): CompetitionRules {
  return {
    kind: rule,
    minEvaluations: settings.minEvaluations,
    minSharedItems: settings.minSharedItems,
    winMargin: settings.winMargin,
    alpha: settings.alpha,
    resamples: settings.resamples,
    lockKeys: settings.lockKeys,
    refuseQuantized: settings.refuseQuantized,
    rosterSize: settings.rosterSize,
    band: settings.band,
  };
}

async function currentEventId(db: Db): Promise<bigint> {
  const { rows } = await poolOf(db).query<{ id: string | null }>({
    name: "quorum_competition_version_v1",
    text: `SELECT GREATEST(${COMPETITION_EVENT_KINDS.map((_, i) => `(SELECT max(id) FROM "Event" WHERE kind = $${i + 1})`).join(", ")})::text AS id`,
    values: [...COMPETITION_EVENT_KINDS],
  });
  return BigInt(rows[0]?.id ?? "0");
}

function toDecision(row: { outcome: string; challengerId: string; incumbentId: string | null; reason: string; figures: unknown; standing: string[] }): Decision {
  return {
    outcome: row.outcome as Decision["outcome"],
    challengerId: row.challengerId,
    incumbentId: row.incumbentId,
    reason: row.reason,
    figures: (row.figures ?? null) as Decision["figures"],
    standing: row.standing,
  };
}

/** Recomputes the version's state when something changed since the last time; appends new decisions. */
async function refresh(db: Db, versionId: string, scope: string, eventId: bigint): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`competition:${versionId}`}))`;
    const version = await tx.competitionVersion.findUniqueOrThrow({ where: { id: versionId } });
    if (version.snapshot !== null && version.seenEventId >= eventId) return;
    const settings = ZCompetitionSettingsSchema.parse(version.settings);
    const benchmarks = settings.benchmarks.map((b) => ({ key: b.key, weight: b.weight, higherIsBetter: primaryDirection(b.key) }));
    const evidence = await loadEvidence(tx as unknown as Db, benchmarks.map((b) => b.key), null);
    // Every active model with a task on these benchmarks: those without a decided one yet show as pending.
    const models = await tx.model.findMany({
      where: { status: "ACTIVE", tasks: { some: { benchmarkId: { in: benchmarks.map((b) => b.key) } } } },
      select: { id: true, repo: true, revision: true, createdAt: true, duplicateOfId: true, parameterCount: true, weightsConfig: true },
    });
    const contenders: Contender[] = models.map((model) => ({
      id: model.id,
      ref: `${model.repo}@${model.revision}`,
      order: model.createdAt.getTime(),
      evaluations: evidence.get(model.id)?.evaluations ?? 0,
      duplicateOf: model.duplicateOfId,
      parameterCount: model.parameterCount === null ? null : Number(model.parameterCount),
      config: (model.weightsConfig ?? null) as Record<string, unknown> | null,
      items: evidence.get(model.id)?.items ?? new Map(),
    }));
    const history = await tx.competitionDecision.findMany({ where: { versionId }, orderBy: { seq: "asc" } });
    const result = advanceCompetition({
      rules: rulesOf(version.rule as RuleKind, settings),
      benchmarks,
      scope,
      history: history.map(toDecision),
      contenders,
    });
    if (result.decisions.length > 0) {
      await tx.competitionDecision.createMany({
        data: result.decisions.map((decision, i) => ({
          versionId,
          seq: history.length + i + 1,
          outcome: decision.outcome,
          challengerId: decision.challengerId,
          incumbentId: decision.incumbentId,
          reason: decision.reason,
          figures: (decision.figures ?? undefined) as Prisma.InputJsonValue | undefined,
          standing: decision.standing,
        })),
      });
    }
    const snapshot: CompetitionSnapshot = {
      standing: result.standing,
      pending: result.pending,
      means: contenders.filter((c) => c.evaluations > 0).map((c) => {
        let total = 0;
        let weights = 0;
        let items = 0;
        for (const b of benchmarks) {
          const values = [...(c.items.get(b.key)?.values() ?? [])];
          if (values.length === 0) continue;
          total += (b.weight * values.reduce((x, y) => x + y, 0)) / values.length;
          weights += b.weight;
          items += values.length;
        }
        return { modelId: c.id, evaluations: c.evaluations, mean: weights === 0 ? 0 : total / weights, items };
      }),
      computedAt: new Date().toISOString(),
    };
    await tx.competitionVersion.update({
      where: { id: versionId },
      data: { snapshot: snapshot as unknown as Prisma.InputJsonValue, seenEventId: eventId },
    });
  }, TRANSACTION_OPTIONS);
}

export async function getCompetition(options: { db: Db; slug: string; version?: number }): Promise<CompetitionState> {
  const { db } = options;
  const competition = await db.competition.findUnique({
    where: { slug: options.slug },
    include: { versions: { orderBy: { version: "asc" }, include: { _count: { select: { decisions: true } } } } },
  });
  if (!competition) throw new AppError("NOT_FOUND", `No competition is called ${options.slug}.`);
  const wanted = options.version ?? competition.currentVersion;
  let version = competition.versions.find((v) => v.version === wanted);
  if (!version) throw new AppError("NOT_FOUND", `${options.slug} has no version ${wanted}.`);
  // Past versions are frozen: only the version in force moves.
  if (version.version === competition.currentVersion) {
    const eventId = await currentEventId(db);
    if (version.snapshot === null || version.seenEventId < eventId) {
      await refresh(db, version.id, `${competition.slug}@${version.version}`, eventId);
      version = { ...version, ...(await db.competitionVersion.findUniqueOrThrow({ where: { id: version.id } })) };
    }
  }
  const settings = ZCompetitionSettingsSchema.parse(version.settings);
  const decisions = await db.competitionDecision.findMany({ where: { versionId: version.id }, orderBy: { seq: "asc" } });
  const snapshot = (version.snapshot ?? { standing: [], pending: [], means: [], computedAt: version.createdAt.toISOString() }) as unknown as CompetitionSnapshot;
  const ids = new Set<string>([...snapshot.standing, ...snapshot.means.map((m) => m.modelId), ...snapshot.pending.map((p) => p.challengerId)]);
  for (const d of decisions) {
    ids.add(d.challengerId);
    if (d.incumbentId) ids.add(d.incumbentId);
  }
  const models = await db.model.findMany({
    where: { id: { in: [...ids] } },
    select: { id: true, repo: true, revision: true, parameterCount: true, duplicateOfId: true },
  });
  return {
    slug: competition.slug,
    title: competition.title,
    description: competition.description,
    version: version.version,
    rule: version.rule as RuleKind,
    settings,
    benchmarks: settings.benchmarks.map((b) => {
      const definition = getDefinition(b.key);
      return { key: b.key, weight: b.weight, higherIsBetter: primaryDirection(b.key), name: definition.name, metric: definition.primaryMetric };
    }),
    decisions: decisions.map((d) => ({ ...toDecision(d), seq: d.seq, createdAt: d.createdAt.toISOString() })),
    snapshot,
    models: Object.fromEntries(
      models.map((m) => [m.id, { ...m, parameterCount: m.parameterCount === null ? null : Number(m.parameterCount) }]),
    ),
    versions: competition.versions.map((v) => ({
      version: v.version,
      rule: v.rule,
      createdAt: v.createdAt.toISOString(),
      decisions: v._count.decisions,
    })),
  };
}


export async function listCompetitions(options: { db: Db }) {
  const rows = await options.db.competition.findMany({
    orderBy: { createdAt: "asc" },
    include: { versions: { orderBy: { version: "desc" }, take: 1 } },
  });
  return rows.map((row) => ({
    slug: row.slug,
    title: row.title,
    version: row.currentVersion,
    rule: row.versions[0]?.rule ?? "board",
    benchmarks: ZCompetitionSettingsSchema.parse(row.versions[0]?.settings).benchmarks.map((b) => b.key),
  }));
}
