import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { getModelDetail } from "@/server/services/models/get-model";

export const dynamic = "force-dynamic";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" };

/** GET /api/v0/models/<id>.json — one model with every task and each runner's recomputed score. */
export async function GET(_request: Request, { params }: { params: Promise<{ file: string }> }) {
  const { file } = await params;
  const id = file.endsWith(".json") ? file.slice(0, -".json".length) : null;
  if (!id || !/^[a-z0-9]{1,64}$/.test(id)) {
    return Response.json({ error: "expected /api/v0/models/<model id>.json" }, { status: 404, headers: JSON_HEADERS });
  }
  try {
    const model = await getModelDetail({ db: getDb(), modelId: id });
    const body = {
      apiVersion: 0,
      id: model.id,
      repo: model.repo,
      revision: model.revision,
      hubUrl: `https://huggingface.co/${model.repo}/tree/${model.revision}`,
      weightType: model.weightType.toLowerCase(),
      baseModel: model.baseModel,
      precision: model.precision.toLowerCase(),
      status: model.status.toLowerCase(),
      submitter: model.submitter.name,
      registeredAt: model.createdAt.toISOString(),
      scores: Object.fromEntries(
        model.leaderboard.map((row) => [row.benchmarkId, { metrics: row.metrics, acceptedTasks: row.acceptedTasks, updatedAt: row.updatedAt.toISOString() }]),
      ),
      tasks: model.tasks.map((task) => ({
        id: task.id,
        benchmark: task.benchmarkId,
        epoch: task.epoch,
        items: task.itemIds,
        status: task.status.toLowerCase(),
        reason: task.reason,
        acceptedScore: task.acceptedScore,
        itemAgreement: task.itemAgreement,
        results: task.results.map((result) => ({
          runner: result.runner.name,
          volunteer: result.runner.owner.name,
          score: result.score,
          verdict: result.verdict.toLowerCase(),
          outputsSha256: result.outputsSha256,
          engine: `${result.engineName} ${result.engineVersion}`,
          gpu: result.gpu,
          runtimeSeconds: result.runtimeSeconds,
          energyKwh: result.energyKwh,
          submittedAt: result.createdAt.toISOString(),
        })),
      })),
    };
    return Response.json(body, { headers: { ...JSON_HEADERS, "cache-control": "public, max-age=5, stale-while-revalidate=30" } });
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND") {
      return Response.json({ error: "no model with this id" }, { status: 404, headers: JSON_HEADERS });
    }
    throw error;
  }
}
