/**
 * The Prisma client, through the `pg` driver adapter. One client per process (kept on globalThis so Next's dev
 * reloads don't open new pools). Domain services take the client as an argument, so tests can pass their own.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/generated/prisma/client";

export type Db = PrismaClient;

export function createDb(connectionString: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString, max: options.max ?? 10 });
  return new PrismaClient({ adapter });
}

const globalForDb = globalThis as unknown as { quorumDb?: Db };

/** The app's client. DATABASE_URL is set by `pnpm dev` / `pnpm start` (embedded database) or by the operator. */
export function getDb(): Db {
  if (!globalForDb.quorumDb) {
    const url = process.env.DATABASE_URL;
    if (!url) {
      throw new Error(
        "DATABASE_URL is not set. Start the app with `pnpm dev` or `pnpm start` (they start the embedded " +
          "PostgreSQL when DATABASE_URL is unset), or set DATABASE_URL to a PostgreSQL 15+ server.",
      );
    }
    globalForDb.quorumDb = createDb(url);
  }
  return globalForDb.quorumDb;
}
