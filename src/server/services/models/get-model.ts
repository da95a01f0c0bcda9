/**
 * Everything public about a model: its reference, every task with each runner's recomputed score and verdict.
 *
 * Nothing leaks before a decision: while a task is open, its results show who submitted and when, but no score, no
 * outputs hash and no per-item outputs (a runner could otherwise match its peers without running the model); once
 * the task is decided everything is public. Runners' own failure words are never public: the cause is.
 */
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";
import { isTaskPublished } from "@/server/services/results/get-result";

export async function getModelDetail(options: { db: Db; modelId: string }) {
  const model = await options.db.model.findUnique({
    where: { id: options.modelId },
    include: {
      submitter: { select: { name: true } },
      duplicateOf: { select: { id: true, repo: true, revision: true } },
      leaderboard: true,
      tasks: {
        orderBy: [{ epoch: "desc" }, { benchmarkId: "asc" }],
        take: 200,
        include: {
          benchmark: { select: { id: true, name: true } },
          results: {
            where: { isSpotCheck: false },
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
            where: { status: { in: ["ACTIVE", "EXPIRED", "RELEASED", "FAILED"] }, isSpotCheck: false },
            select: { status: true, failureCause: true, createdAt: true, runner: { select: { name: true } } },
          },
        },
      },
    },
  });
  if (!model) throw new AppError("NOT_FOUND", "This model was not found.");
  return {
    ...model,
    tasks: model.tasks.map((task) => {
      const isPublished = isTaskPublished(task);
      return {
        ...task,
        isPublished,
        results: task.results.map((result) =>
          isPublished
            ? result
            : { ...result, score: null, primaryScore: null, outputsSha256: null },
        ),
      };
    }),
  };
}
