import { env } from "@/env";
import { getDb } from "@/server/db";
import { listEpochSeeds } from "@/server/services/tasks/epoch-seeds";

export const dynamic = "force-dynamic";

/**
 * GET /api/v0/epochs.json — each epoch's seed commitment (sha256 of the seed's hex text), published ahead of the
 * epoch, and the seed itself once the epoch has started, so anyone can verify past items (docs/api.md, docs/trust.md).
 */
export async function GET() {
  const epochs = await listEpochSeeds({ db: getDb(), now: new Date(), epochMinutes: env.EPOCH_MINUTES, limit: 50 });
  return Response.json(
    {
      commitment: "sha256 of the seed's hex text: printf %s <seed> | sha256sum",
      sampler: "quorum-sample/v2, see docs/benchmarks.md",
      epochs: epochs.map((e) => ({ ...e, startsAt: e.startsAt.toISOString(), committedAt: e.committedAt.toISOString() })),
    },
    { headers: { "cache-control": "public, max-age=30", "access-control-allow-origin": "*" } },
  );
}
