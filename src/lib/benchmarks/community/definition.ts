/**
 * A community benchmark as data (seed 002's `benchmark:create` scope): a definition of an existing family that a
 * holder of the scope (or an admin) submits without a code change. This module is the validation both the server
 * (the form and the API) and the runner use: every problem is reported with the field it is about.
 *
 * The family implementations that read the downloaded dataset are in families.ts; storing definitions, probation
 * and the form are in src/server/services/benchmarks/community/ (docs/benchmarks.md, "Community benchmarks").
 */
import { z } from "zod";

export const COMMUNITY_FAMILIES = ["generate_until_exact_match", "loglikelihood_multiple_choice", "loglikelihood_rolling"] as const;
export const COMMUNITY_METRICS = {
  generate_until_exact_match: ["exact_match"],
  loglikelihood_multiple_choice: ["acc"],
  loglikelihood_rolling: ["bits_per_byte", "word_perplexity", "byte_perplexity"],
} as const satisfies Record<(typeof COMMUNITY_FAMILIES)[number], readonly string[]>;

/** The largest dataset a community benchmark may point at. */
export const MAX_DATASET_BYTES = 64 * 1024 * 1024;

export const ZCommunityBenchmarkSchema = z
  .object({
    slug: z
      .string()
      .regex(/^[a-z][a-z0-9_]{2,39}$/, "3-40 characters: lower-case letters, digits and _, starting with a letter"),
    name: z.string().trim().min(3, "at least 3 characters").max(80, "at most 80 characters"),
    description: z.string().trim().max(2000, "at most 2000 characters").default(""),
    family: z.enum(COMMUNITY_FAMILIES, { message: `one of ${COMMUNITY_FAMILIES.join(", ")}` }),
    promptTemplate: z
      .string()
      .max(4000, "at most 4000 characters")
      .refine((template) => template.includes("{{input}}"), "must contain {{input}}, where each record's input goes"),
    fewshot: z
      .object({
        count: z.number().int("a whole number").min(0, "0 or more").max(10, "at most 10"),
        separator: z.string().max(20, "at most 20 characters").default("\n\n"),
      })
      .default({ count: 0, separator: "\n\n" }),
    metric: z.string(),
    itemsPerTask: z.number().int("a whole number").min(1, "at least 1").max(50, "at most 50"),
    dataset: z.object({
      url: z
        .string()
        .url("a URL")
        .refine((url) => url.startsWith("https://") || url.startsWith("http://"), "an http(s) URL"),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
      licence: z.string().trim().min(1, "the dataset's licence (an SPDX identifier)").max(64, "at most 64 characters"),
    }),
  })
  .strict()
  .superRefine((value, context) => {
    const allowed: readonly string[] = COMMUNITY_METRICS[value.family];
    if (!allowed.includes(value.metric)) {
      context.addIssue({ code: "custom", path: ["metric"], message: `for ${value.family}: one of ${allowed.join(", ")}` });
    }
    if (value.family === "loglikelihood_rolling" && value.fewshot.count > 0) {
      context.addIssue({ code: "custom", path: ["fewshot", "count"], message: "loglikelihood_rolling takes no few-shot examples (0)" });
    }
    const parts = value.promptTemplate.split("{{input}}");
    if (parts.length > 2) {
      context.addIssue({ code: "custom", path: ["promptTemplate"], message: "{{input}} may appear only once" });
    } else if (value.family === "loglikelihood_rolling" && parts.length === 2 && (parts[0]!.length === 0 || parts[1]!.length > 0)) {
      context.addIssue({
        code: "custom",
        path: ["promptTemplate"],
        message: "for loglikelihood_rolling: <context>{{input}}, with a non-empty context before {{input}} and nothing after it",
      });
    }
  });
export type TCommunityBenchmark = z.infer<typeof ZCommunityBenchmarkSchema>;

export interface FieldError {
  /** Dotted path of the field (`dataset.sha256`, `fewshot.count`). */
  field: string;
  message: string;
}

/** Validates a submitted definition: the parsed value, or every field-level error (never throws). */
export function parseCommunityBenchmark(input: unknown): { ok: true; value: TCommunityBenchmark } | { ok: false; errors: FieldError[] } {
  const parsed = ZCommunityBenchmarkSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(definition)",
      message: issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message,
    })),
  };
}
