/**
 * `pnpm bench:abuse`: a bounded load from loopback against the app's own handlers on a fresh PostgreSQL database
 * (scripts/abuse-server.ts, in its own process so its memory is measured alone). It stops by itself. Phases:
 *  1. fuzz: FUZZ_INPUTS (10,000) property-based inputs to every tRPC procedure and public route, 2 at a time;
 *  2. oversized bodies (8 MiB), 3. batch floods (50 calls per batch), 4. 1,000 distinct leaderboard pages,
 *  5. 200 live clients that never read while 50,000 events are published, 6. a burst of 1,000 mutations from one user.
 * Throughout, a normal client reads the leaderboard every 50 ms; its p95 latency is `legit_p95_ms`. `limited` is the
 * share of phases 2, 3, 5 and 6's abusive requests that were refused (413, 400, 429) instead of served.
 * rss_growth_mb is the server's resident memory after a full GC at the end, less the same after warm-up.
 * Last line: fuzz_inputs=<n> http_5xx=<n> rss_growth_mb=<n> limited=<share> legit_p95_ms=<n>
 * Targets: fuzz_inputs >= 10000, http_5xx = 0, rss_growth_mb < 100, legit_p95_ms < 200.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { createInterface } from "node:readline";
import fc from "fast-check";
import pg from "pg";
import { scratchDatabase } from "../src/server/db/scratch-database";
import { fuzzRequests, sendFuzzRequest, type FuzzRequest } from "../src/server/security/fuzz/fuzz-harness";

const FUZZ_INPUTS = Number(process.env.FUZZ_INPUTS ?? 10_000);
const log = (message: string) => console.log(`[abuse] ${message}`);

function rssMb(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

const database = await scratchDatabase({ adminUrl: process.env.BENCH_DATABASE_URL, port: 55810, name: `quorum_benchabuse_${process.pid}` });
const server = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "scripts/abuse-server.ts"], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, DATABASE_URL: database.url, QUORUM_ALLOW_TEST_DOUBLES: "true", QUORUM_HUB_CHECKS: "false", NODE_ENV: "production" },
});
let http5xx = 0;
let abusive = 0;
let refused = 0;
const latencies: number[] = [];
let isStopping = false;
let gcDone: (() => void) | null = null;
/** The server's resident memory after a full garbage collection: what it retains, not garbage not yet collected. */
async function retainedRssMb(pid: number): Promise<number> {
  await new Promise<void>((resolve) => {
    gcDone = resolve;
    server.kill("SIGUSR2");
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return rssMb(pid);
}
try {
  const ready = await new Promise<{ url: string; pid: number; ids: { modelId: string; runnerId: string; tokenId: string }; credentials: { userId: string; adminId: string; token: string } }>((resolve, reject) => {
    const lines = createInterface({ input: server.stdout! });
    lines.on("line", (line) => {
      if (line.startsWith("{")) resolve(JSON.parse(line));
      else if (line === "gc-done") gcDone?.();
      else console.log(line);
    });
    server.once("exit", (code) => reject(new Error(`the abuse server exited (${code})`)));
  });
  const { url, ids, credentials } = ready;
  const count = (status: number) => {
    if (status >= 500) http5xx += 1;
  };
  const abuse = (status: number) => {
    count(status);
    abusive += 1;
    if (status === 413 || status === 400 || status === 429 || status === 431) refused += 1;
  };

  // Warm up (JIT, caches, pools), then take the baseline.
  for (let i = 0; i < 200; i++) await fetch(`${url}/api/v0/leaderboard.json?limit=50&offset=${i % 5}`).then((r) => r.arrayBuffer());
  // (a transport error in the phases below is a dropped connection, not an answer: it is neither counted nor fatal)
  const baseline = await retainedRssMb(ready.pid);
  log(`server ready at ${url}; rss ${baseline.toFixed(0)} MB`);

  // The normal client has its own connections (a separate user's browser), not the abusers' shared pool.
  const legitAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const legitGet = (path: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get(`${url}${path}`, { agent: legitAgent }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
        })
        .on("error", reject);
    });
  const legit = (async () => {
    while (!isStopping) {
      const started = performance.now();
      const status = await legitGet("/api/v0/leaderboard.json?limit=50").catch(() => legitGet("/api/v0/leaderboard.json?limit=50"));
      count(status);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  // 1. Fuzzing.
  const inputs: FuzzRequest[] = fc.sample(fuzzRequests(ids), { numRuns: FUZZ_INPUTS, seed: 20261203 });
  let done = 0;
  await pool(inputs, 2, async (request) => {
    const { status } = await sendFuzzRequest(url, request, credentials).catch(() => ({ status: 0 }));
    count(status);
    if (++done % 1000 === 0) log(`fuzz ${done}/${FUZZ_INPUTS} (5xx so far: ${http5xx})`);
  });

  // 2. Oversized bodies.
  const huge = JSON.stringify({ json: { repo: "a".repeat(8 * 1024 * 1024) } });
  await pool(Array.from({ length: 50 }), 4, async () => {
    const response = await fetch(`${url}/api/trpc/model.register`, { method: "POST", headers: { "content-type": "application/json", cookie: `quorum-test-user=${credentials.userId}` }, body: huge }).catch(() => null);
    await response?.arrayBuffer().catch(() => undefined);
    abuse(response?.status ?? 413);
  });
  log("oversized bodies done");

  // 3. Batch floods.
  await pool(Array.from({ length: 300 }), 8, async () => {
    const paths = Array.from({ length: 50 }, () => "leaderboard.get").join(",");
    const response = await fetch(`${url}/api/trpc/${paths}?batch=1&input=${encodeURIComponent("{}")}`).catch(() => null);
    await response?.arrayBuffer().catch(() => undefined);
    if (response) abuse(response.status);
  });
  log("batch floods done");

  // 4. 1,000 distinct leaderboard pages.
  await pool(Array.from({ length: 1000 }, (_, i) => i), 8, async (i) => {
    const response = await fetch(`${url}/api/v0/leaderboard.json?offset=${i % 300}&limit=${1 + Math.floor(i / 300) * 100 + (i % 97)}`).catch(() => null);
    await response?.arrayBuffer().catch(() => undefined);
    if (response) count(response.status);
  });
  log("1,000 leaderboard pages done");

  // 5. 200 live clients that never read, while 50,000 events are published.
  const sockets: net.Socket[] = [];
  const { port } = new URL(url);
  const statuses = await Promise.all(
    Array.from({ length: 200 }, () =>
      new Promise<number>((resolve) => {
        const socket = net.connect(Number(port), "127.0.0.1", () => {
          socket.write(`GET /api/trpc/live.events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
        });
        sockets.push(socket);
        socket.once("data", (chunk) => {
          resolve(Number(chunk.toString("latin1").match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0));
          socket.pause(); // never read again
        });
        socket.on("error", () => resolve(0));
      }),
    ),
  );
  for (const status of statuses) abuse(status);
  const publisher = new pg.Client({ connectionString: database.url });
  await publisher.connect();
  for (let sent = 0; sent < 50_000; sent += 1000) {
    await publisher.query(
      `SELECT count(pg_notify('quorum_events', json_build_object('id', (1000000000 + $1::int + g)::text, 'kind', 'bench.noise', 'taskId', null, 'modelId', null, 'pad', repeat('x', 200))::text)) FROM generate_series(1, 1000) g`,
      [sent],
    );
  }
  await publisher.end();
  for (const socket of sockets) socket.destroy();
  log(`live clients: ${statuses.filter((s) => s === 200).length} connected, ${statuses.filter((s) => s === 429).length} refused; 50,000 events published`);

  // 6. A burst of mutations from one user.
  await pool(Array.from({ length: 1000 }, (_, i) => i), 8, async (i) => {
    const response = await fetch(`${url}/api/trpc/token.create`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: `quorum-test-user=${credentials.userId}` },
      body: JSON.stringify({ json: { name: `burst-${i}`, scopes: ["task:pull"] } }),
    }).catch(() => null);
    await response?.arrayBuffer().catch(() => undefined);
    if (response) abuse(response.status);
  });
  log("mutation burst done");

  isStopping = true;
  await legit;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const growth = (await retainedRssMb(ready.pid)) - baseline;
  latencies.sort((a, b) => a - b);
  const p95 = latencies[Math.floor(latencies.length * 0.95)] ?? Number.NaN;
  console.log(
    `fuzz_inputs=${FUZZ_INPUTS} http_5xx=${http5xx} rss_growth_mb=${Math.round(growth)} limited=${(refused / Math.max(1, abusive)).toFixed(2)} legit_p95_ms=${Math.round(p95)}`,
  );
} finally {
  isStopping = true;
  server.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 500));
  await database.drop();
}
process.exit(0);
