import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";

/** Everything public about a model: its reference, every task with each runner's recomputed score and verdict. */
export async function getModelDetail(options: { db: Db; modelId: string }) {
  const model = await options.db.model.findUnique({
    where: { id: options.modelId },
    include: {
      submitter: { select: { name: true } },
      leaderboard: true,
      tasks: {
        orderBy: [{ epoch: "desc" }, { benchmarkId: "asc" }],
        take: 200,
        include: {
          benchmark: { select: { id: true, name: true } },
          results: {
            orderBy: { createdAt: "asc" },
            select: {
              id: true,
              score: true,
              primaryScore: true,
              verdict: true,
              outputsSha256: true,
              engineName: true,
              engineVersion: true,
              gpu: true,
              runtimeSeconds: true,
              energyKwh: true,
              createdAt: true,
              runner: { select: { name: true, owner: { select: { name: true } } } },
            },
          },
          assignments: {
            where: { status: { in: ["ACTIVE", "EXPIRED", "RELEASED", "FAILED"] } },
            select: { status: true, failureReason: true, createdAt: true, runner: { select: { name: true } } },
          },
        },
      },
    },
  });
  if (!model) throw new AppError("NOT_FOUND", "This model was not found.");
  return model;
}
