import { describe, expect, it } from "vitest";
import { parseEnv } from "@/env";

describe("parseEnv", () => {
  it("refuses development sign-in in production unless the loudly named override is set", () => {
    expect(() => parseEnv({ NODE_ENV: "production", AUTH_DEV_LOGIN: "true" })).toThrow(/AUTH_DEV_LOGIN.*refused in production/s);
    expect(parseEnv({ NODE_ENV: "production", AUTH_DEV_LOGIN: "true", QUORUM_UNSAFE_DEV_LOGIN_IN_PRODUCTION: "true" }).AUTH_DEV_LOGIN).toBe(true);
    expect(parseEnv({ NODE_ENV: "development", AUTH_DEV_LOGIN: "true" }).AUTH_DEV_LOGIN).toBe(true);
    expect(parseEnv({ NODE_ENV: "production" }).AUTH_DEV_LOGIN).toBe(false);
  });
});
