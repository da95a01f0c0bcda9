import { describe, expect, it } from "vitest";
import { parseEnv } from "@/env";

describe("parseEnv", () => {
  it("refuses development sign-in in production unless the loudly named override is set", () => {
    expect(() => parseEnv({ NODE_ENV: "production", AUTH_DEV_LOGIN: "true" })).toThrow(/AUTH_DEV_LOGIN.*refused in production/s);
    expect(parseEnv({ NODE_ENV: "production", AUTH_DEV_LOGIN: "true", QUORUM_UNSAFE_DEV_LOGIN_IN_PRODUCTION: "true" }).AUTH_DEV_LOGIN).toBe(true);
    expect(parseEnv({ NODE_ENV: "development", AUTH_DEV_LOGIN: "true" }).AUTH_DEV_LOGIN).toBe(true);
    expect(parseEnv({ NODE_ENV: "production" }).AUTH_DEV_LOGIN).toBe(false);
  });

  it("allows community datasets from private hosts only together with test doubles; reads the reference models", () => {
    expect(() => parseEnv({ QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS: "true" })).toThrow(/QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS.*SSRF/s);
    expect(parseEnv({ QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS: "true", QUORUM_ALLOW_TEST_DOUBLES: "true" }).QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS).toBe(true);
    expect(parseEnv({ COMMUNITY_REFERENCE_MODELS: " org/a , org/b ,," }).COMMUNITY_REFERENCE_MODELS).toEqual(["org/a", "org/b"]);
    expect(parseEnv({}).COMMUNITY_REFERENCE_MODELS).toEqual([]);
  });
});
