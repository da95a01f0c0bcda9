import { JSON_HEADERS, publicOrigin } from "@/app/api/_lib/public-url";
import { env } from "@/env";
import { getDb } from "@/server/db";
import { listTraces, TRACE_FORMAT } from "@/server/services/traces/build-trace";

export const dynamic = "force-dynamic";

/** GET /api/v0/traces/manifest.json — every published trace file with its sha256, size and line count. */
export async function GET(request: Request) {
  const traces = await listTraces({ db: getDb(), now: new Date(), epochMinutes: env.EPOCH_MINUTES });
  const origin = publicOrigin(request);
  return Response.json(
    {
      apiVersion: 0,
      format: TRACE_FORMAT,
      files: traces.map((t) => ({ ...t, url: `${origin}/api/v0/traces/${t.benchmark}/${t.epoch}.jsonl.gz` })),
    },
    { headers: { ...JSON_HEADERS, "cache-control": "public, max-age=60" } },
  );
}
