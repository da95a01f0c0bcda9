/**
 * `pnpm db:migrate`: apply pending migrations to DATABASE_URL, or to the embedded database when it is unset.
 */
import path from "node:path";
import { parseEnv } from "../src/env.js";
import { startEmbeddedPostgres } from "../src/server/db/embedded";
import { applyMigrations, MigrationError } from "../src/server/db/migrate";

async function main(): Promise<number> {
  const env = parseEnv(process.env);
  const embedded = env.DATABASE_URL
    ? null
    : await startEmbeddedPostgres({
        dataDir: path.join(env.QUORUM_DATA_DIR, "pg"),
        port: env.QUORUM_EMBEDDED_PG_PORT,
        log: (message) => console.log(message),
      });
  try {
    const { applied, alreadyApplied } = await applyMigrations({
      connectionString: env.DATABASE_URL ?? embedded!.url,
      log: (message) => console.log(message),
    });
    console.log(
      applied.length === 0
        ? `Database is up to date (${alreadyApplied} migrations applied).`
        : `Applied ${applied.length} migration(s); ${alreadyApplied} were already applied.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof MigrationError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
