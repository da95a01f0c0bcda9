/** The token form's input, shared by the tRPC router and the account page's form (client-side validation). */
import { z } from "zod";
import { ZTokenScopeSchema } from "@/lib/protocol/runner-api";

export const ZCreateTokenRequestSchema = z.object({
  name: z.string().trim().min(1, "give the token a name").max(64, "at most 64 characters"),
  scopes: z.array(ZTokenScopeSchema).min(1, "choose at least one scope"),
});
export type TCreateTokenRequest = z.infer<typeof ZCreateTokenRequestSchema>;
