/**
 * The runner's validated configuration: which server, which API token, which runner identity and its ed25519 key.
 * Stored as JSON with 0600 permissions (its directory 0700) in the user's config directory, or in
 * `QUORUM_RUNNER_CONFIG_DIR` (tests, several runners on one machine).
 */
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import envPaths from "env-paths";
import { z } from "zod";
import { ZPublicKeySchema, ZRunnerNameSchema } from "@/lib/protocol/runner-api";

export const CONFIG_FILE_NAME = "config.json";

export const ZRunnerConfigSchema = z.object({
  version: z.literal(1),
  server: z.string().url(),
  token: z.string().min(1),
  runner: z.object({
    id: z.string().min(1),
    name: ZRunnerNameSchema,
    ownerName: z.string(),
  }),
  publicKey: ZPublicKeySchema,
  privateKeyPem: z.string().includes("PRIVATE KEY"),
  createdAt: z.string().datetime(),
});
export type TRunnerConfig = z.infer<typeof ZRunnerConfigSchema>;

const APP = "quorum-runner";

export interface RunnerDirs {
  config: string;
  /** Model weights, in the Hugging Face cache layout. */
  cache: string;
  /** Task dirs, task files and result files. */
  work: string;
}

/** Directories from the environment, falling back to the platform's conventional places. */
export function resolveDirs(env: Record<string, string | undefined> = process.env): RunnerDirs {
  const paths = envPaths(APP, { suffix: "" });
  return {
    config: env.QUORUM_RUNNER_CONFIG_DIR || paths.config,
    cache: env.QUORUM_RUNNER_CACHE_DIR || path.join(paths.cache, "hub"),
    work: env.QUORUM_RUNNER_WORK_DIR || (env.QUORUM_RUNNER_CONFIG_DIR ? path.join(env.QUORUM_RUNNER_CONFIG_DIR, "work") : path.join(paths.data, "work")),
  };
}

export class ConfigError extends Error {
  constructor(
    message: string,
    /** What the user should do next. */
    readonly hint: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export function configPath(dir: string): string {
  return path.join(dir, CONFIG_FILE_NAME);
}

export async function loadConfig(dir: string): Promise<TRunnerConfig> {
  const file = configPath(dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ConfigError(`This runner is not logged in (no ${file}).`, "Run `pnpm runner login --server URL --token T` first.");
    }
    throw error;
  }
  await tightenPermissions(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not valid JSON.`, "Delete it and run `pnpm runner login` again.");
  }
  const parsed = ZRunnerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${file} is not a valid runner config (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}).`,
      "Run `pnpm runner login --server URL --token T` again to rewrite it.",
    );
  }
  return parsed.data;
}

export async function loadConfigIfPresent(dir: string): Promise<TRunnerConfig | null> {
  try {
    return await loadConfig(dir);
  } catch (error) {
    if (error instanceof ConfigError && error.message.includes("not logged in")) return null;
    throw error;
  }
}

/** Atomic write (temp file + rename) with mode 0600; the directory gets 0700. */
export async function saveConfig(dir: string, config: TRunnerConfig): Promise<string> {
  const valid = ZRunnerConfigSchema.parse(config);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = configPath(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return file;
}

/** A config readable by others is fixed on the spot: it holds an API token and a private key. */
async function tightenPermissions(file: string): Promise<void> {
  if (process.platform === "win32") return;
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
}
