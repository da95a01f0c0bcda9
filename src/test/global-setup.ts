/**
 * Vitest global setup: a real PostgreSQL for the integration tests. Uses DATABASE_URL when set (any PostgreSQL
 * 15+ where that role may CREATE DATABASE); otherwise starts an embedded PostgreSQL in a temporary folder.
 * A template database is migrated and seeded once; each test file clones it (CREATE DATABASE ... TEMPLATE).
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { applyMigrations } from "../server/db/migrate";
import { temporaryServer, withDatabase } from "../server/db/scratch-database";
import { createDb } from "../server/db";
import { seedBenchmarks } from "../server/services/benchmarks/seed-benchmarks";

declare module "vitest" {
  export interface ProvidedContext {
    pg: { adminUrl: string; template: string; prefix: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await temporaryServer({ adminUrl: process.env.DATABASE_URL, port: 55500, prefix: "quorum-test-pg" });
  const adminUrl = server.adminUrl;
  console.log(
    server.port === null
      ? `[tests] using the PostgreSQL server at DATABASE_URL (${new URL(adminUrl).host})`
      : `[tests] started an embedded PostgreSQL on port ${server.port}`,
  );
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
    await server.stop();
  };
}

async function dropDatabases(admin: pg.Client, prefix: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
    `${prefix}%`,
  ]);
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
}
