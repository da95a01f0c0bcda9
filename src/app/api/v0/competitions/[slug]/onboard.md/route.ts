import { publicOrigin } from "@/app/api/_lib/public-url";
import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { getCompetition } from "@/server/services/competitions/get-competition";
import { onboardingMarkdown } from "@/server/services/competitions/onboarding";

export const dynamic = "force-dynamic";

const HEADERS = { "content-type": "text/markdown; charset=utf-8", "access-control-allow-origin": "*" };

/** GET /api/v0/competitions/<slug>/onboard.md — the competition's contract, as Markdown. */
export async function GET(request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  try {
    const state = await getCompetition({ db: getDb(), slug });
    return new Response(onboardingMarkdown(state, publicOrigin(request)), { headers: { ...HEADERS, "cache-control": "public, max-age=30" } });
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND") {
      return new Response(`# Not found\n\n${error.message}\n`, { status: 404, headers: HEADERS });
    }
    throw error;
  }
}
