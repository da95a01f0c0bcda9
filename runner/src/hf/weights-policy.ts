/**
 * What the runner agrees to fetch from the Hub, as the Open LLM Leaderboard did: exact commits only, safetensors
 * only (pickle-only repos are refused: unpickling runs code), no custom code (`auto_map` in config.json, or any
 * `*.py` file in the repo). Pure functions over the repo's file list, so every rule is unit-tested.
 */
export type WeightsRefusal =
  | "unpinned-revision"
  | "revision-mismatch"
  | "pickle-only"
  | "no-weights"
  | "no-config"
  | "custom-code"
  | "unpinned-base"
  | "unsupported-weight-type"
  | "not-found"
  | "gated"
  | "too-large";

export class WeightsRefusedError extends Error {
  constructor(
    readonly reason: WeightsRefusal,
    message: string,
    /** What to do next. */
    readonly hint: string,
  ) {
    super(message);
    this.name = "WeightsRefusedError";
  }
}

export class WeightsIntegrityError extends Error {
  constructor(
    message: string,
    readonly hint = "The download was corrupted or the Hub changed the file; run the task again (the runner re-downloads it).",
  ) {
    super(message);
    this.name = "WeightsIntegrityError";
  }
}

export const COMMIT_RE = /^[0-9a-f]{40}$/;
const REPO_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function assertPinned(repo: string, revision: string): void {
  if (!REPO_RE.test(repo)) {
    throw new WeightsRefusedError("not-found", `${JSON.stringify(repo)} is not a Hub model id (expected org/name).`, "Check the model's repo name on the server.");
  }
  if (!COMMIT_RE.test(revision)) {
    throw new WeightsRefusedError(
      "unpinned-revision",
      `${repo}@${revision} is not pinned to a commit: the runner only evaluates exact commits (40 hex characters), never a branch or tag.`,
      "Register the model with its full commit hash (the Hub shows it on the repo's 'Files' tab, or `git rev-parse HEAD`).",
    );
  }
}

/** `org/name@<commit>`; a base model reference without a commit is refused like any unpinned revision. */
export function parsePinnedRef(ref: string): { repo: string; revision: string } {
  const at = ref.lastIndexOf("@");
  if (at <= 0) {
    throw new WeightsRefusedError(
      "unpinned-base",
      `The adapter's base model ${JSON.stringify(ref)} is not pinned to a commit.`,
      "Register the adapter with its base model as org/name@<40-hex commit>.",
    );
  }
  const repo = ref.slice(0, at);
  const revision = ref.slice(at + 1);
  assertPinned(repo, revision);
  return { repo, revision };
}

export interface RepoFile {
  path: string;
  size: number;
  /** Git blob id (sha1 of "blob <size>\0<content>"). */
  oid: string;
  /** For LFS files: sha256 of the content. */
  lfsSha256: string | null;
}

const PICKLE_EXT = [".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"];
/** Other frameworks' weights and exports: not needed by vLLM and often huge. */
const OTHER_WEIGHTS_EXT = [".h5", ".msgpack", ".onnx", ".onnx_data", ".gguf", ".tflite", ".ot", ".pb", ".mlmodel", ".npz", ".keras"];
const OTHER_WEIGHTS_DIRS = ["onnx/", "openvino/", "coreml/", "tflite/", "flax/"];

const lower = (p: string) => p.toLowerCase();
export const isPickle = (p: string) => PICKLE_EXT.some((ext) => lower(p).endsWith(ext));
export const isSafetensors = (p: string) => lower(p).endsWith(".safetensors");
export const isPython = (p: string) => lower(p).endsWith(".py");
const isOtherWeights = (p: string) =>
  OTHER_WEIGHTS_EXT.some((ext) => lower(p).endsWith(ext)) || OTHER_WEIGHTS_DIRS.some((dir) => lower(p).startsWith(dir));

/**
 * The only files the runner downloads: root-level weights, configs, tokenizers and chat templates, with plain names
 * (a path with a folder, `..` or odd characters is never written into the cache). READMEs, images, training
 * artefacts and other frameworks' exports are skipped.
 */
const ALLOWED_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.(safetensors|json|model|tiktoken|txt|jinja)$/;
export const isAllowedFile = (p: string) => ALLOWED_FILE.test(p) && !p.includes("..") && lower(p) !== "readme.txt";

export interface DownloadPlan {
  download: RepoFile[];
  skipped: RepoFile[];
}

/**
 * Which files to fetch. Refuses custom code, pickle-only repos, repos without weights or without their config.
 * With a safetensors index, only the shards it lists are fetched (repos often carry a duplicate consolidated file).
 */
export function planDownload(
  repo: string,
  files: RepoFile[],
  options: { isAdapter: boolean; indexWeightMap?: Record<string, string> | null },
): DownloadPlan {
  const python = files.filter((f) => isPython(f.path));
  if (python.length > 0) {
    throw new WeightsRefusedError(
      "custom-code",
      `${repo} contains Python code (${python.slice(0, 3).map((f) => f.path).join(", ")}${python.length > 3 ? ", …" : ""}); custom code is refused.`,
      "Quorum only evaluates architectures that vLLM and transformers support natively (no trust_remote_code).",
    );
  }
  const configName = options.isAdapter ? "adapter_config.json" : "config.json";
  if (!files.some((f) => f.path === configName)) {
    throw new WeightsRefusedError(
      "no-config",
      `${repo} has no ${configName} at its root, so it is not a ${options.isAdapter ? "PEFT adapter" : "transformers model"} the runner can load.`,
      options.isAdapter ? "Adapters must be PEFT LoRA adapters (adapter_config.json + adapter_model.safetensors)." : "Check that the repo holds a transformers checkpoint.",
    );
  }
  const safetensors = files.filter((f) => isSafetensors(f.path) && !isOtherWeights(f.path) && isAllowedFile(f.path));
  const pickles = files.filter((f) => isPickle(f.path));
  if (safetensors.length === 0) {
    if (pickles.length > 0) {
      throw new WeightsRefusedError(
        "pickle-only",
        `${repo} only has pickle weights (${pickles.slice(0, 3).map((f) => f.path).join(", ")}); loading pickle runs arbitrary code, so it is refused.`,
        "Convert the weights to safetensors (e.g. the Hub's 'convert to safetensors' space), push a commit and register that commit.",
      );
    }
    throw new WeightsRefusedError("no-weights", `${repo} has no safetensors weights.`, "Check the repo and the registered commit.");
  }
  const listed = options.indexWeightMap ? new Set(Object.values(options.indexWeightMap)) : null;
  if (listed) {
    const odd = [...listed].filter((shard) => !isAllowedFile(shard) || !isSafetensors(shard));
    if (odd.length > 0) {
      throw new WeightsRefusedError("no-weights", `${repo}'s safetensors index lists files the runner does not fetch (${odd.slice(0, 3).join(", ")}).`, "Shards must be root-level *.safetensors files.");
    }
    const missing = [...listed].filter((shard) => !files.some((f) => f.path === shard));
    if (missing.length > 0) {
      throw new WeightsRefusedError("no-weights", `${repo}'s safetensors index lists shards that are not in the repo (${missing.slice(0, 3).join(", ")}).`, "The repo is incomplete at this commit.");
    }
  }
  const download: RepoFile[] = [];
  const skipped: RepoFile[] = [];
  for (const file of files) {
    const skip =
      !isAllowedFile(file.path) ||
      isPickle(file.path) ||
      isOtherWeights(file.path) ||
      (isSafetensors(file.path) && listed !== null && !listed.has(file.path));
    (skip ? skipped : download).push(file);
  }
  return { download, skipped };
}

/** Refuses configs that ask for custom code. */
export function checkConfig(repo: string, fileName: string, text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WeightsRefusedError("no-config", `${repo}'s ${fileName} is not valid JSON.`, "Fix the file in the repo and register the new commit.");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new WeightsRefusedError("no-config", `${repo}'s ${fileName} is not a JSON object.`, "Fix the file in the repo and register the new commit.");
  }
  const config = json as Record<string, unknown>;
  if ("auto_map" in config) {
    throw new WeightsRefusedError(
      "custom-code",
      `${repo}'s ${fileName} has an auto_map (custom modelling code); custom code is refused.`,
      "Quorum only evaluates architectures that vLLM and transformers support natively (no trust_remote_code).",
    );
  }
  return config;
}
