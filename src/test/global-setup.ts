/**
 * Vitest global setup: a real PostgreSQL for the integration tests. Uses DATABASE_URL when set (any PostgreSQL
 * 15+ where that role may CREATE DATABASE); otherwise starts an embedded PostgreSQL in a temporary folder.
 * A template database is migrated and seeded once; each test file clones it (CREATE DATABASE ... TEMPLATE).
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../server/db/embedded";
import { applyMigrations } from "../server/db/migrate";
import { createDb } from "../server/db";
import { seedBenchmarks } from "../server/services/benchmarks/seed-benchmarks";

declare module "vitest" {
  export interface ProvidedContext {
    pg: { adminUrl: string; template: string; prefix: string };
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedDatabase | null = null;
  let tempDir: string | null = null;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    console.log(`[tests] using the PostgreSQL server at DATABASE_URL (${new URL(adminUrl).host})`);
  } else {
    tempDir = mkdtempSync(path.join(os.tmpdir(), "quorum-test-pg-"));
    chmodSync(tempDir, 0o755); // as root, PostgreSQL runs as the `postgres` user and must reach its data folder
    embedded = await startEmbeddedPostgres({ dataDir: path.join(tempDir, "pg"), port: 55500, findFreePort: true });
    adminUrl = embedded.adminUrl;
    console.log(`[tests] started an embedded PostgreSQL on port ${embedded.port}`);
  }
  const prefix = `quorum_t${process.pid}_`;
  const template = `${prefix}template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await dropDatabases(admin, prefix);
  await admin.query(`CREATE DATABASE "${template}"`);
  const templateUrl = withDatabase(adminUrl, template);
  await applyMigrations({ connectionString: templateUrl });
  const db = createDb(templateUrl, { max: 1 });
  await seedBenchmarks(db);
  await db.$disconnect();
  project.provide("pg", { adminUrl, template, prefix });

  return async () => {
    await dropDatabases(admin, prefix);
    await admin.end();
    await embedded?.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
}

async function dropDatabases(admin: pg.Client, prefix: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
    `${prefix}%`,
  ]);
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
}
