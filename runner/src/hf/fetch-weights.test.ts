import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TModelRef } from "@/lib/protocol/runner-api";
import { fakeSafetensors, startHubDouble, type HubDouble } from "./test-helpers/hub-double";
import { fetchModelWeights, repoFolderName, resolveHubUrl } from "./fetch-weights";
import { WeightsRefusedError } from "./weights-policy";

const C = (n: number) => n.toString(16).padStart(40, "a");
const TINY = C(1);
const SHARDED = C(2);
const PICKLE = C(3);
const AUTOMAP = C(4);
const PYFILE = C(5);
const ADAPTER = C(6);
const GATED = C(7);
const NOWEIGHTS = C(8);
const HF_TEST_TOKEN = "hf_testtokenabcdefghijklmnop";

const weights = fakeSafetensors(300_000, 7);
const shard1 = fakeSafetensors(40_000, 1);
const shard2 = fakeSafetensors(40_000, 2);
const config = JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama" });

let hub: HubDouble;
let cacheDir: string;

function ref(repo: string, revision: string, extra: Partial<TModelRef> = {}): TModelRef {
  return { id: "m1", repo, revision, weightType: "ORIGINAL", baseModel: null, precision: "BFLOAT16", ...extra };
}

async function refusal(promise: Promise<unknown>): Promise<WeightsRefusedError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeightsRefusedError);
  return error as WeightsRefusedError;
}

beforeAll(async () => {
  hub = await startHubDouble(
    [
      {
        repo: "test-org/tiny",
        commit: TINY,
        branches: ["main"],
        files: [
          { path: "config.json", content: config },
          { path: "generation_config.json", content: "{}" },
          { path: "tokenizer.json", content: JSON.stringify({ model: { vocab: { a: 0 } } }) },
          { path: "model.safetensors", content: weights, lfs: true },
          { path: "training_args.bin", content: Buffer.alloc(100, 1), lfs: true },
          { path: "README.md", content: "# tiny" },
        ],
      },
      {
        repo: "test-org/sharded",
        commit: SHARDED,
        files: [
          { path: "config.json", content: config },
          {
            path: "model.safetensors.index.json",
            content: JSON.stringify({ weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors" } }),
          },
          { path: "model-00001-of-00002.safetensors", content: shard1, lfs: true },
          { path: "model-00002-of-00002.safetensors", content: shard2, lfs: true },
          { path: "consolidated.safetensors", content: fakeSafetensors(80_000, 3), lfs: true },
          { path: "onnx/model.onnx", content: "onnx", lfs: true },
        ],
      },
      {
        repo: "test-org/pickle-only",
        commit: PICKLE,
        files: [
          { path: "config.json", content: config },
          { path: "pytorch_model.bin", content: Buffer.alloc(1000, 2), lfs: true },
        ],
      },
      {
        repo: "test-org/auto-map",
        commit: AUTOMAP,
        files: [
          { path: "config.json", content: JSON.stringify({ model_type: "x", auto_map: { AutoModelForCausalLM: "modeling.X" } }) },
          { path: "model.safetensors", content: weights, lfs: true },
        ],
      },
      {
        repo: "test-org/py-file",
        commit: PYFILE,
        files: [
          { path: "config.json", content: config },
          { path: "model.safetensors", content: weights, lfs: true },
          { path: "src/modeling_custom.py", content: "import os" },
        ],
      },
      {
        repo: "test-org/lora",
        commit: ADAPTER,
        files: [
          { path: "adapter_config.json", content: JSON.stringify({ base_model_name_or_path: "test-org/tiny", r: 8, peft_type: "LORA" }) },
          { path: "adapter_model.safetensors", content: fakeSafetensors(20_000, 9), lfs: true },
        ],
      },
      {
        repo: "test-org/gated",
        commit: GATED,
        gatedToken: HF_TEST_TOKEN,
        files: [
          { path: "config.json", content: config },
          { path: "model.safetensors", content: fakeSafetensors(10_000, 4), lfs: true },
        ],
      },
      { repo: "test-org/no-weights", commit: NOWEIGHTS, files: [{ path: "config.json", content: config }] },
    ],
    { pageSize: 2 },
  );
});

afterAll(async () => {
  await hub.close();
});

beforeEach(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), "quorum-hf-"));
  hub.requests.length = 0;
  return () => rm(cacheDir, { recursive: true, force: true });
});

describe("fetchModelWeights against the Hub double", () => {
  it("fetches a pinned commit into the Hub cache layout, with progress, and skips pickle files and files off the allow-list", async () => {
    const progress: Array<{ downloadedBytes: number; totalBytes: number }> = [];
    const fetched = await fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir, hubUrl: hub.url, onProgress: (p) => progress.push(p) });

    expect(fetched.model.storageDir).toBe(path.join(cacheDir, repoFolderName("test-org/tiny")));
    expect(fetched.model.snapshotDir).toBe(path.join(fetched.model.storageDir, "snapshots", TINY));
    expect([...fetched.model.files].sort()).toEqual(["config.json", "generation_config.json", "model.safetensors", "tokenizer.json"]);
    expect(await readFile(path.join(fetched.model.snapshotDir, "model.safetensors"))).toEqual(weights);
    // Relative symlinks, so the repo folder can be mounted anywhere.
    const link = await readlink(path.join(fetched.model.snapshotDir, "model.safetensors"));
    expect(link.startsWith("../../blobs/")).toBe(true);
    await expect(lstat(path.join(fetched.model.snapshotDir, "training_args.bin"))).rejects.toThrow();
    expect(fetched.downloadedBytes).toBeGreaterThanOrEqual(weights.length);
    const last = progress.at(-1)!;
    expect(last.downloadedBytes).toBe(last.totalBytes);
    expect(last.totalBytes).toBe(fetched.model.bytes);

    // A second fetch is served from the cache: metadata calls only, no file transfers.
    hub.requests.length = 0;
    const again = await fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir, hubUrl: hub.url });
    expect(again.downloadedBytes).toBe(0);
    expect(hub.requests.filter((r) => r.includes("/resolve/") || r.includes("/cdn/"))).toEqual([]);
  });

  it("refuses a model over --max-download-bytes from its file list, before fetching a single byte", async () => {
    const error = await refusal(fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir, hubUrl: hub.url, maxDownloadBytes: 100_000 }));
    expect(error.reason).toBe("too-large");
    expect(error.message).toMatch(/over this runner's cap/);
    expect(error.hint).toMatch(/--max-download-bytes/);
    expect(hub.requests.filter((r) => r.includes("/resolve/") || r.includes("/cdn/"))).toEqual([]);
    // An adapter counts its base model too.
    const adapter = await refusal(
      fetchModelWeights(ref("test-org/lora", ADAPTER, { weightType: "ADAPTER", baseModel: `test-org/tiny@${TINY}` }), {
        cacheDir,
        hubUrl: hub.url,
        maxDownloadBytes: 200_000,
      }),
    );
    expect(adapter.reason).toBe("too-large");
    expect(hub.requests.filter((r) => r.includes("/resolve/") || r.includes("/cdn/"))).toEqual([]);
  });

  it("refuses a branch name before asking the Hub anything, even one the Hub would resolve", async () => {
    const error = await refusal(fetchModelWeights(ref("test-org/tiny", "main"), { cacheDir, hubUrl: hub.url }));
    expect(error.reason).toBe("unpinned-revision");
    expect(error.hint).toMatch(/commit/);
    expect(hub.requests).toEqual([]);
  });

  it("refuses a commit the Hub does not know", async () => {
    const error = await refusal(fetchModelWeights(ref("test-org/tiny", C(99)), { cacheDir, hubUrl: hub.url }));
    expect(error.reason).toBe("not-found");
  });

  it.each([
    ["test-org/pickle-only", PICKLE, "pickle-only"],
    ["test-org/auto-map", AUTOMAP, "custom-code"],
    ["test-org/py-file", PYFILE, "custom-code"],
    ["test-org/no-weights", NOWEIGHTS, "no-weights"],
  ])("refuses %s (%s) without downloading any weights", async (repo, commit, reason) => {
    const error = await refusal(fetchModelWeights(ref(repo, commit), { cacheDir, hubUrl: hub.url }));
    expect(error.reason).toBe(reason);
    expect(error.hint.length).toBeGreaterThan(10);
    expect(hub.requests.filter((r) => r.includes("/cdn/"))).toEqual([]);
  });

  it("follows a safetensors index (skipping duplicates and other formats) across paginated tree listings", async () => {
    const fetched = await fetchModelWeights(ref("test-org/sharded", SHARDED), { cacheDir, hubUrl: hub.url });
    expect([...fetched.model.files].sort()).toEqual([
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    expect(hub.requests.filter((r) => r.includes("/tree/")).length).toBeGreaterThan(1);
    expect(await readFile(path.join(fetched.model.snapshotDir, "model-00002-of-00002.safetensors"))).toEqual(shard2);
  });

  it("fetches an adapter and its pinned base model; refuses an unpinned base and delta weights", async () => {
    const fetched = await fetchModelWeights(
      ref("test-org/lora", ADAPTER, { weightType: "ADAPTER", baseModel: `test-org/tiny@${TINY}` }),
      { cacheDir, hubUrl: hub.url },
    );
    expect(fetched.model.files).toContain("adapter_model.safetensors");
    expect(fetched.model.config.r).toBe(8);
    expect(fetched.base?.repo).toBe("test-org/tiny");
    expect(fetched.base?.files).toContain("model.safetensors");

    const unpinned = await refusal(
      fetchModelWeights(ref("test-org/lora", ADAPTER, { weightType: "ADAPTER", baseModel: "test-org/tiny" }), { cacheDir, hubUrl: hub.url }),
    );
    expect(unpinned.reason).toBe("unpinned-base");
    const branchBase = await refusal(
      fetchModelWeights(ref("test-org/lora", ADAPTER, { weightType: "ADAPTER", baseModel: "test-org/tiny@main" }), { cacheDir, hubUrl: hub.url }),
    );
    expect(branchBase.reason).toBe("unpinned-revision");
    const delta = await refusal(fetchModelWeights(ref("test-org/tiny", TINY, { weightType: "DELTA" }), { cacheDir, hubUrl: hub.url }));
    expect(delta.reason).toBe("unsupported-weight-type");
  });

  it("needs HF_TOKEN for gated repos", async () => {
    const error = await refusal(fetchModelWeights(ref("test-org/gated", GATED), { cacheDir, hubUrl: hub.url }));
    expect(error.reason).toBe("gated");
    expect(error.hint).toMatch(/HF_TOKEN/);
    const fetched = await fetchModelWeights(ref("test-org/gated", GATED), { cacheDir, hubUrl: hub.url, accessToken: HF_TEST_TOKEN });
    expect(fetched.model.files).toContain("model.safetensors");
  });

  it("resumes an interrupted transfer with an HTTP range instead of starting over", async () => {
    hub.cutOnce.set("model.safetensors", 100_000);
    const before = hub.requests.length;
    const fetched = await fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir, hubUrl: hub.url });
    expect(await readFile(path.join(fetched.model.snapshotDir, "model.safetensors"))).toEqual(weights);
    // The retry asks only for what is missing: from wherever the cut-off bytes that reached the disk end (all
    // 100000 of them unless the write stream was torn down with some still queued).
    const ranges = hub.requests.slice(before).map((r) => /\/cdn\/\w+ bytes=(\d+)-/.exec(r)?.[1]).filter((offset) => offset !== undefined);
    expect(ranges.length).toBeGreaterThanOrEqual(1);
    const resumedFrom = Number(ranges.at(-1));
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThanOrEqual(100_000);
  });

  it("verifies the sha256 of what arrived and downloads a corrupted file again", async () => {
    hub.corruptOnce.add("model.safetensors");
    const fetched = await fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir, hubUrl: hub.url });
    expect(await readFile(path.join(fetched.model.snapshotDir, "model.safetensors"))).toEqual(weights);
    expect(hub.requests.filter((r) => /\/cdn\/\w+$/.test(r)).length).toBe(2);
  });

  it("shares one cache between runners: concurrent fetches download each file once; a dead runner's lock is taken over", async () => {
    const [a, b] = await Promise.all([
      fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir, hubUrl: hub.url }),
      fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir, hubUrl: hub.url }),
    ]);
    expect(await readFile(path.join(a.model.snapshotDir, "model.safetensors"))).toEqual(weights);
    expect(a.downloadedBytes + b.downloadedBytes).toBeLessThan(2 * weights.length);

    // A lock left by a runner that died (in another container, say) is stale once its mtime is 30 s old.
    const other = await mkdtemp(path.join(os.tmpdir(), "quorum-hf-stale-"));
    const first = await fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir: other, hubUrl: hub.url });
    const blobs = path.join(first.model.storageDir, "blobs");
    const blob = path.join(blobs, (await readdir(blobs)).find((name) => name.length === 64)!);
    await rm(blob);
    await mkdir(`${blob}.lock`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${blob}.lock`, old, old);
    const again = await fetchModelWeights(ref("test-org/tiny", TINY), { cacheDir: other, hubUrl: hub.url });
    expect(await readFile(path.join(again.model.snapshotDir, "model.safetensors"))).toEqual(weights);
    await rm(other, { recursive: true, force: true });
  });

  it("takes the Hub's address from HF_ENDPOINT", () => {
    expect(resolveHubUrl(undefined, { HF_ENDPOINT: "http://mirror.local:8080/" })).toBe("http://mirror.local:8080");
    expect(resolveHubUrl(undefined, {})).toBe("https://huggingface.co");
    expect(resolveHubUrl("http://explicit", { HF_ENDPOINT: "http://env" })).toBe("http://explicit");
  });
});
