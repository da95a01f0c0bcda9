/**
 * The token form's client-side validation. It mirrors ZCreateTokenRequestSchema (manage-tokens.ts), which cannot be
 * imported into the browser because that module mints tokens with node:crypto; token-input.test.ts keeps the two in
 * step. The server validates again with its own schema.
 */
import { z } from "zod";
import { ZTokenScopeSchema } from "@/lib/protocol/runner-api";

export const ZTokenFormSchema = z.object({
  name: z.string().trim().min(1, "give the token a name").max(64, "at most 64 characters"),
  scopes: z.array(ZTokenScopeSchema).min(1, "choose at least one scope"),
});
