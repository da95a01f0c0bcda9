import { env } from "@/env";
import { getDb, poolOf } from "@/server/db";
import { rateLimitsFor } from "@/server/security/rate-limits";
import { handleCreateBenchmarkRequest } from "@/server/services/benchmarks/community/create-benchmark-http";

export const dynamic = "force-dynamic";

/**
 * POST /api/v0/benchmarks — create a community benchmark (a definition of an existing family, its dataset by URL +
 * sha256) with a bearer API token holding `benchmark:create`. It starts in probation (docs/api.md).
 */
export async function POST(req: Request) {
  const db = getDb();
  return handleCreateBenchmarkRequest(req, {
    db,
    now: new Date(),
    epochMinutes: env.EPOCH_MINUTES,
    referenceModels: env.COMMUNITY_REFERENCE_MODELS,
    maxBodyBytes: env.MAX_BODY_BYTES,
    rateLimits: rateLimitsFor(poolOf(db)),
  });
}
