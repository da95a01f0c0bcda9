/**
 * Property-based fuzzing of every tRPC procedure and public route over HTTP (fast-check), shared by the fuzz test
 * (src/server/security/fuzz.test.ts) and `pnpm bench:abuse`. A plain HTTP server serves the app's own handlers
 * (the /api/trpc door with its limits, and the public route modules) on a real PostgreSQL; only the session lookup
 * differs from Next.js (a test cookie names a seeded user instead of a next-auth JWT).
 *
 * Inputs are valid-shaped requests with one field made hostile, or hostile values outright: huge strings, deep
 * nesting, wrong types, unicode, negative and NaN numbers (superjson carries NaN and Infinity), path tricks. Each
 * request is checked for the two properties: no 5xx, and a refused request changed no stored row.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import fc from "fast-check";
import superjson from "superjson";
import { appRouter } from "@/server/api/root";
import { createTrpcHttpHandler } from "@/server/api/http-handler";
import type { SessionUser } from "@/server/auth/users";
import type { Db } from "@/server/db";

type Handler = (req: Request) => Promise<Response>;

export interface FuzzServer {
  url: string;
  close(): Promise<void>;
}

/** Serves /api/trpc and the public routes of the app from a plain HTTP server (cookie `quorum-test-user=<id>`). */
export async function startFuzzServer(options: { getDb: () => Db; users: Map<string, SessionUser> }): Promise<FuzzServer> {
  const trpc = createTrpcHttpHandler({
    getDb: options.getDb,
    getUser: async (req) => {
      const id = req.headers.get("cookie")?.match(/quorum-test-user=([^;]+)/)?.[1];
      return (id && options.users.get(id)) || null;
    },
  });
  const leaderboard = (await import("@/app/api/v0/leaderboard.json/route")).GET as Handler;
  const epochs = (await import("@/app/api/v0/epochs.json/route")).GET as unknown as Handler;
  const health = (await import("@/app/api/health/route")).GET as unknown as Handler;
  const models = (await import("@/app/api/v0/models/[file]/route")).GET;

  const route = (req: Request): Promise<Response> => {
    const { pathname } = new URL(req.url);
    if (pathname.startsWith("/api/trpc/")) return trpc(req);
    if (pathname === "/api/v0/leaderboard.json") return leaderboard(req);
    if (pathname === "/api/v0/epochs.json") return epochs(req);
    if (pathname === "/api/health") return health(req);
    const model = pathname.match(/^\/api\/v0\/models\/([^/]*)$/);
    if (model) return models(req, { params: Promise.resolve({ file: decodeURIComponent(model[1]!) }) });
    return Promise.resolve(new Response("not found", { status: 404 }));
  };

  const server = http.createServer((req, res) => {
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(key, value);
      else if (Array.isArray(value)) headers.set(key, value.join(", "));
    }
    headers.set("x-forwarded-for", req.socket.remoteAddress ?? "unknown");
    const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
      signal: controller.signal,
      ...(hasBody ? { duplex: "half" } : {}),
    } as RequestInit);
    route(request)
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (!response.body) return void res.end();
        const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
        body.on("error", () => res.destroy());
        // A client that leaves cancels the response stream (as Next.js does), which frees a live connection's slot.
        res.on("close", () => body.destroy());
        body.pipe(res);
      })
      .catch((error: unknown) => {
        console.error("[fuzz-server] handler threw:", error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  // Longer than the client's idle sockets live, so a reused connection is never closed under a request.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const PROCEDURES = Object.entries(appRouter._def.procedures).map(([path, procedure]) => ({
  path,
  type: (procedure as unknown as { _def: { type: "query" | "mutation" | "subscription" } })._def.type,
}));

const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
const b64url = (length: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${length}}$`));

/** Values an attacker sends: wrong types, extremes, unicode, path tricks, huge and deeply nested data. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    true,
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    Number.MAX_SAFE_INTEGER,
    1e308,
    "",
    " ",
    "../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "/\\evil.example",
    "%00",
    "\u0000",
    "fixture/perfect",
    "org/a--b",
    "org/..",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "__proto__",
    "constructor",
    "🦄".repeat(1000),
    "\u202e\u200b\ufeff",
    "a".repeat(100_000),
  ),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.integer(),
  fc.double(),
  fc.bigInt().map((value) => value.toString()),
  fc.date({ noInvalidDate: false }),
  fc.array(fc.integer(), { maxLength: 50 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 10 }),
  fc.integer({ min: 50, max: 2_000 }).map((depth) => {
    let nested: unknown = "deep";
    for (let i = 0; i < depth; i++) nested = i % 2 ? [nested] : { a: nested };
    return nested;
  }),
  fc.integer({ min: 1, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
);

/** Inputs of the right shape per procedure (ids are the seeded ones when known). */
export function validShaped(ids: { modelId: string; runnerId: string; tokenId: string }): Record<string, fc.Arbitrary<Record<string, unknown>>> {
  const repo = fc.stringMatching(/^[a-z][a-z0-9-]{1,20}\/[a-z][a-z0-9-]{1,20}$/);
  const claimToken = b64url(43);
  const outputs = fc.array(fc.record({ item: fc.string({ maxLength: 20 }), output: fc.string({ maxLength: 200 }) }), { minLength: 1, maxLength: 5 });
  return {
    "benchmark.create": fc.record({
      key: fc.constantFrom("gsm8k@3", "truthfulqa_mc@2", "mmlu@1"),
      itemsPerTask: fc.integer({ min: -5, max: 200 }),
      quorum: fc.integer({ min: -1, max: 20 }),
      minAgreement: fc.double({ min: -1, max: 2 }),
      maxResults: fc.integer({ min: 0, max: 30 }),
      isActive: fc.boolean(),
    }),
    // Community definitions: the dataset URL is a closed local port, so a definition that passes validation is
    // refused at the download (connection refused) without waiting on the network.
    "benchmark.createCommunity": fc.record({
      slug: fc.constantFrom("fuzz_bench", "gsm8k", "Bad Slug"),
      name: fc.string({ maxLength: 100 }),
      family: fc.constantFrom("generate_until_exact_match", "loglikelihood_multiple_choice", "loglikelihood_rolling", "code"),
      promptTemplate: fc.constantFrom("Q: {{input}}\nA:", "Text:\n{{input}}", "{{input}}{{input}}", "none"),
      fewshot: fc.record({ count: fc.integer({ min: -1, max: 12 }), separator: fc.string({ maxLength: 25 }) }),
      metric: fc.constantFrom("exact_match", "acc", "bits_per_byte", "pass@1"),
      itemsPerTask: fc.integer({ min: -1, max: 60 }),
      dataset: fc.record({
        url: fc.constantFrom("http://127.0.0.1:1/data.jsonl", "file:///etc/passwd", "ftp://datasets.example.org/data.jsonl"),
        sha256: fc.oneof(hex(64), fc.string({ maxLength: 70 })),
        licence: fc.string({ maxLength: 70 }),
      }),
    }),
    "benchmark.rejectCommunity": fc.record({ id: fc.constantFrom("missing@1", "gsm8k@3"), reason: fc.string({ maxLength: 600 }) }),
    "benchmark.retryCanaries": fc.record({ id: fc.oneof(fc.constantFrom("missing@1", "gsm8k@3"), fc.string({ maxLength: 70 })) }),
    "model.register": fc.record({
      repo,
      revision: hex(40),
      weightType: fc.constantFrom("ORIGINAL", "ADAPTER", "DELTA"),
      baseModel: fc.option(fc.tuple(repo, hex(40)).map(([r, c]) => `${r}@${c}`), { nil: undefined }),
      precision: fc.constantFrom("FLOAT16", "BFLOAT16", "FLOAT32", "INT8", "INT4"),
    }),
    "model.get": fc.record({ id: fc.constantFrom(ids.modelId, "missing") }),
    "moderation.runner": fc.record({ runnerId: fc.constant(ids.runnerId), action: fc.constantFrom("pause", "resume"), reason: fc.string({ maxLength: 600 }) }),
    "moderation.model": fc.record({ modelId: fc.constant(ids.modelId), action: fc.constantFrom("pause", "resume", "withdraw"), reason: fc.string({ maxLength: 600 }) }),
    "result.get": fc.record({ id: fc.string({ maxLength: 70 }) }),
    "result.listEpochScores": fc.record({ modelId: fc.constantFrom(ids.modelId, "missing") }),
    "runner.register": fc.record({ name: fc.string({ maxLength: 70 }), publicKey: b64url(43), gpu: fc.option(fc.string({ maxLength: 250 }), { nil: null }) }),
    "task.claim": fc.record({ runnerId: fc.constantFrom(ids.runnerId, "missing"), engine: fc.constantFrom("vllm", "fixture", "other"), gpu: fc.option(fc.string({ maxLength: 250 }), { nil: null }) }),
    "task.heartbeat": fc.record({ claimToken }),
    "task.release": fc.record({ claimToken, reason: fc.string({ maxLength: 2100 }), kind: fc.constantFrom("released", "failed"), cause: fc.constantFrom("oom", "disk", "no_weights", undefined) }),
    "task.submit": fc.record({
      payload: fc.record({
        assignmentId: fc.string({ maxLength: 30 }),
        taskId: fc.string({ maxLength: 30 }),
        runnerId: fc.constant(ids.runnerId),
        claimToken,
        signedAt: fc.date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1) }).map((d) => d.toISOString()),
        benchmark: fc.constantFrom("gsm8k@3", "truthfulqa_mc@2"),
        outputs,
        outputsSha256: hex(64),
        claimedScore: fc.dictionary(fc.string({ maxLength: 20 }), fc.double()),
        engine: fc.record({ name: fc.string({ maxLength: 120 }), version: fc.string({ maxLength: 120 }), imageDigest: fc.string({ maxLength: 220 }) }),
        gpu: fc.option(fc.string({ maxLength: 250 }), { nil: null }),
        runtimeSeconds: fc.double(),
        energyKwh: fc.option(fc.double(), { nil: null }),
      }),
      signature: fc.oneof(b64url(86), fc.string({ maxLength: 100 })),
    }),
    "task.list": fc.record({ status: fc.constantFrom("QUEUED", "RUNNING", "ACCEPTED", "NOPE", undefined) }),
    "token.create": fc.record({ name: fc.string({ maxLength: 120 }), scopes: fc.subarray(["task:pull", "task:submit", "model:register", "benchmark:create", "admin"]) }),
    "token.revoke": fc.record({ id: fc.constantFrom(ids.tokenId, "missing") }),
    "live.events": fc.record({ lastEventId: fc.option(fc.oneof(fc.stringMatching(/^\d{1,25}$/), fc.string({ maxLength: 30 })), { nil: null }) }),
  };
}

function asText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return JSON.stringify(value) ?? "";
  }
}

/** superjson's envelope, as the web client sends it; values too deep for its walker go as plain JSON. */
function encode(value: unknown): unknown {
  try {
    return superjson.serialize(value);
  } catch {
    return { json: value };
  }
}

/** A valid-shaped input with one field replaced by a hostile value (or left valid). */
function mutate(shaped: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  return fc.tuple(shaped, hostileValue, fc.nat(), fc.boolean()).map(([input, hostile, pick, keep]) => {
    if (keep) return input;
    const keys = Object.keys(input);
    if (keys.length === 0) return hostile;
    return { ...input, [keys[pick % keys.length]!]: hostile };
  });
}

export type Auth = "anonymous" | "user" | "admin" | "token" | "bad-token";

export interface FuzzRequest {
  kind: "trpc" | "route";
  method: "GET" | "POST";
  path: string;
  body?: string;
  auth: Auth;
  label: string;
}

export function fuzzRequests(ids: { modelId: string; runnerId: string; tokenId: string }): fc.Arbitrary<FuzzRequest> {
  const shaped = validShaped(ids);
  const auth = fc.constantFrom<Auth>("anonymous", "user", "admin", "token", "bad-token");
  const trpc = fc
    .tuple(fc.constantFrom(...PROCEDURES), fc.nat(), auth, fc.nat({ max: 9 }))
    .chain(([procedure, , who, variant]) => {
      const input = shaped[procedure.path] ? fc.oneof(mutate(shaped[procedure.path]!), hostileValue) : hostileValue;
      return input.map((value): FuzzRequest => {
        const encoded = encode(value);
        const wrongMethod = variant === 0;
        const isMutation = procedure.type === "mutation";
        const method = isMutation !== wrongMethod ? "POST" : "GET";
        const raw = variant === 1 ? JSON.stringify(value ?? null) : JSON.stringify(encoded);
        if (variant === 2) {
          // A batch of the same call, sometimes over the cap.
          const calls = 1 + (raw.length % 14);
          const paths = Array.from({ length: calls }, () => procedure.path).join(",");
          const inputs = JSON.stringify(Object.fromEntries(Array.from({ length: calls }, (_, i) => [i, encoded])));
          return method === "POST"
            ? { kind: "trpc", method, path: `/api/trpc/${paths}?batch=1`, body: inputs, auth: who, label: `${procedure.path} x${calls}` }
            : { kind: "trpc", method, path: `/api/trpc/${paths}?batch=1&input=${encodeURIComponent(inputs)}`, auth: who, label: `${procedure.path} x${calls}` };
        }
        return method === "POST"
          ? { kind: "trpc", method, path: `/api/trpc/${procedure.path}`, body: raw, auth: who, label: procedure.path }
          : { kind: "trpc", method, path: `/api/trpc/${procedure.path}?input=${encodeURIComponent(raw)}`, auth: who, label: procedure.path };
      });
    });
  const text = fc.oneof(hostileValue.map(asText), fc.string({ maxLength: 50 }), fc.integer().map(String));
  const route = fc.oneof(
    fc.tuple(text, text).map(([offset, limit]): FuzzRequest => ({
      kind: "route",
      method: "GET",
      path: `/api/v0/leaderboard.json?offset=${encodeURIComponent(offset.slice(0, 2000))}&limit=${encodeURIComponent(limit.slice(0, 2000))}`,
      auth: "anonymous",
      label: "leaderboard.json",
    })),
    text.map((file): FuzzRequest => ({
      kind: "route",
      method: "GET",
      path: `/api/v0/models/${encodeURIComponent(file.slice(0, 2000))}`,
      auth: "anonymous",
      label: "models/<file>",
    })),
    fc.constantFrom<FuzzRequest>(
      { kind: "route", method: "GET", path: `/api/v0/models/${ids.modelId}.json`, auth: "anonymous", label: "models/<id>.json" },
      { kind: "route", method: "GET", path: "/api/v0/epochs.json", auth: "anonymous", label: "epochs.json" },
      { kind: "route", method: "GET", path: "/api/health", auth: "anonymous", label: "health" },
    ),
  );
  return fc.oneof({ weight: 4, arbitrary: trpc }, { weight: 1, arbitrary: route });
}

/** Rows of every table a refused request must leave alone (rate-limit counters excepted, by design). */
export const STORED_ROWS_SQL = `SELECT
  (SELECT count(*) FROM "User") AS users, (SELECT count(*) FROM "ApiToken") AS tokens,
  (SELECT count(*) FROM "Runner") AS runners, (SELECT count(*) FROM "Model") AS models,
  (SELECT count(*) FROM "Benchmark") AS benchmarks, (SELECT count(*) FROM "Task") AS tasks,
  (SELECT count(*) FROM "Assignment") AS assignments, (SELECT count(*) FROM "Result") AS results,
  (SELECT count(*) FROM "Event") AS events, (SELECT count(*) FROM "AuditLog") AS audit,
  (SELECT count(*) FROM "LeaderboardRow") AS board,
  (SELECT md5(string_agg(id || coalesce("pausedAt"::text, ''), ',' ORDER BY id)) FROM "Runner") AS runner_state,
  (SELECT md5(string_agg(id || status::text, ',' ORDER BY id)) FROM "Model") AS model_state,
  (SELECT md5(string_agg(id || quorum || "itemsPerTask" || "minAgreement" || "maxResults" || "isActive", ',' ORDER BY id)) FROM "Benchmark") AS benchmark_state,
  (SELECT md5(string_agg(id || coalesce("revokedAt"::text, ''), ',' ORDER BY id)) FROM "ApiToken") AS token_state`;

export interface FuzzOutcome {
  status: number;
  durationMs: number;
}

export async function sendFuzzRequest(
  baseUrl: string,
  request: FuzzRequest,
  credentials: { userId: string; adminId: string; token: string },
): Promise<FuzzOutcome> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (request.auth === "user") headers.cookie = `quorum-test-user=${credentials.userId}`;
  if (request.auth === "admin") headers.cookie = `quorum-test-user=${credentials.adminId}`;
  if (request.auth === "token") headers.authorization = `Bearer ${credentials.token}`;
  if (request.auth === "bad-token") headers.authorization = "Bearer qrm_abcdefgh_notarealtokennotarealtokennotareal";
  const started = performance.now();
  const isLive = request.path.startsWith("/api/trpc/live.events");
  const send = () =>
    fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body,
      signal: AbortSignal.timeout(isLive ? 300 : 30_000),
    });
  const response = await send()
    // A connection the server closed after an earlier request's refusal (431, 413) can be reset as it is reused:
    // a transport hiccup, not an answer; the request is sent once more on a fresh connection.
    .catch((error: unknown) => (error instanceof TypeError ? send() : Promise.reject(error)))
    .catch((error: unknown) => {
      if (isLive && error instanceof Error && error.name === "TimeoutError") return null;
      throw error;
    });
  if (!response) return { status: 200, durationMs: performance.now() - started };
  if (isLive) {
    await response.body?.cancel().catch(() => undefined);
  } else {
    await response.arrayBuffer().catch(() => undefined);
  }
  return { status: response.status, durationMs: performance.now() - started };
}
