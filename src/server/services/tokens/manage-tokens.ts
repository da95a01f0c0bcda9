/** API tokens for runners and scripts: created with scopes, shown once, listed by prefix, revocable. */
import type { TTokenScope } from "@/lib/protocol/runner-api";
import { mintToken } from "@/server/auth/tokens";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";

export async function createToken(options: {
  db: Db;
  actor: { id: string; role: "USER" | "ADMIN" };
  name: string;
  scopes: TTokenScope[];
}): Promise<{ id: string; token: string; prefix: string }> {
  const { db, actor } = options;
  if (options.scopes.includes("benchmark:create") && actor.role !== "ADMIN") {
    throw new AppError("NOT_ALLOWED", "Only admins can create tokens with the benchmark:create scope.", {
      field: "scopes",
    });
  }
  const active = await db.apiToken.count({ where: { userId: actor.id, revokedAt: null } });
  if (active >= 50) {
    throw new AppError("CONFLICT", "You have 50 active tokens: revoke some before creating more.");
  }
  const minted = mintToken();
  const row = await db.apiToken.create({
    data: {
      userId: actor.id,
      name: options.name,
      prefix: minted.prefix,
      hash: minted.hash,
      scopes: [...new Set(options.scopes)],
    },
  });
  return { id: row.id, token: minted.token, prefix: row.prefix };
}

export async function listTokens(options: { db: Db; actorId: string }) {
  return options.db.apiToken.findMany({
    where: { userId: options.actorId },
    select: { id: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    orderBy: { createdAt: "desc" },
  });
}

export async function revokeToken(options: { db: Db; actorId: string; tokenId: string; now: Date }): Promise<void> {
  const token = await options.db.apiToken.findUnique({ where: { id: options.tokenId } });
  if (!token || token.userId !== options.actorId) throw new AppError("NOT_FOUND", "That token was not found.");
  if (token.revokedAt) return;
  await options.db.apiToken.update({ where: { id: token.id }, data: { revokedAt: options.now } });
}
