import { chmodSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// A fresh embedded database for each run (unless E2E_DATABASE_URL points at a server).
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), "quorum-e2e-"));
// As root, the embedded PostgreSQL runs as the `postgres` user and must reach its data folder.
chmodSync(dataDir, 0o755);
process.env.E2E_DATA_DIR = dataDir;
// The seeds register fixture models (test doubles) in-process, in the test workers: they run under the same rules
// as the server below.
process.env.QUORUM_ALLOW_TEST_DOUBLES = "true";
process.env.QUORUM_HUB_CHECKS = "false";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export default defineConfig({
  testDir: "e2e",
  outputDir: "e2e/.artifacts/results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["html", { outputFolder: "e2e/.artifacts/report", open: "never" }]],
  timeout: 60_000,
  use: {
    baseURL,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
  projects: [
    { name: "setup", testMatch: /.*\.setup\.ts/ },
    { name: "chromium", testMatch: /.*\.spec\.ts/, dependencies: ["setup"] },
  ],
  webServer: {
    command: "pnpm start",
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    env: {
      PORT: String(port),
      QUORUM_DATA_DIR: dataDir,
      QUORUM_EMBEDDED_PG_PORT: process.env.E2E_PG_PORT ?? "54400",
      NEXTAUTH_URL: baseURL,
      AUTH_DEV_LOGIN: "true",
      // A test run: development sign-in on a production build, and the fixture engine/models (test doubles).
      QUORUM_UNSAFE_DEV_LOGIN_IN_PRODUCTION: "true",
      QUORUM_ALLOW_TEST_DOUBLES: "true",
      // The e2e suite registers made-up repos; the Hub admission is tested against the Hub test double in vitest.
      QUORUM_HUB_CHECKS: "false",
      // Every e2e client comes from 127.0.0.1: the per-address limits are exercised by the fuzz tests and bench:abuse.
      RATE_SIGNIN_PER_MIN: "100000",
      RATE_IP_PER_MIN: "100000",
      QUORUM_ADMINS: "admin",
      // The seed expects each claim to land on the model it just registered: no spot checks in this run.
      SPOT_CHECK_SHARE: "0",
      // Community benchmarks (community-benchmarks.spec.ts): canary tasks on two reference models that the spec adds
      // (not fixture/* repos, so the seeds' fixture-engine claims never meet them), and datasets served by a local
      // file server test double.
      COMMUNITY_REFERENCE_MODELS: "org/e2e-reference-a,org/e2e-reference-b",
      QUORUM_DATASETS_ALLOW_PRIVATE_HOSTS: "true",
      // One epoch for the whole run: no new tasks appear mid-suite.
      EPOCH_MINUTES: "1000000",
      ...(process.env.E2E_DATABASE_URL ? { DATABASE_URL: process.env.E2E_DATABASE_URL } : { DATABASE_URL: "" }),
    },
  },
});
