/** The model registration form's input, shared by the tRPC router, the web form (inline validation) and the runner's `eval`. */
import { z } from "zod";

/** Hugging Face repo ids: `org/name`, letters, digits, '-', '_', '.'; no leading/trailing separators, <= 96 chars. */
export const HF_REPO_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?\/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

const repo = z
  .string()
  .trim()
  .regex(HF_REPO_PATTERN, "expected a Hugging Face repo id like `org/model-name`");

export const ZRegisterModelRequestSchema = z
  .object({
    repo,
    revision: z
      .string()
      .trim()
      .regex(COMMIT_PATTERN, "expected the full 40-character commit hash (lowercase hex), not a branch or tag"),
    weightType: z.enum(["ORIGINAL", "ADAPTER", "DELTA"]),
    baseModel: z
      .string()
      .trim()
      .optional()
      .transform((value) => (value ? value : undefined)),
    precision: z.enum(["FLOAT16", "BFLOAT16", "FLOAT32", "INT8", "INT4"]),
  })
  .superRefine((value, ctx) => {
    if (value.weightType === "ORIGINAL") {
      if (value.baseModel) {
        ctx.addIssue({ code: "custom", path: ["baseModel"], message: "only adapters and deltas have a base model" });
      }
      return;
    }
    const match = value.baseModel?.match(/^(.+)@([0-9a-f]{40})$/);
    if (!match || !HF_REPO_PATTERN.test(match[1]!)) {
      ctx.addIssue({
        code: "custom",
        path: ["baseModel"],
        message: "adapters and deltas need their base model as `org/repo@<40-hex commit>`",
      });
    } else if (match[1] === value.repo && match[2] === value.revision) {
      ctx.addIssue({ code: "custom", path: ["baseModel"], message: "the base model cannot be the model itself" });
    }
  });
export type TRegisterModelRequest = z.infer<typeof ZRegisterModelRequestSchema>;
