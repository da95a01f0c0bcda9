/**
 * Epoch seeds, committed in advance: each epoch's items are sampled with a secret 32-byte seed (sampling.ts). The
 * scheduler creates the seeds of the next SEEDS_AHEAD epochs ahead of time and publishes only their commitments,
 * sha256 of the seed's hex text (`printf %s <seed> | sha256sum`); a seed is revealed when its epoch starts. So nobody,
 * however many accounts they hold, can compute a future epoch's items, and anyone can check afterwards that the
 * items of a past epoch came from the seed that was committed before it began.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Prisma } from "@/generated/prisma/client";
import type { Db } from "@/server/db";
import { epochOf, epochStart } from "@/server/services/tasks/epochs";

/** Seeds exist (committed, not revealed) for this many epochs after the current one. */
export const SEEDS_AHEAD = 2;

export function commitmentOf(seed: string): string {
  return createHash("sha256").update(seed, "utf8").digest("hex");
}

/** Creates the missing seeds of `epoch` and the SEEDS_AHEAD epochs after it, and returns the seed of `epoch`. */
export async function ensureEpochSeeds(tx: Prisma.TransactionClient | Db, epoch: number): Promise<string> {
  const rows = Array.from({ length: SEEDS_AHEAD + 1 }, (_, i) => {
    const seed = randomBytes(32).toString("hex");
    return { epoch: epoch + i, seed, commitment: commitmentOf(seed) };
  });
  await tx.epochSeed.createMany({ data: rows, skipDuplicates: true });
  const stored = await tx.epochSeed.findUniqueOrThrow({ where: { epoch } });
  return stored.seed;
}

export interface PublicEpochSeed {
  epoch: number;
  startsAt: Date;
  commitment: string;
  /** Null until the epoch starts. */
  seed: string | null;
  committedAt: Date;
}

/** The latest epochs' commitments, with their seeds where the epoch has started (newest first). */
export async function listEpochSeeds(options: { db: Db; now: Date; epochMinutes: number; limit?: number }): Promise<PublicEpochSeed[]> {
  const current = epochOf(options.now, options.epochMinutes);
  const rows = await options.db.epochSeed.findMany({
    where: { epoch: { lte: current + SEEDS_AHEAD } },
    orderBy: { epoch: "desc" },
    take: options.limit ?? 20,
  });
  return rows.map((row) => ({
    epoch: row.epoch,
    startsAt: epochStart(row.epoch, options.epochMinutes),
    commitment: row.commitment,
    seed: row.epoch <= current ? row.seed : null,
    committedAt: row.createdAt,
  }));
}
