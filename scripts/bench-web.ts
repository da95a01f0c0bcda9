/**
 * `pnpm bench:web`: seeds synthetic data (10,000 models, 100,000 results) into a fresh database, starts the
 * production server on it, loads GET /api/v0/leaderboard.json with autocannon under a mix of sorts, filters and
 * searches (one page of 50 each, as the board page asks), weighs the board page's first load (HTML plus the scripts
 * and styles it links, compressed as a browser receives them), times the server render of the board page, then
 * measures live latency: from sending the submission that completes a consensus to a subscribed SSE client
 * receiving `task.accepted`. Builds the app first when no production build exists. Prints, last:
 *   models=<n> results=<n> board_api_p95_ms=<n> board_page_bytes=<n> first_render_ms=<n> live_latency_ms=<n>
 * and, on its own line after the board load, the head-to-head endpoint's figure (measureCompare):
 *   compare_p95_ms=<n>
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import pg from "pg";
import { createRunnerApi } from "../runner/src/api-client";
import { listBenchmarks } from "../src/lib/benchmarks/registry";
import { generateRunnerKeyPair } from "../src/lib/protocol/signing";
import { createDb } from "../src/server/db";
import { scratchDatabase } from "../src/server/db/scratch-database";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { registerModel } from "../src/server/services/models/register-model";
import { createToken } from "../src/server/services/tokens/manage-tokens";
import { signedSubmission } from "../src/test/fixtures";
import { goldOutputs } from "../src/test/gold-outputs";

const MODELS = Number(process.env.BENCH_MODELS ?? 10_000);
const RESULTS_PER_TASK = 5; // 2 benchmarks x 5 = 10 results per model: 100,000 for 10,000 models
const PORT = Number(process.env.BENCH_PORT ?? 3210);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const LIVE_ROUNDS = 5;
const BASE = `http://127.0.0.1:${PORT}`;

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // The benchmarks a fresh install schedules (gsm8k and truthfulqa_mc): 2 x 5 results per model, as the issue sizes it.
  const benchmarks = listBenchmarks().filter((benchmark) => benchmark.activeByDefault !== false);
  await client.query("BEGIN");
  await client.query(`INSERT INTO "User" (id, name, role) VALUES ('submitter', 'bench-submitter', 'ADMIN')`);
  await client.query(`INSERT INTO "User" (id, name, role) SELECT 'u' || g, 'volunteer-' || g, 'USER' FROM generate_series(1, 100) g`);
  await client.query(`INSERT INTO "Runner" (id, "ownerId", name, "publicKey", gpu, "validCount", "consecutiveValid", "lastSeenAt")
    SELECT 'r' || g, 'u' || g, 'runner-' || g, 'bench-key-' || g, 'NVIDIA H100', 1000, 1000, now() FROM generate_series(1, 100) g`);
  await client.query(`INSERT INTO "Model" (id, repo, revision, "weightType", precision, "submitterId", status, "createdAt")
    SELECT 'm' || g, 'bench/model-' || g, lpad(to_hex(g), 40, '0'), 'ORIGINAL', 'BFLOAT16', 'submitter', 'ACTIVE', now() - interval '1 day'
    FROM generate_series(1, $1::int) g`, [MODELS]);
  for (const benchmark of benchmarks) {
    const items = benchmark.allItemIds().slice(0, 5);
    const metrics = benchmark.metrics.map((m) => m.name);
    const scoresSql = metrics.map((m) => `'${m}', round(random())`).join(", ");
    await client.query(
      `INSERT INTO "Task" (id, "modelId", "benchmarkId", epoch, "itemIds", status, quorum, "targetResults", "maxResults",
         "minAgreement", "acceptedScore", "acceptedResultId", "itemAgreement", "holderOwners", "isFull", "createdAt", "updatedAt", "finishedAt")
       SELECT 't' || g || '_' || $1, 'm' || g, $1, 1, $2::text[], 'ACCEPTED', 3, 5, 7, 0.8, 0.6, 'res' || g || '_' || $1 || '_0', 0.8,
         ARRAY(SELECT 'u' || ((g * 7 + k) % 100 + 1) FROM generate_series(0, 4) k), true, now(), now(), now()
       FROM generate_series(1, $3::int) g`,
      [benchmark.key, items, MODELS],
    );
    await client.query(
      `INSERT INTO "Assignment" (id, "taskId", "runnerId", "ownerId", "claimTokenHash", status, "leaseExpiresAt", "createdAt", "finishedAt")
       SELECT 'a' || g || '_' || $1 || '_' || k, 't' || g || '_' || $1, 'r' || ((g * 7 + k) % 100 + 1), 'u' || ((g * 7 + k) % 100 + 1),
         md5('a' || g || '_' || $1 || '_' || k), 'SUBMITTED', now(), now(), now()
       FROM generate_series(1, $2::int) g, generate_series(0, ${RESULTS_PER_TASK - 1}) k`,
      [benchmark.key, MODELS],
    );
    await client.query(
      `INSERT INTO "Result" (id, "assignmentId", "taskId", "runnerId", records, "outputsSha256", "claimedScore", score,
         "primaryScore", "engineName", "engineVersion", "imageDigest", gpu, "runtimeSeconds", "energyKwh", signature, "signedAt", verdict, "createdAt")
       SELECT 'res' || g || '_' || $1 || '_' || k, 'a' || g || '_' || $1 || '_' || k, 't' || g || '_' || $1, 'r' || ((g * 7 + k) % 100 + 1),
         (SELECT jsonb_agg(jsonb_build_object('item', item, 'extracted', jsonb_build_object('answer', '42'),
             'scores', jsonb_build_object(${scoresSql}))) FROM unnest($2::text[]) item),
         md5(g::text || k), '{}'::jsonb, '{}'::jsonb, 0.6, 'vllm', '0.11.0', 'sha256:bench', 'NVIDIA H100', 42, CASE WHEN g % 3 = 0 THEN NULL ELSE 0.001 + random() * 0.004 END, 'sig', now(),
         CASE WHEN k < 4 THEN 'VALID'::"Verdict" ELSE 'INVALID'::"Verdict" END, now()
       FROM generate_series(1, $3::int) g, generate_series(0, ${RESULTS_PER_TASK - 1}) k`,
      [benchmark.key, items, MODELS],
    );
    const metricJson = metrics
      .map((m) => `'${m}', jsonb_build_object('mean', s.mean, 'n', 5, 'stderr', 0.2, 'lo', greatest(0, s.mean - 0.35), 'hi', least(1, s.mean + 0.35))`)
      .join(", ");
    await client.query(
      `INSERT INTO "LeaderboardRow" ("modelId", "benchmarkId", metrics, mean, n, lo, hi, "acceptedTasks", "updatedAt")
       SELECT 'm' || g, $1, jsonb_build_object(${metricJson}), s.mean, 5, greatest(0, s.mean - 0.35), least(1, s.mean + 0.35), 1, now()
       FROM generate_series(1, $2::int) g, LATERAL (SELECT round((random() * 5)::numeric) / 5.0 AS mean OFFSET 0) s`,
      [benchmark.key, MODELS],
    );
  }
  await client.query(`INSERT INTO "Event" (kind, payload) VALUES ('bench.seeded', '{}')`);
  await client.query("COMMIT");
  await client.query("ANALYZE");
  await client.end();
}

/** A minimal SSE client for the tRPC subscription: calls onEvent with each event's data. */
async function subscribe(onEvent: (data: { kind: string; taskId: string | null }) => void, signal: AbortSignal): Promise<void> {
  const response = await fetch(`${BASE}/api/trpc/live.events`, { headers: { accept: "text/event-stream" }, signal });
  if (!response.ok || !response.body) throw new Error(`subscription failed: HTTP ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let index: number;
        while ((index = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, index);
          buffer = buffer.slice(index + 2);
          const data = block.split("\n").find((line) => line.startsWith("data:"));
          if (!data) continue;
          const parsed = JSON.parse(data.slice(5)) as { json?: { kind?: string; taskId?: string | null } };
          if (parsed.json?.kind) onEvent({ kind: parsed.json.kind, taskId: parsed.json.taskId ?? null });
        }
      }
    } catch {
      // aborted at the end of the benchmark
    }
  })();
}

/**
 * Head to head: GET /api/v0/compare/<a>/<b>.json for random pairs of the seeded models (each pair shares one epoch's
 * items on every benchmark, so every request runs a 10,000-resample bootstrap per benchmark), 10 concurrent clients.
 */
async function measureCompare(models: number, durationS: number): Promise<{ p50: number; p95: number; requests: number; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const deadline = performance.now() + durationS * 1000;
  const pick = () => `m${1 + Math.floor(Math.random() * models)}`;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (performance.now() < deadline) {
        let a = pick();
        let b = pick();
        while (b === a) b = pick();
        if (Math.random() < 0.5) [a, b] = [b, a];
        const started = performance.now();
        const response = await fetch(`${BASE}/api/v0/compare/${a}/${b}.json`);
        await response.arrayBuffer();
        if (response.ok) latencies.push(performance.now() - started);
        else failures++;
      }
    }),
  );
  latencies.sort((x, y) => x - y);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), requests: latencies.length, failures };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const database = await scratchDatabase({ adminUrl: process.env.BENCH_DATABASE_URL, port: 55800, name: `quorum_benchweb_${process.pid}` });
  const url = database.url;
  let server: ReturnType<typeof spawn> | null = null;
  try {
    const db = createDb(url, { max: 4 });
    await seedBenchmarks(db);
    let started = performance.now();
    await seed(url);
    const counts = await db.$queryRaw<{ models: bigint; results: bigint }[]>`
      SELECT (SELECT count(*) FROM "Model") AS models, (SELECT count(*) FROM "Result") AS results`;
    const models = Number(counts[0]!.models);
    const results = Number(counts[0]!.results);
    console.log(`seeded ${models} models and ${results} results in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    if (!existsSync(".next/BUILD_ID")) {
      console.log("no production build: running `pnpm build`...");
      const build = spawnSync("pnpm", ["build"], { stdio: "inherit" });
      if (build.status !== 0) throw new Error("pnpm build failed");
    }
    server = spawn("pnpm", ["start"], {
      env: { ...process.env, DATABASE_URL: url, PORT: String(PORT), NEXTAUTH_URL: BASE, AUTH_DEV_LOGIN: "false", SCHEDULER_INTERVAL_S: "3600",
        // The live rounds need all three runners on one task: no spot checks, and room to hold both of a model's tasks.
        SPOT_CHECK_SHARE: "0", MAX_CLAIMS_PER_RUNNER: "2" },
      stdio: ["ignore", "ignore", "inherit"],
      detached: true,
    });
    for (let i = 0; ; i++) {
      const ok = await fetch(`${BASE}/api/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 120) throw new Error("the server did not start within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    started = performance.now();
    const warm = await fetch(`${BASE}/api/v0/leaderboard.json?limit=1000`);
    const body = await warm.text();
    console.log(`first leaderboard request (computes the board): ${(performance.now() - started).toFixed(0)} ms, ${(body.length / 1e6).toFixed(1)} MB`);

    // Load: autocannon, 10 connections, a mix of the board page's requests (sorts, filters, searches, deep pages);
    // latencies recorded per response for an exact p95.
    const QUERIES = [
      "offset=0&limit=50",
      "offset=4950&limit=50&sort=model&order=desc",
      "offset=0&limit=50&sort=gsm8k%403%3Aexact_match%2Cstrict-match",
      "offset=100&limit=50&sort=truthfulqa_mc%402%3Amc2&order=asc",
      "offset=0&limit=50&sort=energy",
      "offset=0&limit=50&sort=score_per_kwh",
      "offset=0&limit=50&sort=updated",
      "offset=0&limit=50&q=model-12",
      "offset=50&limit=50&weightType=original&precision=bfloat16&sort=overall",
      "offset=0&limit=50&q=volunteer&sort=rank",
    ];
    for (const query of QUERIES) {
      const response = await fetch(`${BASE}/api/v0/leaderboard.json?${query}`);
      if (!response.ok) throw new Error(`GET leaderboard.json?${query}: HTTP ${response.status}`);
    }
    const latencies: number[] = [];
    const loadResult = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: BASE,
          connections: 10,
          duration: DURATION_S,
          requests: QUERIES.map((query) => ({ method: "GET" as const, path: `/api/v0/leaderboard.json?${query}` })),
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      instance.on("response", (_client, statusCode, _bytes, responseTime) => {
        if (statusCode === 200) latencies.push(responseTime);
      });
    });
    latencies.sort((a, b) => a - b);
    const p95 = percentile(latencies, 95);
    console.log(
      `autocannon: ${loadResult.requests.total} requests in ${DURATION_S} s (${loadResult.requests.average}/s), ` +
        `non-2xx=${loadResult.non2xx}, p50=${percentile(latencies, 50).toFixed(1)} ms p95=${p95.toFixed(1)} ms p99=${percentile(latencies, 99).toFixed(1)} ms`,
    );

    // --- head to head (issue 14): its own figure, on its own line ---
    const compare = await measureCompare(models, DURATION_S);
    console.log(
      `compare: ${compare.requests} requests in ${DURATION_S} s, failures=${compare.failures}, p50=${compare.p50.toFixed(1)} ms p95=${compare.p95.toFixed(1)} ms`,
    );
    console.log(`compare_p95_ms=${compare.p95.toFixed(1)}`);
    // --- end head to head ---
    // The board page: server render time (median of 10, after a warm-up) and the first load's compressed weight.
    const renders: number[] = [];
    let html = "";
    for (let i = 0; i < 11; i++) {
      const t0 = performance.now();
      const response = await fetch(`${BASE}/`, { headers: { "accept-encoding": "gzip, br" } });
      html = await response.text();
      if (i > 0) renders.push(performance.now() - t0);
    }
    renders.sort((a, b) => a - b);
    const firstRender = renders[Math.floor(renders.length / 2)]!;
    const assets = [...new Set([...html.matchAll(/(?:src|href)="(\/_next\/static\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!))];
    let pageBytes = 0;
    for (const url of ["/", ...assets]) {
      const response = await fetch(`${BASE}${url}`, { headers: { "accept-encoding": "gzip" } });
      // fetch decompresses: weigh the body as gzip would send it (what Next's compression sends a browser).
      const body = Buffer.from(await response.arrayBuffer());
      pageBytes += gzipSync(body).length;
    }
    console.log(`board page: server render median ${firstRender.toFixed(0)} ms; first load ${pageBytes} bytes gzipped (${assets.length} scripts and styles)`);

    // Live latency: three runners of three volunteers evaluate a fresh model; the clock runs from sending the
    // submission that completes the consensus to the subscribed client receiving task.accepted.
    const runners: { api: ReturnType<typeof createRunnerApi>; keys: ReturnType<typeof generateRunnerKeyPair>; runnerId: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const user = await db.user.create({ data: { name: `live-${i}` } });
      const { token } = await createToken({ db, actor: { id: user.id, role: "USER" }, name: "bench", scopes: ["task:pull", "task:submit"] });
      const api = createRunnerApi({ server: BASE, token });
      const keys = generateRunnerKeyPair();
      const { runnerId } = await api.register({ name: `live-${i}`, publicKey: keys.publicKey });
      runners.push({ api, keys, runnerId });
    }
    const controller = new AbortController();
    const waiting = new Map<string, (at: number) => void>();
    await subscribe((event) => {
      if (event.kind === "task.accepted" && event.taskId) waiting.get(event.taskId)?.(performance.now());
    }, controller.signal);
    const liveLatencies: number[] = [];
    // The scheduler's first run gave every seeded model a task of the current epoch; retire those, so that the live
    // rounds' runners are assigned the fresh model's tasks (the server picks among all open tasks).
    await db.$executeRaw`UPDATE "Task" SET status = 'FAILED', "finishedAt" = now() WHERE status = 'QUEUED' AND "modelId" ~ '^m[0-9]+$'`;
    for (let round = 0; round < LIVE_ROUNDS; round++) {
      await registerModel({
        db, actor: { id: "submitter", role: "ADMIN" },
        input: { repo: `bench/live-${round}`, revision: (round + 1).toString(16).padStart(40, "f"), weightType: "ORIGINAL", baseModel: undefined, precision: "BFLOAT16" },
        now: new Date(), normRequired: 3, normWindowHours: 24, epochMinutes: 60,
      });
      // The server picks which of the model's two tasks each claim gets: every runner claims both.
      type Claim = NonNullable<Awaited<ReturnType<(typeof runners)[number]["api"]["claim"]>>["claim"]>;
      const held: { runner: (typeof runners)[number]; claim: Claim }[] = [];
      for (const runner of runners) {
        for (let i = 0; i < 2; i++) {
          const { claim } = await runner.api.claim({ runnerId: runner.runnerId, engine: "vllm" });
          if (!claim) throw new Error("no task to claim");
          held.push({ runner, claim });
        }
      }
      const submission = ({ runner, claim }: (typeof held)[number]) => ({
        runner,
        request: signedSubmission(runner, claim, goldOutputs(claim.task.benchmark.key, claim.task.itemIds)),
      });
      const taskId = held[0]!.claim.task.id;
      for (const entry of held.filter((h) => h.claim.task.id !== taskId)) {
        const { runner, request } = submission(entry);
        await runner.api.submit(request);
      }
      const requests = held.filter((h) => h.claim.task.id === taskId).map(submission);
      if (requests.length !== 3) throw new Error(`expected three claims on task ${taskId}, got ${requests.length}`);
      await requests[0]!.runner.api.submit(requests[0]!.request);
      await requests[1]!.runner.api.submit(requests[1]!.request);
      const received = new Promise<number>((resolve) => waiting.set(taskId, resolve));
      const sent = performance.now();
      await requests[2]!.runner.api.submit(requests[2]!.request);
      const timeout = new Promise<number>((_, reject) => setTimeout(() => reject(new Error("no task.accepted event within 10 s")), 10_000));
      liveLatencies.push((await Promise.race([received, timeout])) - sent);
    }
    controller.abort();
    liveLatencies.sort((a, b) => a - b);
    const live = liveLatencies[liveLatencies.length - 1]!;
    console.log(`live latency over ${LIVE_ROUNDS} consensus commits: ${liveLatencies.map((v) => v.toFixed(0)).join(", ")} ms (worst reported)`);
    await db.$disconnect();
    console.log(
      `models=${models} results=${results} board_api_p95_ms=${p95.toFixed(1)} board_page_bytes=${pageBytes} ` +
        `first_render_ms=${firstRender.toFixed(0)} live_latency_ms=${live.toFixed(0)}`,
    );
  } finally {
    if (server?.pid) {
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:web failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
