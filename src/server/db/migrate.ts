/**
 * Applies the committed migrations in prisma/migrations with Prisma's own bookkeeping (the `_prisma_migrations`
 * table and advisory lock 72707369), so `prisma migrate status` / `deploy` agree with the database wherever the
 * Prisma CLI can run. Unlike Prisma, each migration runs in one transaction: a broken migration leaves the database
 * exactly as it was and records nothing.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";

const PRISMA_MIGRATE_LOCK = 72707369;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migration?: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

export function readMigrations(migrationsDir: string): MigrationFile[] {
  if (!existsSync(migrationsDir)) return [];
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(migrationsDir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface ApplyMigrationsOptions {
  connectionString: string;
  migrationsDir?: string;
  log?: (message: string) => void;
}

export interface ApplyMigrationsResult {
  applied: string[];
  alreadyApplied: number;
}

export const DEFAULT_MIGRATIONS_DIR = path.join(process.cwd(), "prisma", "migrations");

export async function applyMigrations(options: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const log = options.log ?? (() => {});
  const migrations = readMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const client = new pg.Client({ connectionString: options.connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
        "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
        "checksum"            VARCHAR(64) NOT NULL,
        "finished_at"         TIMESTAMPTZ,
        "migration_name"      VARCHAR(255) NOT NULL,
        "logs"                TEXT,
        "rolled_back_at"      TIMESTAMPTZ,
        "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
        "applied_steps_count" INTEGER NOT NULL DEFAULT 0
      )`);
      const { rows } = await client.query<AppliedRow>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
      );
      const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
      if (failed) {
        throw new MigrationError(
          `Migration ${failed.migration_name} failed earlier and is marked unfinished in _prisma_migrations. ` +
            `Repair the database, then run \`prisma migrate resolve --rolled-back ${failed.migration_name}\` ` +
            `(or delete that row) and try again.`,
          failed.migration_name,
        );
      }
      const applied = new Map(rows.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row]));
      for (const migration of migrations) {
        const row = applied.get(migration.name);
        if (row && row.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} was changed after it was applied to this database. ` +
              `Restore the original migration.sql and put the change in a new migration (\`pnpm db:diff <name>\`).`,
            migration.name,
          );
        }
      }
      const local = new Set(migrations.map((migration) => migration.name));
      for (const name of applied.keys()) {
        if (!local.has(name)) log(`warning: the database has migration ${name}, which is not in prisma/migrations`);
      }
      const pending = migrations.filter((migration) => !applied.has(migration.name));
      for (const migration of pending) {
        log(`applying migration ${migration.name}`);
        await applyOne(client, migration);
      }
      return { applied: pending.map((migration) => migration.name), alreadyApplied: applied.size };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]);
    }
  } finally {
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  await client.query("BEGIN");
  try {
    const id = randomUUID();
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [
      id,
    ]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    const detail = error instanceof Error ? error.message : String(error);
    const line = lineOf(migration.sql, (error as { position?: string }).position);
    throw new MigrationError(
      `Migration ${migration.name} failed${line ? ` at line ${line}` : ""}: ${detail}. ` +
        `Nothing was applied: the database is as it was before. Fix prisma/migrations/${migration.name}/migration.sql and try again.`,
      migration.name,
    );
  }
}

function lineOf(sql: string, position: string | undefined): number | null {
  const offset = Number(position);
  if (!Number.isFinite(offset) || offset <= 0) return null;
  return sql.slice(0, offset).split("\n").length;
}
