// Drift guard for the Prisma schema: prisma/schema.prisma and the committed migrations must describe the same
// database. These tests need no PostgreSQL server: the migrations are replayed by Prisma's wasm schema engine on an
// in-memory PGlite, in a child process (the engine keeps handles open, so it must not run inside the test worker).
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffMigrationsToSchema, migrationWarnings, renderMigrationFile } from "./schema-diff";

const root = path.resolve(import.meta.dirname, "../../..");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const migrationsDir = path.join(root, "prisma", "migrations");
const SLOW = 180_000; // each diff starts PGlite and the engine: seconds, more on a loaded machine

// Each diff runs in its own child process, one after the other (running them concurrently was slower on 2 cores).
describe("schema drift", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "quorum-schema-diff-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function copyProject(name: string) {
    const base = path.join(dir, name);
    await mkdir(base, { recursive: true });
    await cp(schemaPath, path.join(base, "schema.prisma"));
    await cp(migrationsDir, path.join(base, "migrations"), { recursive: true });
    return { schemaPath: path.join(base, "schema.prisma"), migrationsDir: path.join(base, "migrations") };
  }

  it(
    "prisma/schema.prisma and prisma/migrations agree (otherwise run `pnpm db:diff <name>` and commit the new migration)",
    async () => {
      const pending = await diffMigrationsToSchema({ schemaPath, migrationsDir });
      expect(pending, `schema.prisma has changes that no migration contains:\n${pending}`).toBe("");
    },
    SLOW,
  );

  it(
    "a field added to a copy of the schema shows up as pending SQL",
    async () => {
      const copy = await copyProject("added-field");
      const schema = await readFile(copy.schemaPath, "utf8");
      const withField = schema.replace(/^model User \{\n/m, "model User {\n  driftProbe String?\n");
      expect(withField).not.toBe(schema);
      await writeFile(copy.schemaPath, withField);

      const pending = await diffMigrationsToSchema(copy);
      expect(pending).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"driftProbe" TEXT/);
    },
    SLOW,
  );

  it(
    "a committed migration that does not apply makes the diff reject, naming the migration",
    async () => {
      const copy = await copyProject("broken-migration");
      const broken = "29991231235959_broken";
      await mkdir(path.join(copy.migrationsDir, broken));
      await writeFile(
        path.join(copy.migrationsDir, broken, "migration.sql"),
        'CREATE TABLE "Fine" ("id" TEXT PRIMARY KEY);\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n',
      );

      await expect(diffMigrationsToSchema(copy)).rejects.toThrow(new RegExp(`${broken}[\\s\\S]*NoSuchTable`, "i"));
    },
    SLOW,
  );
});

describe("migration warnings", () => {
  it("flags destructive and may-fail steps like `prisma migrate dev` does", () => {
    const sql = [
      "-- AlterTable",
      'ALTER TABLE "User" DROP COLUMN "image",',
      'ADD COLUMN     "nickname" TEXT NOT NULL,',
      "ADD COLUMN     \"bio\" TEXT NOT NULL DEFAULT '';",
      "",
      "-- DropTable",
      'DROP TABLE "Event";',
      "",
    ].join("\n");
    expect(migrationWarnings(sql)).toEqual([
      "You are about to drop the column `image` on the `User` table. All the data in the column will be lost.",
      "Added the required column `nickname` to the `User` table without a default value. This is not possible if the table is not empty.",
      "You are about to drop the `Event` table. If the table is not empty, all the data it contains will be lost.",
    ]);
    expect(renderMigrationFile(sql)).toMatch(/^\/\*\n {2}Warnings:\n\n {2}- You are about to drop the column/);
  });

  it("adds nothing to a purely additive migration", () => {
    const sql = 'CREATE TABLE "T" ("id" TEXT NOT NULL);\n\nCREATE UNIQUE INDEX "T_id_key" ON "T"("id");\n';
    expect(migrationWarnings(sql)).toEqual([]);
    expect(renderMigrationFile(sql)).toBe(sql);
  });
});
