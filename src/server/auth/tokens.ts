/**
 * API tokens: `qrm_<prefix>_<secret>`. Only sha256(token) is stored; the prefix is shown to tell tokens apart.
 */
import { createHash, randomBytes } from "node:crypto";
import type { TTokenScope } from "@/lib/protocol/runner-api";
import type { Db } from "@/server/db";

export const TOKEN_PATTERN = /^qrm_([a-z0-9]{8})_([A-Za-z0-9_-]{32,})$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function mintToken(): { token: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString("hex").slice(0, 8);
  const token = `qrm_${prefix}_${randomBytes(24).toString("base64url")}`;
  return { token, prefix, hash: hashToken(token) };
}

export interface TokenIdentity {
  tokenId: string;
  prefix: string;
  userId: string;
  userName: string;
  role: "USER" | "ADMIN";
  scopes: TTokenScope[];
}

/** Resolves a bearer token to its owner, or null when unknown or revoked. Marks the token as used. */
export async function resolveToken(db: Db, token: string, now: Date = new Date()): Promise<TokenIdentity | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const row = await db.apiToken.findUnique({
    where: { hash: hashToken(token) },
    include: { user: { select: { id: true, name: true, role: true } } },
  });
  if (!row || row.revokedAt) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return {
    tokenId: row.id,
    prefix: row.prefix,
    userId: row.user.id,
    userName: row.user.name,
    role: row.user.role,
    scopes: row.scopes as TTokenScope[],
  };
}
