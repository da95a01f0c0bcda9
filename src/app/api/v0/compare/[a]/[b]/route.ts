import { JSON_HEADERS } from "@/app/api/_lib/public-url";
import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { compareModels } from "@/server/services/compare/compare-models";

export const dynamic = "force-dynamic";

const ID = /^[a-z0-9]{1,64}$/;

/** GET /api/v0/compare/<a>/<b>.json — head to head of two models (fields in docs/api.md). */
export async function GET(_request: Request, { params }: { params: Promise<{ a: string; b: string }> }) {
  const { a, b: file } = await params;
  const b = file.endsWith(".json") ? file.slice(0, -".json".length) : null;
  if (!ID.test(a) || !b || !ID.test(b)) {
    return Response.json({ error: "expected /api/v0/compare/<model id>/<model id>.json" }, { status: 404, headers: JSON_HEADERS });
  }
  try {
    const comparison = await compareModels({ db: getDb(), a, b });
    return Response.json({ apiVersion: 0, ...comparison }, { headers: { ...JSON_HEADERS, "cache-control": "public, max-age=5, stale-while-revalidate=30" } });
  } catch (error) {
    if (error instanceof AppError && (error.code === "NOT_FOUND" || error.code === "VALIDATION")) {
      return Response.json({ error: error.message }, { status: error.code === "NOT_FOUND" ? 404 : 400, headers: JSON_HEADERS });
    }
    throw error;
  }
}
