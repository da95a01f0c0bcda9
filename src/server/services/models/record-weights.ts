/**
 * Once a task is accepted, the model's weights report (fingerprint, parameter count, config.json) is taken from its
 * valid results when at least `quorum` of them reported the same one (consensus covers it: results that read
 * different weights do not agree). The first confirmed report is kept. Then near-duplicates are flagged: a model
 * whose fingerprint has cosine similarity >= 0.95 with an earlier-registered model of another submitter is marked
 * as a near-duplicate of it (the most similar one); competitions leave it out. A model's own resubmissions (same
 * submitter) are not flagged. The check runs in both directions, so an original evaluated after its copy still
 * marks the copy.
 */
import { createHash } from "node:crypto";
import type { Prisma } from "@/generated/prisma/client";
import { cosineSimilarity, NEAR_DUPLICATE_COSINE, type WeightsReport } from "@/lib/competitions/weight-fingerprint";
import { canonicalJson } from "@/lib/protocol/signing";

export function weightsKeyOf(report: unknown): string | null {
  if (report === null || report === undefined) return null;
  return createHash("sha256").update(canonicalJson(report)).digest("hex");
}

export async function recordWeightsReport(
  tx: Prisma.TransactionClient,
  options: { modelId: string; quorum: number; validReports: unknown[] },
): Promise<{ duplicateOfId: string | null } | null> {
  const counts = new Map<string, { report: WeightsReport; n: number }>();
  for (const report of options.validReports) {
    const key = weightsKeyOf(report);
    if (!key) continue;
    const entry = counts.get(key) ?? { report: report as WeightsReport, n: 0 };
    entry.n += 1;
    counts.set(key, entry);
  }
  const confirmed = [...counts.values()].find((entry) => entry.n >= options.quorum);
  if (!confirmed) return null;
  const model = await tx.model.findUniqueOrThrow({
    where: { id: options.modelId },
    select: { id: true, fingerprint: true, submitterId: true, createdAt: true },
  });
  if (model.fingerprint.length > 0) return null;
  const { fingerprint, parameterCount, config } = confirmed.report;
  await tx.model.update({
    where: { id: model.id },
    data: { fingerprint, parameterCount: BigInt(parameterCount), weightsConfig: config as Prisma.InputJsonValue },
  });
  if (fingerprint.length === 0) return { duplicateOfId: null };
  // Candidates: other submitters' models with a fingerprint of the same length (same architecture).
  const others = await tx.$queryRaw<{ id: string; fingerprint: number[]; createdAt: Date; duplicateOfId: string | null }[]>`
    SELECT id, fingerprint, "createdAt", "duplicateOfId" FROM "Model"
     WHERE id <> ${model.id} AND "submitterId" <> ${model.submitterId}
       AND cardinality(fingerprint) = ${fingerprint.length}`;
  let original: { id: string; similarity: number } | null = null;
  for (const other of others) {
    const similarity = cosineSimilarity(fingerprint, other.fingerprint);
    if (similarity < NEAR_DUPLICATE_COSINE) continue;
    if (other.createdAt < model.createdAt || (other.createdAt.getTime() === model.createdAt.getTime() && other.id < model.id)) {
      if (!original || similarity > original.similarity) original = { id: other.id, similarity };
    } else if (other.duplicateOfId === null) {
      await tx.model.update({ where: { id: other.id }, data: { duplicateOfId: model.id, duplicateSimilarity: similarity } });
    }
  }
  if (original) {
    await tx.model.update({ where: { id: model.id }, data: { duplicateOfId: original.id, duplicateSimilarity: original.similarity } });
  }
  return { duplicateOfId: original?.id ?? null };
}
