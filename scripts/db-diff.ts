/**
 * pnpm db:diff <name>   Write prisma/migrations/<UTC timestamp>_<name>/migration.sql with the SQL that takes the
 *                       committed migrations to prisma/schema.prisma (and migration_lock.toml if it is missing).
 * pnpm db:diff --check  Print the pending SQL and exit 1 when schema.prisma and the migrations disagree, else 0.
 *
 * Works offline: it runs Prisma's schema engine (WebAssembly build) with an in-memory PGlite shadow database,
 * no PostgreSQL server and no engine download. Where the Prisma CLI can run, `prisma migrate dev` does the same.
 * Exit codes: 0 done / in sync, 1 drift (--check) or failure, 2 usage error.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MIGRATION_LOCK_TOML, migrationWarnings, renderMigrationFile, runEngineDiff } from "../src/server/db/schema-diff";

const root = path.resolve(import.meta.dirname, "..");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const migrationsDir = path.join(root, "prisma", "migrations");
const NAME = /^[a-z0-9_]+$/;
const IN_SYNC = "schema.prisma and the migrations agree: nothing to do";

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: pnpm db:diff <name>    (name: lower-case letters, digits and _; e.g. add_model_tags)\n       pnpm db:diff --check\n`);
  process.exit(2);
}

/** UTC YYYYMMDDHHMMSS, as Prisma names migration folders. */
function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== "--");
  const check = args.includes("--check");
  const rest = args.filter((a) => a !== "--check");
  if (rest.some((a) => a.startsWith("-"))) usage(`unknown option: ${rest.find((a) => a.startsWith("-"))}`);
  if (check && rest.length > 0) usage("--check takes no migration name");
  if (!check) {
    if (rest.length !== 1) usage(rest.length === 0 ? "missing migration name" : "expected exactly one migration name");
    if (!NAME.test(rest[0]!)) usage(`invalid migration name ${JSON.stringify(rest[0])}: use only a-z, 0-9 and _`);
  }

  const started = Date.now();
  const sql = await runEngineDiff({ schemaPath, migrationsDir });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  if (sql === "") {
    process.stdout.write(`${IN_SYNC}\n`);
    return 0;
  }
  if (check) {
    process.stdout.write(sql);
    process.stderr.write(
      `\nschema.prisma and prisma/migrations disagree (${seconds}s): the SQL above is not in any migration.\n` +
        `Run \`pnpm db:diff <name>\` to write it as a new migration.\n`,
    );
    return 1;
  }

  const folder = `${timestamp()}_${rest[0]!}`;
  const existing = (await readdir(migrationsDir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const latest = existing.at(-1);
  if (latest && latest >= folder) {
    throw new Error(`the newest migration ${latest} sorts after ${folder}: check the clock, migrations apply in name order`);
  }
  const dir = path.join(migrationsDir, folder);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), renderMigrationFile(sql), "utf8");
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  if (!existsSync(lockPath)) await writeFile(lockPath, MIGRATION_LOCK_TOML, "utf8");
  process.stdout.write(sql);
  const warnings = migrationWarnings(sql);
  if (warnings.length > 0) {
    process.stderr.write(`\n⚠️  Warnings (also written at the top of migration.sql):\n${warnings.map((w) => `  - ${w}\n`).join("")}`);
  }
  process.stdout.write(`\nWrote ${path.relative(root, path.join(dir, "migration.sql"))} (${seconds}s). Review it, then commit it with the schema change.\n`);
  return 0;
}

// The wasm schema engine keeps handles open, so exit explicitly once stdout/stderr are flushed.
main(process.argv.slice(2)).then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (e: unknown) => {
    process.stderr.write(`db:diff failed: ${e instanceof Error ? e.message : String(e)}\n`, () => process.exit(1));
  },
);
