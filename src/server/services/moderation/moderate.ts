/**
 * Moderation: admins pause and resume runners, and pause, resume or withdraw models; authors may withdraw their
 * own models. Every action is written to the audit log with who took it and why, in the same transaction. A paused
 * runner gets no claims; a paused or withdrawn model gets no new tasks or claims and leaves the board (its history
 * stays readable), and the board recomputes through a `model.moderated` event.
 */
import { z } from "zod";
import type { Prisma } from "@/generated/prisma/client";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { publishEvents } from "@/server/services/events/publish-event";

export const ZModerationReasonSchema = z
  .string()
  .trim()
  .min(3, "reason: say in a few words why (it is kept in the audit log)")
  .max(500, "reason: at most 500 characters");

export const ZPauseRunnerRequestSchema = z.object({
  runnerId: z.string().min(1).max(64),
  action: z.enum(["pause", "resume"]),
  reason: ZModerationReasonSchema,
});
export const ZModerateModelRequestSchema = z.object({
  modelId: z.string().min(1).max(64),
  action: z.enum(["pause", "resume", "withdraw"]),
  reason: ZModerationReasonSchema,
});

interface Actor {
  id: string;
  role: "USER" | "ADMIN";
}

async function audit(tx: Prisma.TransactionClient, actor: Actor, action: string, targetType: string, targetId: string, reason: string, now: Date) {
  await tx.auditLog.create({ data: { actorId: actor.id, action, targetType, targetId, reason, createdAt: now } });
}

export async function moderateRunner(options: {
  db: Db;
  actor: Actor;
  request: z.infer<typeof ZPauseRunnerRequestSchema>;
  now: Date;
}): Promise<{ runnerId: string; isPaused: boolean }> {
  const { db, actor, request, now } = options;
  if (actor.role !== "ADMIN") throw new AppError("NOT_ALLOWED", "Only admins can pause or resume runners.");
  return db.$transaction(async (tx) => {
    const runner = await tx.runner.findUnique({ where: { id: request.runnerId } });
    if (!runner) throw new AppError("NOT_FOUND", "No runner with this id.", { field: "runnerId" });
    const isPaused = request.action === "pause";
    await tx.runner.update({
      where: { id: runner.id },
      data: isPaused
        ? { pausedAt: now, pauseReason: request.reason, isEstablished: false }
        : { pausedAt: null, pauseReason: null },
    });
    await audit(tx, actor, `runner.${request.action}`, "runner", runner.id, request.reason, now);
    return { runnerId: runner.id, isPaused };
  });
}

const NEXT_STATUS = { pause: "PAUSED", resume: "ACTIVE", withdraw: "WITHDRAWN" } as const;

export async function moderateModel(options: {
  db: Db;
  actor: Actor;
  request: z.infer<typeof ZModerateModelRequestSchema>;
  now: Date;
}): Promise<{ modelId: string; status: "ACTIVE" | "PAUSED" | "WITHDRAWN" }> {
  const { db, actor, request, now } = options;
  return db.$transaction(async (tx) => {
    const model = await tx.model.findUnique({ where: { id: request.modelId } });
    if (!model) throw new AppError("NOT_FOUND", "No model with this id.", { field: "modelId" });
    const isAuthorWithdrawing = request.action === "withdraw" && model.submitterId === actor.id;
    if (actor.role !== "ADMIN" && !isAuthorWithdrawing) {
      throw new AppError(
        "NOT_ALLOWED",
        request.action === "withdraw"
          ? "Only the model's author or an admin can withdraw it."
          : "Only admins can pause or resume models.",
      );
    }
    if (model.status === "WITHDRAWN" && actor.role !== "ADMIN") {
      throw new AppError("CONFLICT", "This model is already withdrawn.");
    }
    const status = NEXT_STATUS[request.action];
    await tx.model.update({ where: { id: model.id }, data: { status, statusReason: status === "ACTIVE" ? null : request.reason } });
    await audit(tx, actor, `model.${request.action}`, "model", model.id, request.reason, now);
    await publishEvents(tx, [{ kind: "model.moderated", modelId: model.id, payload: { status, reason: request.reason } }]);
    return { modelId: model.id, status };
  });
}

export async function listAuditLog(options: { db: Db; actor: Actor; limit?: number }) {
  if (options.actor.role !== "ADMIN") throw new AppError("NOT_ALLOWED", "Only admins can read the audit log.");
  const entries = await options.db.auditLog.findMany({ orderBy: { createdAt: "desc" }, take: options.limit ?? 100 });
  const actors = await options.db.user.findMany({ where: { id: { in: [...new Set(entries.map((e) => e.actorId))] } }, select: { id: true, name: true } });
  const nameOf = new Map(actors.map((a) => [a.id, a.name]));
  return entries.map((entry) => ({ ...entry, actorName: nameOf.get(entry.actorId) ?? "(deleted user)" }));
}
