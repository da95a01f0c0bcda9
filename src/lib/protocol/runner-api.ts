/**
 * The runner <-> server protocol: one module of zod schemas imported by the tRPC routers (src/server) and by the
 * runner (runner/). The runner never touches the database; it speaks HTTP to these procedures like any volunteer.
 */
import { z } from "zod";
import { ZCommunityBenchmarkSchema } from "@/lib/benchmarks/community/definition";

export const TOKEN_SCOPES = ["task:pull", "task:submit", "model:register", "benchmark:create"] as const;
export const ZTokenScopeSchema = z.enum(TOKEN_SCOPES);
export type TTokenScope = z.infer<typeof ZTokenScopeSchema>;

/** ed25519 public key, raw 32 bytes, base64url. */
export const ZPublicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, "expected a raw ed25519 public key (32 bytes) in base64url");

export const ZRunnerNameSchema = z
  .string()
  .trim()
  .min(1, "a runner name is required")
  .max(64, "at most 64 characters")
  .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-' only");

export const ZRegisterRunnerRequestSchema = z.object({
  name: ZRunnerNameSchema,
  publicKey: ZPublicKeySchema,
  gpu: z.string().max(200).nullish(),
});
export const ZRegisterRunnerResponseSchema = z.object({
  runnerId: z.string(),
  name: z.string(),
  ownerId: z.string(),
  ownerName: z.string(),
});

export const ZWhoAmIResponseSchema = z.object({
  userId: z.string(),
  userName: z.string(),
  scopes: z.array(ZTokenScopeSchema),
  tokenPrefix: z.string(),
});

/** A runner's standing as its owner sees it (`pnpm runner status`). */
export const ZRunnerStandingSchema = z.object({
  validCount: z.number().int(),
  invalidCount: z.number().int(),
  spotChecksFailed: z.number().int(),
  agreedOwners: z.number().int(),
  isEstablished: z.boolean(),
  pauseReason: z.string().nullable(),
  suspension: z.object({ until: z.coerce.date(), reason: z.string() }).nullable(),
});
export type TRunnerStanding = z.infer<typeof ZRunnerStandingSchema>;

export const ZModelRefSchema = z.object({
  id: z.string(),
  repo: z.string(),
  revision: z.string().regex(/^[0-9a-f]{40}$/),
  weightType: z.enum(["ORIGINAL", "ADAPTER", "DELTA"]),
  baseModel: z.string().nullable(),
  precision: z.enum(["FLOAT16", "BFLOAT16", "FLOAT32", "INT8", "INT4"]),
});
export type TModelRef = z.infer<typeof ZModelRefSchema>;

/**
 * Engines a runner can evaluate with. `fixture` is a test double for a model (CI, demos): it only takes models
 * whose repo starts with `fixture/`, and `vllm` and `transformers` (lm-evaluation-harness's `hf` backend, run in
 * the same image) never take those.
 */
export const ENGINE_NAMES = ["vllm", "transformers", "fixture"] as const;
export const ZEngineNameSchema = z.enum(ENGINE_NAMES);
export type TEngineName = z.infer<typeof ZEngineNameSchema>;
export const FIXTURE_REPO_PREFIX = "fixture/";

export const ZClaimTaskRequestSchema = z.object({
  runnerId: z.string().min(1),
  engine: ZEngineNameSchema,
  gpu: z.string().max(200).nullish(),
  /** How many tasks of one model this claim may take (a bundle: one engine start for all). The server caps it. */
  bundle: z.number().int().min(1).max(64).optional(),
  /** The model this runner has warm; the server prefers it when it gave this runner a task of it recently. */
  warmModelId: z.string().min(1).max(100).nullish(),
  /**
   * The most context, in tokens, this runner's GPUs hold (its engine's max_model_len): long-context tiers up to it
   * may be handed to it. Absent: no long-context tiers.
   */
  maxContextTokens: z.number().int().min(1).max(16_777_216).nullish(),
});

export const ZClaimSchema = z.object({
  assignmentId: z.string(),
  /** Secret: proves this runner holds the claim. Sent back with heartbeats and the signed submission. */
  claimToken: z.string(),
  leaseExpiresAt: z.coerce.date(),
  leaseSeconds: z.number().int().positive(),
  task: z.object({
    id: z.string(),
    epoch: z.number().int(),
    model: ZModelRefSchema,
    benchmark: z.object({
      key: z.string(),
      name: z.string(),
      /**
       * For a community benchmark (a definition stored as data): its version and definition, from which the runner
       * builds the benchmark and downloads + verifies the dataset itself. Absent for benchmarks defined in code.
       */
      community: z.object({ version: z.string(), itemCount: z.number().int().positive(), definition: ZCommunityBenchmarkSchema }).optional(),
    }),
    itemIds: z.array(z.string()).min(1),
  }),
});
export type TClaim = z.infer<typeof ZClaimSchema>;

export const ZClaimTaskResponseSchema = z.object({
  claim: ZClaimSchema.nullable(),
  /** Further claims of the same model taken with `claim` (when the request asked for a bundle). */
  bundle: z.array(ZClaimSchema).optional(),
  /** When no task is available: how long to wait before asking again. */
  retryAfterSeconds: z.number().int().nonnegative(),
  /** Why this runner gets no task now (an admin paused it, it is suspended, or it is at its cap of active claims). */
  notice: z.string().nullish(),
});

export const ZClaimTokenRequestSchema = z.object({ claimToken: z.string().min(1) });
export const ZHeartbeatResponseSchema = z.object({ leaseExpiresAt: z.coerce.date() });
/**
 * Why an evaluation failed. Runner-side causes (this machine's resources or network) free the slot and never count
 * against the model; model-side causes count towards failing the task, when established runners of several owners
 * report them (docs/trust.md).
 */
export const RUNNER_SIDE_CAUSES = ["out_of_memory", "disk", "timeout", "download", "engine", "interrupted", "other"] as const;
export const MODEL_SIDE_CAUSES = ["no_weights", "unsupported_architecture", "model_crash"] as const;
export const FAILURE_CAUSES = [...RUNNER_SIDE_CAUSES, ...MODEL_SIDE_CAUSES] as const;
export const ZFailureCauseSchema = z.enum(FAILURE_CAUSES);
export type TFailureCause = z.infer<typeof ZFailureCauseSchema>;
export function isModelSideCause(cause: TFailureCause): boolean {
  return (MODEL_SIDE_CAUSES as readonly string[]).includes(cause);
}

export const ZReleaseClaimRequestSchema = z.object({
  claimToken: z.string().min(1),
  reason: z.string().trim().min(1).max(2000),
  /** `released`: the runner gave the task back (shutdown); `failed`: evaluation failed on this runner. */
  kind: z.enum(["released", "failed"]),
  /** For `failed`: what failed. Omitted, a failure counts as runner-side (`other`). */
  cause: ZFailureCauseSchema.optional(),
});

/** The most tokens one item may report (2^24: the largest context a runner may declare). */
export const MAX_ITEM_TOKENS = 16_777_216;
/**
 * An item's token count in the model's own tokenizer, as the runner's engine reported it: for generations the
 * prompt's tokens, for log-likelihoods the scored (continuation) tokens summed over the item's requests. Optional;
 * information reported by the runner, never used for scoring (docs/benchmarks.md, "Token counts").
 */
export const ZItemTokensSchema = z.number().int().min(0).max(MAX_ITEM_TOKENS);

/** One item's raw engine output, as the scoring CLI reads it. */
export const ZItemOutputSchema = z.union([
  z.object({ item: z.string(), output: z.string(), tokens: ZItemTokensSchema.optional() }).strict(),
  z.object({ item: z.string(), loglikelihoods: z.record(z.string(), z.array(z.number())), tokens: ZItemTokensSchema.optional() }).strict(),
]);
export type TItemOutput = z.infer<typeof ZItemOutputSchema>;

/** MAX_TENSORS x SAMPLES_PER_TENSOR of src/lib/competitions/weight-fingerprint.ts (kept free of node:crypto here). */
export const MAX_FINGERPRINT_VALUES = 2048 * 8;

/** The signed part of a submission. Its canonical (RFC 8785) serialisation is what the runner signs. */
export const ZSubmissionPayloadSchema = z.object({
  assignmentId: z.string(),
  taskId: z.string(),
  runnerId: z.string(),
  claimToken: z.string(),
  /** ISO-8601 time of signing; the server refuses signatures outside its clock-skew window. */
  signedAt: z.string().datetime(),
  benchmark: z.string(),
  outputs: z.array(ZItemOutputSchema).min(1).max(1000),
  /** sha256 of the canonical per-item records, as computed by the shared benchmark module. */
  outputsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * The runner's own scores: kept for audit only; the server recomputes every score. Scores are finite and at least 0:
   * most lie in [0, 1]; perplexities and bits per byte are unbounded above, so the cap only stops absurd values.
   */
  claimedScore: z
    .record(z.string().min(1).max(100), z.number().finite().min(0, "a score is at least 0").max(1e9, "a score is at most 1e9"))
    .refine((scores) => Object.keys(scores).length <= 32, "at most 32 metrics"),
  engine: z.object({
    name: z.string().min(1).max(100),
    version: z.string().min(1).max(100),
    imageDigest: z.string().min(1).max(200),
  }),
  gpu: z.string().max(200).nullable(),
  runtimeSeconds: z.number().nonnegative().max(30 * 86_400),
  energyKwh: z.number().nonnegative().max(1000, "expected at most 1000 kWh for one task").nullable(),
  /** How energyKwh was obtained: power readings (`measured`) or the GPU watts the owner declared (`declared`). */
  energySource: z.enum(["measured", "declared"]).optional(),
  /**
   * What the runner read from the verified safetensors files (src/lib/competitions/weight-fingerprint.ts): a fixed
   * sample of values, the parameter count and config.json. Absent when the engine loads no weights (fixture).
   * Results of one task must report the same, or they do not agree.
   */
  weights: z
    .object({
      fingerprint: z.array(z.number().finite()).max(MAX_FINGERPRINT_VALUES),
      parameterCount: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
      config: z.record(z.string(), z.unknown()).refine((config) => JSON.stringify(config).length <= 65_536, "config: at most 64 KiB of JSON"),
    })
    .optional(),
});
export type TSubmissionPayload = z.infer<typeof ZSubmissionPayloadSchema>;

export const ZSubmitResultRequestSchema = z.object({
  payload: ZSubmissionPayloadSchema,
  /**
   * ed25519 signature of the canonical payload: exactly 64 bytes as unpadded base64url (86 characters). Node's
   * decoder ignores trailing junk, so anything looser would make a signature malleable.
   */
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, "expected an ed25519 signature: 86 base64url characters"),
});
export type TSubmitResultRequest = z.infer<typeof ZSubmitResultRequestSchema>;

export const ZSubmitResultResponseSchema = z.object({
  resultId: z.string(),
  taskStatus: z.enum(["QUEUED", "RUNNING", "VALIDATING", "ACCEPTED", "DISPUTED", "FAILED"]),
  score: z.record(z.string(), z.number()),
  verdict: z.enum(["PENDING", "VALID", "INVALID"]),
});

/** Error codes the server attaches (`data.quorumCode`) so the runner can react without parsing messages. */
export const QUORUM_ERROR_CODES = [
  "ALREADY_SUBMITTED",
  "LEASE_EXPIRED",
  "CLAIM_NOT_FOUND",
  "BAD_SIGNATURE",
  "STALE_SIGNATURE",
  "WRONG_ITEMS",
  "INVALID_OUTPUTS",
  "NOT_ALLOWED",
  "NOT_FOUND",
  "CONFLICT",
  "QUOTA",
  "VALIDATION",
  "UNAUTHENTICATED",
  /** A service the server depends on (the Hub) did not answer: retry later. */
  "UNAVAILABLE",
  /** Too many requests: retry after the time the message names. */
  "RATE_LIMITED",
] as const;
export type TQuorumErrorCode = (typeof QUORUM_ERROR_CODES)[number];
