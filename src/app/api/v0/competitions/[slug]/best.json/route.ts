import { JSON_HEADERS } from "@/app/api/_lib/public-url";
import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { getCompetition } from "@/server/services/competitions/get-competition";
import { bestOf } from "@/server/services/competitions/onboarding";

export const dynamic = "force-dynamic";

/** GET /api/v0/competitions/<slug>/best.json — the current king / roster #1 / best, and since when. */
export async function GET(_request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  try {
    const state = await getCompetition({ db: getDb(), slug });
    return Response.json({ apiVersion: 0, ...bestOf(state) }, { headers: { ...JSON_HEADERS, "cache-control": "public, max-age=2" } });
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND") {
      return Response.json({ error: error.message }, { status: 404, headers: JSON_HEADERS });
    }
    throw error;
  }
}
