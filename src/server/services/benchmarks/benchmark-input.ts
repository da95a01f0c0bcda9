/** The benchmark settings form's input, shared by the tRPC router and the web form (inline validation). */
import { z } from "zod";

/** No benchmark, whoever sets it, runs with fewer independent results per task. */
export const MIN_QUORUM = 3;

const wholeNumber = (label: string, min: number, max: number) =>
  z
    .number({ error: `${label}: enter a whole number` })
    .int(`${label}: enter a whole number`)
    .min(min, `${label}: at least ${min}`)
    .max(max, `${label}: at most ${max}`);

export const ZSaveBenchmarkRequestSchema = z
  .object({
    /** Registry key `id@version` (`gsm8k@3`). */
    key: z.string().trim().min(1, "choose a benchmark from the registry").max(100),
    itemsPerTask: wholeNumber("items per task", 1, 100),
    /** At least 3: fewer independent results cannot outvote one dishonest runner (docs/trust.md). */
    quorum: wholeNumber("quorum", MIN_QUORUM, 15),
    minAgreement: z
      .number({ error: "item agreement: enter a share between 0.5 and 1" })
      .min(0.5, "item agreement: at least 0.5 (two results must match on most items to agree)")
      .max(1, "item agreement: at most 1 (every item matches)"),
    maxResults: wholeNumber("maximum results", 1, 25),
    isActive: z.boolean(),
  })
  .superRefine((value, ctx) => {
    if (value.maxResults < value.quorum) {
      ctx.addIssue({
        code: "custom",
        path: ["maxResults"],
        message: "maximum results: must be at least the quorum (disputes collect more results, never fewer)",
      });
    }
  });
export type TSaveBenchmarkRequest = z.infer<typeof ZSaveBenchmarkRequestSchema>;
