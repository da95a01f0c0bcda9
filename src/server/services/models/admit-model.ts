/**
 * Admission at the door: before a checkpoint is registered, the server asks the Hub (through @huggingface/hub,
 * against HF_ENDPOINT) whether volunteers could evaluate it at all, so a broken or hostile repo never costs three
 * runners a download. The runner checks the same things again before it fetches a byte (defence in depth:
 * runner/src/hf/weights-policy.ts).
 *
 * Each refusal is an AppError naming the form field (`repo`, `revision`, `baseModel`) and the reason. When the Hub
 * cannot be reached the registration is refused as retryable (HubUnavailableError) and nothing is stored.
 */
import { downloadFile, HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import { AppError } from "@/server/errors";

export interface AdmissionSettings {
  /** The Hub or a mirror (HF_ENDPOINT). */
  hubUrl: string;
  accessToken?: string;
  /** Cap on the bytes a runner would download (weights and config). */
  maxBytes: number;
  /** Per Hub call. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface AdmissionSubject {
  repo: string;
  revision: string;
  weightType: "ORIGINAL" | "ADAPTER" | "DELTA";
  /** `org/repo@commit` for adapters and deltas. */
  baseModel?: string;
}

/** The Hub did not answer (network, timeout, 5xx): try again later. */
export class HubUnavailableError extends AppError {
  constructor(readonly detail: string) {
    super(
      "UNAVAILABLE",
      `The Hugging Face Hub could not be reached to check this model (${detail}). Nothing was registered; please try again in a minute.`,
    );
    this.name = "HubUnavailableError";
  }
}

type Field = "repo" | "revision" | "baseModel";
const refuse = (field: Field, message: string) => new AppError("VALIDATION", `${field}: ${message}`, { field });

const PICKLE_EXT = [".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"];
const OTHER_WEIGHTS_EXT = [".h5", ".msgpack", ".onnx", ".onnx_data", ".gguf", ".tflite", ".ot", ".pb", ".mlmodel", ".npz", ".keras"];
const OTHER_WEIGHTS_DIRS = ["onnx/", "openvino/", "coreml/", "tflite/", "flax/"];
const lower = (p: string) => p.toLowerCase();
const isPickle = (p: string) => PICKLE_EXT.some((ext) => lower(p).endsWith(ext));
const isOtherWeights = (p: string) =>
  OTHER_WEIGHTS_EXT.some((ext) => lower(p).endsWith(ext)) || OTHER_WEIGHTS_DIRS.some((dir) => lower(p).startsWith(dir));
const isSafetensors = (p: string) => lower(p).endsWith(".safetensors") && !isOtherWeights(p);
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_FILES = 10_000;

/** The Hub's own repo-name rules beyond the form's pattern: no `--` or `..` anywhere. */
export function hubNameProblem(repo: string): string | null {
  if (repo.includes("--")) return "Hub repo names cannot contain `--`";
  if (repo.includes("..")) return "Hub repo names cannot contain `..`";
  return null;
}

/** What admission learned that the scheduler uses: the model's context length, from its (or its base's) config.json. */
export interface Admission {
  contextLength: number | null;
}

/** The context length a config.json declares (the keys vLLM derives its maximum from), or null. */
export function contextLengthOf(config: Record<string, unknown>): number | null {
  for (const key of ["max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length"]) {
    const value = config[key];
    if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  }
  return null;
}

export async function admitModel(subject: AdmissionSubject, settings: AdmissionSettings): Promise<Admission> {
  const isAdapter = subject.weightType === "ADAPTER";
  const adapterConfig = await admitRepo(subject.repo, subject.revision, isAdapter ? "adapter" : "model", "repo", settings);
  if (subject.weightType === "ORIGINAL") return { contextLength: contextLengthOf(adapterConfig) };
  const match = subject.baseModel?.match(/^(.+)@([0-9a-f]{40})$/);
  if (!match) throw refuse("baseModel", "adapters and deltas need their base model as `org/repo@<40-hex commit>`");
  const [, baseRepo, baseRevision] = match as unknown as [string, string, string];
  if (isAdapter) {
    const named = adapterConfig.base_model_name_or_path;
    if (typeof named !== "string" || named.trim() === "") {
      throw refuse("repo", "adapter_config.json names no base model (`base_model_name_or_path`)");
    }
    if (named.toLowerCase() !== baseRepo.toLowerCase()) {
      throw refuse("baseModel", `the adapter's adapter_config.json names ${JSON.stringify(named)} as its base, not ${baseRepo}`);
    }
  }
  const baseConfig = await admitRepo(baseRepo, baseRevision, "model", "baseModel", settings);
  return { contextLength: contextLengthOf(isAdapter ? baseConfig : adapterConfig) ?? contextLengthOf(baseConfig) };
}

async function admitRepo(
  repo: string,
  revision: string,
  kind: "model" | "adapter",
  field: "repo" | "baseModel",
  settings: AdmissionSettings,
): Promise<Record<string, unknown>> {
  const nameProblem = hubNameProblem(repo);
  if (nameProblem) throw refuse(field, nameProblem);
  const label = field === "baseModel" ? `the base model ${repo}` : repo;
  const params = hubParams(settings);

  const info = await hubCall(field, label, revision, () => modelInfo({ ...params, name: repo, revision, additionalFields: ["sha"] }));
  if (info.sha !== revision) {
    throw refuse(field === "repo" ? "revision" : field, `the Hub resolves ${label}@${revision.slice(0, 7)} to another commit; register the exact commit`);
  }

  const files: { path: string; size: number }[] = [];
  await hubCall(field, label, revision, async () => {
    for await (const entry of listFiles({ ...params, repo: { type: "model", name: repo }, revision, recursive: true })) {
      if (entry.type !== "file") continue;
      files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size });
      if (files.length > MAX_FILES) throw refuse(field, `${label} has more than ${MAX_FILES} files`);
    }
  });

  const python = files.filter((file) => lower(file.path).endsWith(".py"));
  if (python.length > 0) {
    throw refuse(field, `${label} contains Python code (${python.slice(0, 3).map((f) => f.path).join(", ")}); custom code is refused`);
  }
  const configName = kind === "adapter" ? "adapter_config.json" : "config.json";
  const configFile = files.find((file) => file.path === configName);
  if (!configFile) throw refuse(field, `${label} has no ${configName} at its root`);
  const safetensors = files.filter((file) => isSafetensors(file.path));
  if (safetensors.length === 0) {
    const pickles = files.filter((file) => isPickle(file.path));
    throw refuse(
      field,
      pickles.length > 0
        ? `${label} only has pickle weights (${pickles.slice(0, 3).map((f) => f.path).join(", ")}); loading pickle runs code, so convert them to safetensors`
        : `${label} has no *.safetensors weights`,
    );
  }
  const downloaded = files.filter((file) => !isPickle(file.path) && !isOtherWeights(file.path));
  const totalBytes = downloaded.reduce((sum, file) => sum + file.size, 0);
  if (totalBytes > settings.maxBytes) {
    throw refuse(field, `${label} is ${gb(totalBytes)} GB; this server admits at most ${gb(settings.maxBytes)} GB (MAX_MODEL_GB)`);
  }
  if (configFile.size > MAX_CONFIG_BYTES) throw refuse(field, `${label}'s ${configName} is larger than 1 MB`);

  const text = await hubCall(field, label, revision, async () => {
    const blob = await downloadFile({ ...params, repo: { type: "model", name: repo }, path: configName, revision, xet: false });
    return blob ? await blob.text() : null;
  });
  if (text === null) throw refuse(field, `${label} has no ${configName} at its root`);
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw refuse(field, `${label}'s ${configName} is not valid JSON`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw refuse(field, `${label}'s ${configName} is not a JSON object`);
  }
  const object = config as Record<string, unknown>;
  if ("auto_map" in object) throw refuse(field, `${label}'s ${configName} has an auto_map (custom modelling code); custom code is refused`);
  if (kind === "model") {
    const architectures = object.architectures;
    if (!Array.isArray(architectures) || architectures.length === 0 || !architectures.every((a) => typeof a === "string" && a.length > 0)) {
      throw refuse(field, `${label}'s config.json names no architecture (\`architectures\`)`);
    }
  }
  return object;
}

function gb(bytes: number): string {
  return (bytes / 1e9).toFixed(bytes < 1e9 ? 3 : 1);
}

function hubParams(settings: AdmissionSettings) {
  const base = settings.fetch ?? fetch;
  const timeoutMs = settings.timeoutMs ?? 15_000;
  const timed: typeof fetch = (input, init) => base(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return { hubUrl: settings.hubUrl, fetch: timed, ...(settings.accessToken ? { accessToken: settings.accessToken } : {}) };
}

async function hubCall<T>(field: Field, label: string, revision: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof HubApiError) {
      if (error.statusCode === 401 || error.statusCode === 403) {
        throw refuse(field, `the Hub refused access to ${label} (gated or private); Quorum evaluates public repos`);
      }
      if (error.statusCode === 404) {
        // The Hub answers {"error": "Repository not found"} for a missing repo, "Invalid rev id: ..." for a missing commit.
        const isRevision = !/repository not found/i.test(`${error.message} ${JSON.stringify(error.data ?? {})}`);
        if (isRevision && field === "repo") throw refuse("revision", `commit ${revision.slice(0, 7)} was not found in ${label}`);
        throw refuse(field, `${label}${field === "baseModel" ? `@${revision.slice(0, 7)}` : ""} was not found on the Hub`);
      }
      if (error.statusCode !== undefined && error.statusCode < 500 && error.statusCode !== 429) {
        throw refuse(field, `the Hub answered HTTP ${error.statusCode} for ${label}`);
      }
      throw new HubUnavailableError(`HTTP ${error.statusCode ?? "error"}`);
    }
    const name = error instanceof Error ? error.name : "";
    throw new HubUnavailableError(name === "TimeoutError" || name === "AbortError" ? "it did not answer in time" : "the connection failed");
  }
}
