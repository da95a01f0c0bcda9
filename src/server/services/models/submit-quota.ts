/**
 * Earn your submit: registering a model takes NORM_REQUIRED results by the user's runners that consensus judged
 * valid within the last NORM_WINDOW_H hours. Admins are exempt.
 *
 * Cold start: the rule is waived while fewer than NORM_REQUIRED open tasks exist of models the user did not submit.
 * In a new community there is nothing to evaluate yet, so nobody could ever earn a submit; once there is enough
 * work, the rule applies. Tasks the user's own runners hold count as work: holding every open task (hoarding) must
 * not buy the waiver.
 */
import type { Db } from "@/server/db";

export interface SubmitQuota {
  required: number;
  windowHours: number;
  earned: number;
  claimable: number;
  isExempt: boolean;
  isColdStart: boolean;
  canSubmit: boolean;
  /** How many more valid evaluations are needed (0 when the user can submit). */
  remaining: number;
}

export async function getSubmitQuota(options: {
  db: Db;
  userId: string;
  role: "USER" | "ADMIN";
  now: Date;
  required: number;
  windowHours: number;
}): Promise<SubmitQuota> {
  const { db, userId, now, required, windowHours } = options;
  const since = new Date(now.getTime() - windowHours * 3_600_000);
  const [earned, claimableRows] = await Promise.all([
    db.result.count({ where: { verdict: "VALID", createdAt: { gte: since }, runner: { ownerId: userId } } }),
    db.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) AS count FROM "Task" t JOIN "Model" m ON m.id = t."modelId"
      WHERE t."finishedAt" IS NULL AND m.status = 'ACTIVE' AND m."submitterId" <> ${userId}`,
  ]);
  const claimable = Number(claimableRows[0]?.count ?? 0);
  const isExempt = options.role === "ADMIN";
  const isColdStart = claimable < required;
  const canSubmit = isExempt || isColdStart || earned >= required;
  return {
    required,
    windowHours,
    earned,
    claimable,
    isExempt,
    isColdStart,
    canSubmit,
    remaining: canSubmit ? 0 : required - earned,
  };
}
