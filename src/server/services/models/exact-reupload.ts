/**
 * Exact re-uploads: another repo whose weight files have exactly the same sha256s as an already registered model is
 * refused at registration, naming the original. The hashes come from the Hub's file listing (the LFS sha256 of every
 * `*.safetensors` / `*.bin` / `*.pt` file at the pinned commit): no download. The check runs when the server is
 * checking the Hub (QUORUM_HUB_CHECKS, the default; HF_ENDPOINT); without one, registration proceeds and the weight fingerprint (record-weights.ts)
 * still catches the copy after its first evaluation.
 */
import { listFiles } from "@huggingface/hub";
import type { Db } from "@/server/db";
import { AppError } from "@/server/errors";

const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|gguf)$/;

/** Sorted LFS sha256s of the weight files at `revision`; null when the Hub could not be asked (not a refusal). */
export async function listWeightFileHashes(options: {
  hubUrl: string;
  repo: string;
  revision: string;
  accessToken?: string;
  fetch?: typeof fetch;
}): Promise<string[] | null> {
  try {
    const hashes: string[] = [];
    for await (const entry of listFiles({
      repo: { type: "model", name: options.repo },
      revision: options.revision,
      recursive: true,
      hubUrl: options.hubUrl,
      accessToken: options.accessToken,
      fetch: options.fetch,
    })) {
      if (entry.type === "file" && WEIGHT_FILE.test(entry.path) && entry.lfs?.oid) hashes.push(entry.lfs.oid);
    }
    return hashes.sort();
  } catch (error) {
    console.warn(`[registration] could not list ${options.repo}@${options.revision} on the Hub: ${(error as Error).message}`);
    return null;
  }
}

/** Throws CONFLICT when a registered model has exactly these weight files. */
export async function refuseExactReupload(db: Db, hashes: readonly string[]): Promise<void> {
  if (hashes.length === 0) return;
  const [match] = await db.$queryRaw<{ id: string; repo: string; revision: string }[]>`
    SELECT id, repo, revision FROM "Model"
     WHERE "weightFileHashes" @> ${[...hashes]}::text[] AND "weightFileHashes" <@ ${[...hashes]}::text[]
     ORDER BY "createdAt" LIMIT 1`;
  if (match) {
    throw new AppError(
      "CONFLICT",
      `revision: these weight files are byte for byte those of ${match.repo}@${match.revision.slice(0, 7)} (same sha256 ` +
        `in the Hub's listing), already registered: a re-upload takes no second place.`,
      { field: "revision", details: { originalModelId: match.id } },
    );
  }
}
