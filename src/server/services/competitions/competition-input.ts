/** The competition form's input, shared by the tRPC router, the API and the web form (inline validation). */
import { z } from "zod";
import { DEFAULT_ALPHA, DEFAULT_RESAMPLES } from "@/lib/competitions/paired-bootstrap";

/** The size-class keys the Albedo seed locks (config.json). */
export const SEED_LOCK_KEYS = [
  "vocab_size",
  "model_type",
  "max_position_embeddings",
  "tie_word_embeddings",
  "rope_theta",
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "intermediate_size",
  "head_dim",
] as const;

export const RULE_KINDS = ["board", "king", "roster", "band"] as const;

const wholeNumber = (label: string, min: number, max: number) =>
  z
    .number({ error: `${label}: enter a whole number` })
    .int(`${label}: enter a whole number`)
    .min(min, `${label}: at least ${min}`)
    .max(max, `${label}: at most ${max}`);

export const ZCompetitionSettingsSchema = z.object({
  benchmarks: z
    .array(
      z.object({
        key: z.string().trim().min(1, "benchmarks: choose a benchmark").max(100),
        weight: z.number({ error: "benchmark weight: enter a number" }).positive("benchmark weight: more than 0").max(100, "benchmark weight: at most 100"),
      }),
    )
    .min(1, "benchmarks: choose at least one")
    .max(10, "benchmarks: at most 10"),
  minEvaluations: wholeNumber("minimum evaluations", 1, 1000),
  minSharedItems: wholeNumber("minimum shared items", 1, 100_000),
  winMargin: z.number({ error: "win margin: enter a number" }).min(0, "win margin: 0 or more").max(1000, "win margin: at most 1000"),
  alpha: z.number({ error: "alpha: enter a number" }).gt(0, "alpha: more than 0").max(0.5, "alpha: at most 0.5").default(DEFAULT_ALPHA),
  resamples: wholeNumber("resamples", 100, 100_000).default(DEFAULT_RESAMPLES),
  lockKeys: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "locked keys: config.json key names (letters, digits, _)"))
    .max(40, "locked keys: at most 40")
    .default([]),
  refuseQuantized: z.boolean().default(false),
  rosterSize: wholeNumber("roster size", 1, 20).default(3),
  band: z.number({ error: "band: enter a number" }).min(0, "band: 0 or more").max(1000, "band: at most 1000").default(0.02),
});

export const ZSaveCompetitionRequestSchema = z.object({
  slug: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "slug: 2-63 lower-case letters, digits and dashes, starting with a letter or digit"),
  title: z.string().trim().min(3, "title: at least 3 characters").max(120, "title: at most 120 characters"),
  description: z.string().trim().max(4000, "description: at most 4000 characters").default(""),
  rule: z.enum(RULE_KINDS, { error: `rule: one of ${RULE_KINDS.join(", ")}` }),
  settings: ZCompetitionSettingsSchema,
});

export type TSaveCompetitionRequest = z.infer<typeof ZSaveCompetitionRequestSchema>;
export type TCompetitionSettings = z.infer<typeof ZCompetitionSettingsSchema>;
