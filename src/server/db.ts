/**
 * The Prisma client, through the `pg` driver adapter on a pool we own. One client per process (kept on globalThis
 * so Next's dev reloads don't open new pools). Domain services take the client as an argument, so tests can pass
 * their own. Hot paths that need a prepared statement (claims) use the same pool via `poolOf(db)`.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "@/generated/prisma/client";

export type Db = PrismaClient;

/**
 * The pool rides on the client under a global symbol, not in a module-local map: Next.js may load this module more
 * than once (route handlers, instrumentation), and the app's one client (on globalThis) must work with each copy.
 */
const POOL = Symbol.for("quorum.db.pool");
type WithPool = { [POOL]?: pg.Pool };

export function createDb(connectionString: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // An idle connection that the server drops (restart, DROP DATABASE ... FORCE) must not crash the process.
  pool.on("error", (error) => console.error(`[db] idle connection error: ${error.message}`));
  const client = new PrismaClient({ adapter: new PrismaPg(pool) });
  (client as WithPool)[POOL] = pool;
  // Prisma does not close a pool it was given: $disconnect closes ours too.
  const disconnect = client.$disconnect.bind(client);
  client.$disconnect = async () => {
    await disconnect();
    if (!pool.ended) await pool.end();
  };
  return client;
}

/** The pg pool behind a client made by createDb. */
export function poolOf(db: Db): pg.Pool {
  const pool = (db as WithPool)[POOL];
  if (!pool) throw new Error("this Prisma client was not created by createDb");
  return pool;
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
