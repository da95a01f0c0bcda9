/**
 * Throw-away databases for tests and benchmarks: on the server at `adminUrl` when given (any PostgreSQL 15+ where
 * that role may CREATE DATABASE), else on an embedded PostgreSQL in a temporary folder.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "@/server/db/embedded";
import { applyMigrations } from "@/server/db/migrate";

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TemporaryServer {
  adminUrl: string;
  /** Present when the server is an embedded one this process started. */
  port: number | null;
  stop: () => Promise<void>;
}

/** The server at `adminUrl`, or a fresh embedded PostgreSQL in a temporary folder (removed on stop). */
export async function temporaryServer(options: { adminUrl?: string; port: number; prefix: string }): Promise<TemporaryServer> {
  if (options.adminUrl) return { adminUrl: options.adminUrl, port: null, stop: async () => {} };
  const dir = mkdtempSync(path.join(os.tmpdir(), `${options.prefix}-`));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user and must reach its data folder
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port: options.port, findFreePort: true });
  return {
    adminUrl: embedded.adminUrl,
    port: embedded.port,
    stop: async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ScratchDatabase {
  url: string;
  drop: () => Promise<void>;
}

/** A new, migrated database `<name>` on a temporary server; `drop()` removes it and stops the server. */
export async function scratchDatabase(options: { adminUrl?: string; port: number; name: string }): Promise<ScratchDatabase> {
  const server = await temporaryServer({ adminUrl: options.adminUrl, port: options.port, prefix: options.name });
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${options.name}"`);
  const url = withDatabase(server.adminUrl, options.name);
  await applyMigrations({ connectionString: url });
  return {
    url,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${options.name}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
      await server.stop();
    },
  };
}
