/**
 * Fetches pinned weights from the Hugging Face Hub into a local cache before any container starts (containers have
 * no network). Uses @huggingface/hub for every Hub call (model info, file tree, file download incl. HTTP ranges);
 * adds what the runner needs on top: the refusal policy (weights-policy.ts), progress, resume of interrupted files,
 * size and hash verification (sha256 for LFS files, git blob sha1 otherwise), and a per-file lock (proper-lockfile) so that
 * several runners, in other containers or on other hosts, can share one cache. The cache uses the Hub's layout (`models--org--name/{blobs,snapshots/<commit>}`,
 * relative symlinks), so a repo folder can be mounted read-only into a container as it is.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, readFile, readlink, rename, rm, stat, symlink, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { downloadFile, HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import lockfile from "proper-lockfile";
import type { TModelRef } from "@/lib/protocol/runner-api";
import type { Logger } from "../log";
import {
  assertPinned,
  checkConfig,
  parsePinnedRef,
  planDownload,
  WeightsIntegrityError,
  WeightsRefusedError,
  type RepoFile,
} from "./weights-policy";

export const DEFAULT_HUB_URL = "https://huggingface.co";
const NETWORK_ATTEMPTS = 4;
const RETRY_DELAY_MS = 1000;

export class WeightsDownloadError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WeightsDownloadError";
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

export interface FetchWeightsOptions {
  cacheDir: string;
  /** The Hub (or a mirror); defaults to HF_ENDPOINT, then huggingface.co. */
  hubUrl?: string;
  /** For gated or private repos (HF_TOKEN). Never logged. */
  accessToken?: string;
  fetch?: typeof fetch;
  /** Files downloaded at once. */
  concurrency?: number;
  onProgress?: (progress: { downloadedBytes: number; totalBytes: number; cachedBytes: number }) => void;
  signal?: AbortSignal;
  logger?: Logger;
  /** Refuse a model (with its base) whose files would exceed this many bytes, before any byte is fetched. */
  maxDownloadBytes?: number;
}

/** 200 GB: the largest checkpoints a volunteer's disk is expected to hold (`--max-download-bytes`). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 200e9;

export interface FetchedRepo {
  repo: string;
  revision: string;
  /** `<cache>/models--org--name`: what gets mounted (read-only). */
  storageDir: string;
  /** `<storageDir>/snapshots/<commit>`: the model directory. */
  snapshotDir: string;
  files: string[];
  bytes: number;
  config: Record<string, unknown>;
}

export interface FetchedWeights {
  model: FetchedRepo;
  /** Adapters: their base model. */
  base: FetchedRepo | null;
  /** Bytes that came over the network in this call (the rest was cached). */
  downloadedBytes: number;
  totalBytes: number;
}

interface RepoPlan {
  repo: string;
  revision: string;
  storageDir: string;
  snapshotDir: string;
  files: RepoFile[];
  config: Record<string, unknown>;
}

export function resolveHubUrl(explicit?: string, env: Record<string, string | undefined> = process.env): string {
  return (explicit || env.HF_ENDPOINT || DEFAULT_HUB_URL).replace(/\/+$/, "");
}

export function repoFolderName(repo: string): string {
  return `models--${repo.split("/").join("--")}`;
}

/** Resolves what a claim's model needs (the model, and an adapter's base) and makes sure it is all in the cache. */
export async function fetchModelWeights(model: TModelRef, options: FetchWeightsOptions): Promise<FetchedWeights> {
  if (model.weightType === "DELTA") {
    throw new WeightsRefusedError(
      "unsupported-weight-type",
      `${model.repo} holds delta weights, which the runner cannot evaluate yet.`,
      "Publish merged weights (base + delta) as a normal safetensors checkpoint and register that.",
    );
  }
  assertPinned(model.repo, model.revision);
  const isAdapter = model.weightType === "ADAPTER";
  let baseRef: { repo: string; revision: string } | null = null;
  if (isAdapter) {
    if (!model.baseModel) {
      throw new WeightsRefusedError("unpinned-base", `${model.repo} is an adapter but names no base model.`, "Register the adapter with its base model as org/name@<commit>.");
    }
    baseRef = parsePinnedRef(model.baseModel);
  }
  const hubUrl = resolveHubUrl(options.hubUrl);
  const ctx = { ...options, hubUrl };

  // File lists first: the byte cap and every list-only refusal apply before a single file is fetched.
  const modelListing = await listRepo(model.repo, model.revision, isAdapter, ctx);
  const baseListing = baseRef ? await listRepo(baseRef.repo, baseRef.revision, false, ctx) : null;
  const maxBytes = options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const plannedBytes = [modelListing, baseListing].reduce((sum, listing) => sum + (listing?.plannedBytes ?? 0), 0);
  if (plannedBytes > maxBytes) {
    throw new WeightsRefusedError(
      "too-large",
      `${model.repo}${baseRef ? ` with its base ${baseRef.repo}` : ""} needs ${(plannedBytes / 1e9).toFixed(1)} GB, over this runner's cap of ${(maxBytes / 1e9).toFixed(1)} GB.`,
      "Raise the cap with `--max-download-bytes <bytes>` if this machine has the disk for it.",
    );
  }
  const modelPlan = await planRepo(modelListing, isAdapter, ctx);
  const basePlan = baseListing ? await planRepo(baseListing, false, ctx) : null;
  if (basePlan) {
    const declared = modelPlan.config.base_model_name_or_path;
    if (typeof declared === "string" && declared !== basePlan.repo) {
      options.logger?.warn("the adapter's config names another base model than the registered one; using the registered one", {
        adapter: model.repo,
        declared,
        registered: basePlan.repo,
      });
    }
  }

  const plans = basePlan ? [modelPlan, basePlan] : [modelPlan];
  const jobs = plans.flatMap((plan) => plan.files.map((file) => ({ plan, file })));
  const totalBytes = jobs.reduce((sum, job) => sum + job.file.size, 0);
  let doneBytes = 0;
  let downloadedBytes = 0;
  let cachedBytes = 0;
  const report = () => options.onProgress?.({ downloadedBytes: doneBytes, totalBytes, cachedBytes });
  report();

  const queue = [...jobs];
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, queue.length)) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { fromNetwork } = await ensureFile(job.plan, job.file, ctx, (bytes) => {
        doneBytes += bytes;
        report();
      });
      downloadedBytes += fromNetwork;
      if (fromNetwork === 0) cachedBytes += job.file.size;
    }
  });
  await Promise.all(workers);
  report();

  const toFetched = (plan: RepoPlan): FetchedRepo => ({
    repo: plan.repo,
    revision: plan.revision,
    storageDir: plan.storageDir,
    snapshotDir: plan.snapshotDir,
    files: plan.files.map((f) => f.path),
    bytes: plan.files.reduce((sum, f) => sum + f.size, 0),
    config: plan.config,
  });
  return { model: toFetched(modelPlan), base: basePlan ? toFetched(basePlan) : null, downloadedBytes, totalBytes };
}

type Ctx = FetchWeightsOptions & { hubUrl: string };

function hubParams(ctx: Ctx) {
  const signal = ctx.signal;
  const base = ctx.fetch ?? fetch;
  const fetchWithSignal: typeof fetch = signal ? (input, init) => base(input, { ...init, signal }) : base;
  return {
    hubUrl: ctx.hubUrl,
    fetch: fetchWithSignal,
    ...(ctx.accessToken ? { accessToken: ctx.accessToken } : {}),
  };
}

interface RepoListing {
  repo: string;
  revision: string;
  files: RepoFile[];
  /** What the plan would download, before the safetensors index can narrow it. */
  plannedBytes: number;
}

async function listRepo(repo: string, revision: string, isAdapter: boolean, ctx: Ctx): Promise<RepoListing> {
  assertPinned(repo, revision);
  const params = hubParams(ctx);
  const info = await hubCall(repo, revision, () => modelInfo({ ...params, name: repo, revision, additionalFields: ["sha"] }));
  if (info.sha !== revision) {
    throw new WeightsRefusedError(
      "revision-mismatch",
      `The Hub resolved ${repo}@${revision} to commit ${String(info.sha)}; the runner only evaluates the exact commit it was given.`,
      "Register the model with the full commit hash.",
    );
  }
  const files: RepoFile[] = [];
  await hubCall(repo, revision, async () => {
    for await (const entry of listFiles({ ...params, repo: { type: "model", name: repo }, revision, recursive: true })) {
      if (entry.type !== "file") continue;
      files.push({ path: entry.path, size: entry.size, oid: entry.oid ?? "", lfsSha256: entry.lfs?.oid ?? null });
    }
  });
  // Refusals that need only the file list come first, so nothing is downloaded for a refused repo.
  const plannedBytes = planDownload(repo, files, { isAdapter, indexWeightMap: null }).download.reduce((sum, f) => sum + f.size, 0);
  return { repo, revision, files, plannedBytes };
}

async function planRepo(listing: RepoListing, isAdapter: boolean, ctx: Ctx): Promise<RepoPlan> {
  const { repo, revision, files } = listing;

  const storageDir = path.join(ctx.cacheDir, repoFolderName(repo));
  const snapshotDir = path.join(storageDir, "snapshots", revision);
  const plan: RepoPlan = { repo, revision, storageDir, snapshotDir, files: [], config: {} };

  const configName = isAdapter ? "adapter_config.json" : "config.json";
  const configFile = files.find((f) => f.path === configName)!;
  await ensureFile(plan, configFile, ctx, () => {});
  plan.config = checkConfig(repo, configName, await readFile(path.join(snapshotDir, configName), "utf8"));

  let indexWeightMap: Record<string, string> | null = null;
  const indexName = isAdapter ? null : "model.safetensors.index.json";
  const indexFile = indexName ? files.find((f) => f.path === indexName) : undefined;
  if (indexFile) {
    await ensureFile(plan, indexFile, ctx, () => {});
    try {
      const index = JSON.parse(await readFile(path.join(snapshotDir, indexFile.path), "utf8")) as { weight_map?: Record<string, string> };
      indexWeightMap = index.weight_map ?? null;
    } catch {
      throw new WeightsRefusedError("no-weights", `${repo}'s ${indexFile.path} is not valid JSON.`, "The repo is broken at this commit.");
    }
  }
  plan.files = planDownload(repo, files, { isAdapter, indexWeightMap }).download;
  return plan;
}

async function hubCall<T>(repo: string, revision: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof HubApiError) {
      if (error.statusCode === 401 || error.statusCode === 403) {
        throw new WeightsRefusedError(
          "gated",
          `The Hub refused access to ${repo} (HTTP ${error.statusCode}): it is gated or private.`,
          "Accept the model's terms on its Hub page with your account and set HF_TOKEN to a read token of that account.",
        );
      }
      if (error.statusCode === 404) {
        throw new WeightsRefusedError(
          "not-found",
          `${repo}@${revision} was not found on the Hub.`,
          "Check the repo name and commit (was the commit force-pushed away, or the repo renamed or deleted?).",
        );
      }
    }
    throw error;
  }
}

/** Makes sure one file is in the cache and linked into the snapshot; returns how many bytes came over the network. */
async function ensureFile(plan: RepoPlan, file: RepoFile, ctx: Ctx, onBytes: (bytes: number) => void): Promise<{ fromNetwork: number }> {
  const blobName = file.lfsSha256 ?? file.oid;
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(blobName)) {
    throw new WeightsIntegrityError(`The Hub gave no usable hash for ${plan.repo}/${file.path}; the runner cannot verify it.`);
  }
  const relative = path.normalize(file.path);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new WeightsIntegrityError(`Refusing the file path ${JSON.stringify(file.path)} (it leaves the repo folder).`);
  }
  const blobPath = path.join(plan.storageDir, "blobs", blobName);
  const pointerPath = path.join(plan.snapshotDir, relative);

  const existing = await stat(blobPath).catch(() => null);
  if (existing && existing.size === file.size) {
    await linkPointer(pointerPath, blobPath);
    onBytes(file.size);
    return { fromNetwork: 0 };
  }
  await mkdir(path.dirname(blobPath), { recursive: true });
  const release = await acquireLock(blobPath, ctx.signal, ctx.logger);
  try {
    // Another runner may have finished it while this one waited for the lock.
    const after = await stat(blobPath).catch(() => null);
    if (after && after.size === file.size) {
      await linkPointer(pointerPath, blobPath);
      onBytes(file.size);
      return { fromNetwork: 0 };
    }
    let fromNetwork = 0;
    let reported = 0;
    const count = (bytes: number) => {
      reported += bytes;
      onBytes(bytes);
    };
    let integrityFailures = 0;
    for (let attempt = 1; ; attempt += 1) {
      try {
        fromNetwork += await download(plan, file, blobPath, ctx, count, reported);
        break;
      } catch (error) {
        ctx.signal?.throwIfAborted();
        if (error instanceof WeightsRefusedError) throw error;
        if (error instanceof WeightsIntegrityError) {
          count(-reported);
          integrityFailures += 1;
          if (integrityFailures >= 2) throw error;
          ctx.logger?.warn("a downloaded file did not verify; downloading it again from scratch", { repo: plan.repo, file: file.path });
          continue;
        }
        if (attempt >= NETWORK_ATTEMPTS) {
          throw new WeightsDownloadError(
            `Downloading ${plan.repo}/${file.path} failed ${attempt} times: ${describe(error)}`,
            `Check this machine's connection to ${ctx.hubUrl} (HF_ENDPOINT); the next attempt resumes where this one stopped.`,
            { cause: error },
          );
        }
        ctx.logger?.warn("download interrupted; resuming", { repo: plan.repo, file: file.path, attempt, error: describe(error) });
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
      }
    }
    await linkPointer(pointerPath, blobPath);
    return { fromNetwork };
  } finally {
    await release();
  }
}

async function download(
  plan: RepoPlan,
  file: RepoFile,
  blobPath: string,
  ctx: Ctx,
  onBytes: (bytes: number) => void,
  alreadyReported: number,
): Promise<number> {
  const incomplete = `${blobPath}.incomplete`;
  let offset = (await stat(incomplete).catch(() => null))?.size ?? 0;
  if (offset > file.size) {
    await unlink(incomplete);
    offset = 0;
  }
  const hash = newHash(file);
  if (offset > 0) {
    for await (const chunk of createReadStream(incomplete)) hash.update(chunk as Buffer);
    ctx.logger?.info("resuming an interrupted download", { repo: plan.repo, file: file.path, from: offset, of: file.size });
  }
  if (offset !== alreadyReported) onBytes(offset - alreadyReported);
  let received = 0;
  if (offset < file.size || file.size === 0) {
    const blob = await hubCall(plan.repo, plan.revision, () =>
      downloadFile({ ...hubParams(ctx), repo: { type: "model", name: plan.repo }, path: file.path, revision: plan.revision, xet: false }),
    );
    if (!blob) throw new WeightsIntegrityError(`${plan.repo}/${file.path} disappeared from the Hub at ${plan.revision}.`);
    if (blob.size !== file.size) {
      throw new WeightsIntegrityError(`${plan.repo}/${file.path}: the Hub reports ${blob.size} bytes, its file list ${file.size}.`);
    }
    const body = offset > 0 ? blob.slice(offset).stream() : blob.stream();
    const meter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        hash.update(chunk);
        received += chunk.length;
        onBytes(chunk.length);
        callback(null, chunk);
      },
    });
    // On failure, what arrived stays in the .incomplete file: the next attempt resumes from there.
    await pipeline(Readable.fromWeb(body as WebReadableStream), meter, createWriteStream(incomplete, { flags: offset > 0 ? "a" : "w" }), {
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  }
  const size = (await stat(incomplete)).size;
  const digest = hash.digest("hex");
  const expected = file.lfsSha256 ?? file.oid;
  if (size !== file.size || digest !== expected) {
    await rm(incomplete, { force: true });
    throw new WeightsIntegrityError(
      `${plan.repo}/${file.path} failed verification (${size} bytes, ${file.lfsSha256 ? "sha256" : "git sha1"} ${digest.slice(0, 12)}…, expected ${file.size} bytes, ${expected.slice(0, 12)}…).`,
    );
  }
  await rename(incomplete, blobPath);
  return received;
}

function newHash(file: RepoFile): Hash {
  if (file.lfsSha256) return createHash("sha256");
  // A git blob id is sha1("blob <size>\0" + content).
  return createHash("sha1").update(`blob ${file.size}\0`);
}

async function linkPointer(pointerPath: string, blobPath: string): Promise<void> {
  await mkdir(path.dirname(pointerPath), { recursive: true });
  const target = path.relative(path.dirname(pointerPath), blobPath);
  const current = await lstat(pointerPath).catch(() => null);
  if (current?.isSymbolicLink() && (await readlink(pointerPath)) === target) return;
  if (current) await rm(pointerPath, { force: true });
  await symlink(target, pointerPath);
}

/**
 * An exclusive lock on one blob, shared by every runner that uses this cache: other processes, other containers,
 * other hosts on a network filesystem. proper-lockfile holds it as a directory whose mtime the owner refreshes every
 * few seconds; a lock not refreshed for 30 s belonged to a runner that died and is taken over. (Process ids cannot
 * tell that across containers or hosts.)
 */
async function acquireLock(blobPath: string, signal?: AbortSignal, logger?: Logger): Promise<() => Promise<void>> {
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await lockfile.lock(blobPath, {
        lockfilePath: `${blobPath}.lock`,
        realpath: false,
        stale: 30_000,
        update: 5_000,
        retries: 0,
        onCompromised: (error) => logger?.warn("a download lock was taken over by another runner", { file: blobPath, error: error.message }),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
