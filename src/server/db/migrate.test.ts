import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, MigrationError, readMigrations } from "@/server/db/migrate";
import { createTestDatabase, type TestDatabase } from "@/test/db";

const REAL_MIGRATIONS = path.join(process.cwd(), "prisma", "migrations");

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe("applyMigrations", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ max: 1 });
  });
  afterAll(async () => database.drop());

  it("records every committed migration in Prisma's _prisma_migrations table, with Prisma's checksum", async () => {
    const rows = await withClient(database.url, async (client) =>
      (await client.query(`SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`)).rows,
    );
    const committed = readMigrations(REAL_MIGRATIONS);
    expect(committed.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.migration_name)).toEqual(committed.map((m) => m.name));
    for (const [index, row] of rows.entries()) {
      expect(row.checksum).toBe(committed[index]!.checksum);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("is idempotent: a second run applies nothing", async () => {
    const result = await applyMigrations({ connectionString: database.url, migrationsDir: REAL_MIGRATIONS });
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toBe(readMigrations(REAL_MIGRATIONS).length);
  });

  it("a broken migration fails loudly, names itself and leaves the database exactly as it was", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "quorum-migrations-"));
    cpSync(REAL_MIGRATIONS, dir, { recursive: true });
    const broken = path.join(dir, "29990101000000_broken");
    mkdirSync(broken);
    writeFileSync(
      path.join(broken, "migration.sql"),
      `ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\nCREATE TABLE "Extra" (id INT PRIMARY KEY);\nALTER TABLE "NoSuchTable" ADD COLUMN x INT;\n`,
    );
    await withClient(database.url, (client) => client.query(`INSERT INTO "User" (id, name) VALUES ('u-keep', 'keeper')`));

    const error = await applyMigrations({ connectionString: database.url, migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe("29990101000000_broken");
    expect((error as Error).message).toMatch(/Migration 29990101000000_broken failed.*relation "NoSuchTable" does not exist.*Nothing was applied/);

    const state = await withClient(database.url, async (client) => ({
      nickname: (await client.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'nickname'`)).rowCount,
      extra: (await client.query(`SELECT to_regclass('"Extra"') AS t`)).rows[0].t,
      recorded: (await client.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`)).rowCount,
      users: (await client.query(`SELECT name FROM "User" WHERE id = 'u-keep'`)).rows,
    }));
    expect(state).toEqual({ nickname: 0, extra: null, recorded: 0, users: [{ name: "keeper" }] });
  });

  it("refuses to run when an applied migration was edited afterwards", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "quorum-migrations-"));
    cpSync(REAL_MIGRATIONS, dir, { recursive: true });
    const first = readMigrations(dir)[0]!;
    writeFileSync(path.join(dir, first.name, "migration.sql"), `${first.sql}\n-- edited\n`);
    await expect(applyMigrations({ connectionString: database.url, migrationsDir: dir })).rejects.toThrow(
      /was changed after it was applied/,
    );
  });
});
