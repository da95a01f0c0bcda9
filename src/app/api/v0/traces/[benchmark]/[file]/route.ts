import { JSON_HEADERS } from "@/app/api/_lib/public-url";
import { env } from "@/env";
import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { getTrace } from "@/server/services/traces/build-trace";

export const dynamic = "force-dynamic";

/** GET /api/v0/traces/<benchmark>/<epoch>.jsonl.gz — every decided task of the epoch (format in docs/api.md). */
export async function GET(request: Request, { params }: { params: Promise<{ benchmark: string; file: string }> }) {
  const { benchmark: rawBenchmark, file } = await params;
  const benchmark = decodeURIComponent(rawBenchmark);
  const match = /^(\d{1,9})\.jsonl\.gz$/.exec(file);
  if (!match || !/^[a-z0-9_.-]{1,60}@[0-9]{1,6}$/.test(benchmark)) {
    return Response.json({ error: "expected /api/v0/traces/<benchmark id, e.g. gsm8k@3>/<epoch>.jsonl.gz" }, { status: 404, headers: JSON_HEADERS });
  }
  try {
    const trace = await getTrace({ db: getDb(), benchmarkId: benchmark, epoch: Number(match[1]), now: new Date(), epochMinutes: env.EPOCH_MINUTES });
    const etag = `"${trace.sha256}"`;
    const headers = {
      "content-type": "application/gzip",
      "content-disposition": `attachment; filename="${benchmark.replace("@", "-")}-epoch-${trace.epoch}.jsonl.gz"`,
      "cache-control": "public, max-age=31536000, immutable",
      etag,
      "x-content-sha256": trace.sha256,
      "access-control-allow-origin": "*",
    };
    if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(new Uint8Array(trace.body), { headers });
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND") {
      return Response.json({ error: error.message }, { status: 404, headers: { ...JSON_HEADERS, "cache-control": "public, max-age=30" } });
    }
    throw error;
  }
}
