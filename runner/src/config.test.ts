import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateRunnerKeyPair } from "@/lib/protocol/signing";
import { ConfigError, configPath, loadConfig, resolveDirs, saveConfig, type TRunnerConfig } from "./config";
import { redactFields, redactSecrets } from "./redact";
import { createMemoryLogger } from "./log";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "quorum-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(): TRunnerConfig {
  const keys = generateRunnerKeyPair();
  return {
    version: 1,
    server: "http://localhost:3000",
    token: "qrm_abcd1234_secretsecretsecret",
    runner: { id: "r1", name: "box-1", ownerName: "alice" },
    publicKey: keys.publicKey,
    privateKeyPem: keys.privateKeyPem,
    createdAt: new Date().toISOString(),
  };
}

describe("runner config", () => {
  it("is written 0600 in a 0700 directory and read back", async () => {
    const target = path.join(dir, "nested");
    await saveConfig(target, config());
    expect((await stat(configPath(target))).mode & 0o777).toBe(0o600);
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    expect((await loadConfig(target)).runner.name).toBe("box-1");
  });

  it("tightens a config others can read", async () => {
    await saveConfig(dir, config());
    await chmod(configPath(dir), 0o644);
    await loadConfig(dir);
    expect((await stat(configPath(dir))).mode & 0o777).toBe(0o600);
  });

  it("says what to do when missing or broken", async () => {
    await expect(loadConfig(path.join(dir, "none"))).rejects.toMatchObject({ hint: expect.stringMatching(/pnpm runner login/) });
    await writeFile(configPath(dir), "{not json");
    await expect(loadConfig(dir)).rejects.toBeInstanceOf(ConfigError);
    await writeFile(configPath(dir), JSON.stringify({ ...config(), server: "nope" }));
    await expect(loadConfig(dir)).rejects.toThrow(/server/);
  });

  it("takes its directories from the environment", () => {
    expect(resolveDirs({ QUORUM_RUNNER_CONFIG_DIR: "/c" })).toEqual({ config: "/c", cache: expect.any(String), work: "/c/work" });
    expect(resolveDirs({ QUORUM_RUNNER_CONFIG_DIR: "/c", QUORUM_RUNNER_CACHE_DIR: "/w", QUORUM_RUNNER_WORK_DIR: "/x" })).toEqual({ config: "/c", cache: "/w", work: "/x" });
  });
});

describe("secrets never reach the logs", () => {
  it("scrubs tokens, keys and bearer headers from messages and fields", () => {
    const c = config();
    expect(redactSecrets(`token ${c.token} here`)).toBe("token qrm_[redacted] here");
    expect(redactSecrets(c.privateKeyPem).trim()).toBe("[private key redacted]");
    expect(redactSecrets("Authorization: Bearer abc.def")).toBe("Authorization: Bearer [redacted]");
    expect(redactSecrets("HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz")).toBe("HF_TOKEN=hf_[redacted]");
    expect(redactFields({ claimToken: "x", nested: { token: "y", ok: 1 } })).toEqual({ claimToken: "[redacted]", nested: { token: "[redacted]", ok: 1 } });
    const { logger, lines } = createMemoryLogger(true);
    logger.info(`using ${c.token}`, { privateKeyPem: c.privateKeyPem });
    expect(lines.join("\n")).not.toContain("secretsecret");
    expect(lines.join("\n")).not.toContain("PRIVATE KEY-----\n");
  });
});
