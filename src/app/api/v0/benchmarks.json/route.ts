import { getDb } from "@/server/db";
import { listBenchmarks } from "@/server/services/benchmarks/list-benchmarks";

export const dynamic = "force-dynamic";

/**
 * GET /api/v0/benchmarks.json — every registered benchmark, scheduled (`isActive`) or not: metrics with their
 * direction (`higherIsBetter`), pinned data with sha256 and licence, consensus settings, and how it is scored
 * (docs/api.md, docs/benchmarks.md).
 */
export async function GET() {
  const benchmarks = await listBenchmarks({ db: getDb() });
  return Response.json(
    {
      apiVersion: 0,
      benchmarks: benchmarks.map((benchmark) => ({
        ...benchmark,
        metrics: benchmark.metrics.map(({ name, higherIsBetter, kind }) => ({ name, higherIsBetter, kind })),
      })),
    },
    { headers: { "cache-control": "public, max-age=60", "access-control-allow-origin": "*" } },
  );
}
