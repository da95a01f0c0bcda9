import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ZTokenFormSchema } from "@/app/account/_components/token-input";
import { ZCreateTokenRequestSchema } from "@/server/services/tokens/manage-tokens";

const samples: unknown[] = [
  { name: "laptop", scopes: ["task:pull", "task:submit"] },
  { name: "  ", scopes: ["task:pull"] },
  { name: "", scopes: [] },
  { name: "x".repeat(65), scopes: ["model:register"] },
  { name: "ok", scopes: ["no:such-scope"] },
  { name: "admin", scopes: ["benchmark:create"] },
];

describe("the token form's client-side schema", () => {
  it.each(samples.map((sample) => [sample]))("agrees with the server's schema on %j", (sample) => {
    const client = ZTokenFormSchema.safeParse(sample);
    const server = ZCreateTokenRequestSchema.safeParse(sample);
    expect(client.success).toBe(server.success);
    if (!client.success && !server.success) {
      expect(z.flattenError(client.error).fieldErrors).toEqual(z.flattenError(server.error).fieldErrors);
    } else {
      expect(client.data).toEqual(server.data);
    }
  });
});
