/**
 * A runner registers its ed25519 public key under its owner's account (idempotent by key). The key is how the
 * server knows which runner signed a result.
 */
import type { Db } from "@/server/db";
import { AppError, prismaErrorCode } from "@/server/errors";

export async function registerRunner(options: {
  db: Db;
  ownerId: string;
  name: string;
  publicKey: string;
  gpu?: string | null;
  now: Date;
}): Promise<{ runnerId: string; name: string; ownerId: string; ownerName: string }> {
  const { db, ownerId, name, publicKey, now } = options;
  const existing = await db.runner.findUnique({ where: { publicKey }, include: { owner: true } });
  if (existing && existing.ownerId !== ownerId) {
    throw new AppError("NOT_ALLOWED", "This runner key is registered to another account. Create a new key.", {
      field: "publicKey",
    });
  }
  try {
    const runner = existing
      ? await db.runner.update({
          where: { id: existing.id },
          data: { name, gpu: options.gpu ?? existing.gpu, lastSeenAt: now },
          include: { owner: true },
        })
      : await db.runner.create({
          data: { ownerId, name, publicKey, gpu: options.gpu ?? null, lastSeenAt: now },
          include: { owner: true },
        });
    return { runnerId: runner.id, name: runner.name, ownerId: runner.ownerId, ownerName: runner.owner.name };
  } catch (error) {
    if (prismaErrorCode(error) === "P2002") {
      throw new AppError(
        "CONFLICT",
        `You already have a runner named "${name}" with another key. Choose another name (\`--name\`).`,
        { field: "name" },
      );
    }
    throw error;
  }
}
