import { JSON_HEADERS } from "@/app/api/_lib/public-url";
import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { getCompetition } from "@/server/services/competitions/get-competition";

export const dynamic = "force-dynamic";

/** GET /api/v0/competitions/<slug>.json — the competition's rules, standing, decisions and pending duels. */
export async function GET(request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const { slug: file } = await params;
  const slug = file.endsWith(".json") ? file.slice(0, -".json".length) : null;
  if (!slug || !/^[a-z0-9-]{1,63}$/.test(slug)) {
    return Response.json({ error: "expected /api/v0/competitions/<slug>.json" }, { status: 404, headers: JSON_HEADERS });
  }
  const raw = new URL(request.url).searchParams.get("version");
  const version = raw === null ? undefined : Number(raw);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
    return Response.json({ error: "version: expected a whole number from 1" }, { status: 400, headers: JSON_HEADERS });
  }
  try {
    const state = await getCompetition({ db: getDb(), slug, version });
    return Response.json({ apiVersion: 0, ...state }, { headers: { ...JSON_HEADERS, "cache-control": "public, max-age=2" } });
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND") {
      return Response.json({ error: error.message }, { status: 404, headers: JSON_HEADERS });
    }
    throw error;
  }
}
