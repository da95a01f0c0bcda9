// @ts-check
/**
 * Quorum's environment, validated with zod. next.config.mjs imports this module, so a bad environment fails at
 * start (and at build) with a message naming the variable, not at the first request.
 * Every variable is documented in the README's configuration table.
 */
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .transform((value) => value === "true" || value === "1");

const positiveInt = z.coerce.number().int().positive();

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "expected a postgresql:// connection URL")
    .optional(),
  QUORUM_DATA_DIR: z.string().default(".quorum"),
  QUORUM_EMBEDDED_PG_PORT: positiveInt.default(54329),
  NEXTAUTH_URL: z.string().url("expected the public URL of the app, e.g. https://quorum.example.org").optional(),
  NEXTAUTH_SECRET: z.string().min(32, "expected at least 32 random characters").optional(),
  GITHUB_ID: z.string().optional(),
  GITHUB_SECRET: z.string().optional(),
  OIDC_ISSUER: z.string().url("expected the issuer URL of your OpenID Connect provider").optional(),
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_NAME: z.string().default("OpenID Connect"),
  AUTH_DEV_LOGIN: bool.default(false),
  // Development sign-in lets anyone be any user: a production server refuses to start with it unless this is set.
  QUORUM_UNSAFE_DEV_LOGIN_IN_PRODUCTION: bool.default(false),
  // The `fixture` engine and `fixture/*` models are test doubles: refused unless this is set (tests, `pnpm demo`).
  QUORUM_ALLOW_TEST_DOUBLES: bool.default(false),
  // Admission at the door (docs/security.md): the Hub that registrations are checked against, and the size cap.
  HF_ENDPOINT: z.string().url("expected the Hugging Face Hub URL, e.g. https://huggingface.co").default("https://huggingface.co"),
  HF_TOKEN: z.string().optional(),
  // Off only where test doubles are allowed (tests register made-up repos that no Hub knows).
  QUORUM_HUB_CHECKS: bool.default(true),
  MAX_MODEL_GB: z.coerce.number().positive().default(200),
  // Bounded inputs (docs/security.md, "Limits"): request bodies, batches, rate limits, live connections.
  MAX_BODY_BYTES: positiveInt.default(4 * 1024 * 1024),
  MAX_BATCH_CALLS: positiveInt.default(10),
  RATE_MUTATIONS_PER_MIN: positiveInt.default(120),
  RATE_IP_PER_MIN: positiveInt.default(600),
  RATE_SIGNIN_PER_MIN: positiveInt.default(20),
  RATE_TOKENS_PER_HOUR: positiveInt.default(30),
  LIVE_MAX_PER_CLIENT: positiveInt.default(8),
  LIVE_MAX_TOTAL: positiveInt.default(2000),
  LEADERBOARD_CACHE_MB: positiveInt.default(32),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().nonnegative().default(0),
  QUORUM_ADMINS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((entry) => entry.trim().toLowerCase())
        .filter(Boolean),
    ),
  EPOCH_MINUTES: positiveInt.default(60),
  LEASE_MINUTES: positiveInt.default(20),
  NORM_REQUIRED: z.coerce.number().int().nonnegative().default(3),
  NORM_WINDOW_H: positiveInt.default(24),
  SIGNATURE_MAX_SKEW_S: positiveInt.default(300),
  SCHEDULER_INTERVAL_S: positiveInt.default(30),
  // Trust (docs/trust.md): claim caps, lease age, reputation, spot checks.
  MAX_CLAIMS_PER_RUNNER: positiveInt.default(1),
  MAX_CLAIMS_PER_OWNER: positiveInt.default(3),
  MAX_LEASE_MINUTES: positiveInt.default(360),
  ESTABLISHED_MIN_VALID: z.coerce.number().int().nonnegative().default(10),
  ESTABLISHED_MIN_OWNERS: z.coerce.number().int().nonnegative().default(3),
  SPOT_CHECK_SHARE: z.coerce.number().min(0).max(0.5).default(0.03),
  // Green score: grams of CO2 per kWh used to estimate emissions from measured energy. The default, 480, is the
  // world average carbon intensity of electricity generation in 2023 (Ember, Global Electricity Review 2024).
  // Adaptive depth: items per task tier, e.g. 5,25,100 (docs/benchmarks.md). Unset: every task gets the benchmark's
  // itemsPerTask (fixed depth). DEPTH_RESOLUTION: the score difference (0..1) a rank must resolve.
  DEPTH_TIERS: z.string().regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "expected items per tier separated by commas, such as 5,25,100").optional(),
  DEPTH_RESOLUTION: z.coerce.number().gt(0, "expected a score difference above 0").max(1, "expected at most 1").default(0.05),
  DEPTH_SKIP_AFTER_EPOCHS: z.coerce.number().int().min(1).default(6),
  DEPTH_CONFIDENCE: z.coerce.number().gt(0).max(10).default(2.5),
  // Community benchmarks (docs/benchmarks.md): the reference models their canary tasks run on (comma-separated
  // Hugging Face repos or model ids; unset: the two earliest-registered active models), the dataset cache's bound,
  // and private dataset hosts (a LAN mirror, tests), allowed only together with QUORUM_ALLOW_TEST_DOUBLES.
  COMMUNITY_REFERENCE_MODELS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean),
    ),
  COMMUNITY_DATASET_CACHE_MB: positiveInt.default(256),
  QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS: bool.default(false),
  GRID_G_CO2_PER_KWH: z.coerce.number().min(0, "expected grams of CO2 per kWh, 0 or more").max(2000, "expected at most 2000 g/kWh").default(480),
});

/** @typedef {z.infer<typeof envSchema>} Env */

/**
 * @param {Record<string, string | undefined>} source
 * @returns {Env}
 */
export function parseEnv(source) {
  // Empty strings count as unset, as in most .env tooling.
  /** @type {Record<string, string>} */
  const cleaned = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && value !== "") cleaned[key] = value;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}\nFix these variables (see the README's configuration table).`);
  }
  const env = parsed.data;
  if (Boolean(env.GITHUB_ID) !== Boolean(env.GITHUB_SECRET)) {
    throw new Error("Invalid environment:\n  GITHUB_ID / GITHUB_SECRET: set both to enable GitHub sign-in, or neither.");
  }
  const oidc = [env.OIDC_ISSUER, env.OIDC_CLIENT_ID, env.OIDC_CLIENT_SECRET].filter(Boolean).length;
  if (oidc !== 0 && oidc !== 3) {
    throw new Error(
      "Invalid environment:\n  OIDC_ISSUER / OIDC_CLIENT_ID / OIDC_CLIENT_SECRET: set all three to enable OpenID Connect, or none.",
    );
  }
  if (env.NODE_ENV === "production" && env.AUTH_DEV_LOGIN && !env.QUORUM_UNSAFE_DEV_LOGIN_IN_PRODUCTION) {
    throw new Error(
      "Invalid environment:\n  AUTH_DEV_LOGIN: development sign-in lets anyone sign in as any user, admins included, and is refused " +
        "in production. Unset AUTH_DEV_LOGIN, or for a private demo or a test run only set " +
        "QUORUM_UNSAFE_DEV_LOGIN_IN_PRODUCTION=true.",
    );
  }
  if (!env.QUORUM_HUB_CHECKS && !env.QUORUM_ALLOW_TEST_DOUBLES) {
    throw new Error(
      "Invalid environment:\n  QUORUM_HUB_CHECKS: registrations are checked on the Hub on every real server; it can be turned off only " +
        "together with QUORUM_ALLOW_TEST_DOUBLES=true (tests and demos).",
    );
  }
  if (env.QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS && !env.QUORUM_ALLOW_TEST_DOUBLES) {
    throw new Error(
      "Invalid environment:\n  QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS: community datasets from private or loopback hosts are refused on every " +
        "real server (SSRF); allow them only together with QUORUM_ALLOW_TEST_DOUBLES=true (tests and demos).",
    );
  }
  return env;
}

export const env = parseEnv(process.env);
