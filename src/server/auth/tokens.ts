/**
 * API tokens: `qrm_<prefix>_<secret>`. Only sha256(token) is stored; the prefix is shown to tell tokens apart.
 */
import { createHash, randomBytes } from "node:crypto";
import type { TTokenScope } from "@/lib/protocol/runner-api";
import type pg from "pg";
import { poolOf, type Db } from "@/server/db";
import { batcherPerKey, createMicroBatcher } from "@/server/services/micro-batcher";

export const TOKEN_PATTERN = /^qrm_([a-z0-9]{8})_([A-Za-z0-9_-]{32,})$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function mintToken(): { token: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString("hex").slice(0, 8);
  const token = `qrm_${prefix}_${randomBytes(24).toString("base64url")}`;
  return { token, prefix, hash: hashToken(token) };
}

const tokenLookupOf = batcherPerKey((pool: pg.Pool) =>
  createMicroBatcher<string, TokenRow | null>({
    maxBatch: 64,
    maxInFlight: 2,
    run: async (hashes) => {
      const { rows } = await pool.query<TokenRow>({
        name: "quorum_resolve_tokens_v2",
        text: `SELECT t.hash, t.id, t.prefix, t.scopes, t."revokedAt", t."lastUsedAt" AT TIME ZONE 'UTC' AS "lastUsedAt", u.id AS "userId", u.name AS "userName", u.role
               FROM "ApiToken" t JOIN "User" u ON u.id = t."userId" WHERE t.hash = ANY ($1::text[])`,
        values: [[...new Set(hashes)]],
      });
      const byHash = new Map(rows.map((row) => [row.hash, row]));
      return hashes.map((hash) => byHash.get(hash) ?? null);
    },
  }),
);

export interface TokenIdentity {
  tokenId: string;
  prefix: string;
  userId: string;
  userName: string;
  role: "USER" | "ADMIN";
  scopes: TTokenScope[];
}

interface TokenRow {
  hash: string;
  id: string;
  prefix: string;
  scopes: string[];
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  userId: string;
  userName: string;
  role: "USER" | "ADMIN";
}

/**
 * Resolves a bearer token to its owner, or null when unknown or revoked (revocation takes effect at once: nothing is
 * cached). Every runner call starts here, so lookups that arrive together share one prepared statement (see
 * micro-batcher); `lastUsedAt` is written at most once a minute.
 */
export async function resolveToken(db: Db, token: string, now: Date = new Date()): Promise<TokenIdentity | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const row = await tokenLookupOf(poolOf(db)).submit(hashToken(token));
  if (!row || row.revokedAt) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return {
    tokenId: row.id,
    prefix: row.prefix,
    userId: row.userId,
    userName: row.userName,
    role: row.role,
    scopes: row.scopes as TTokenScope[],
  };
}
