/**
 * `pnpm test:e2e`: Playwright against a production build in Debian's Chromium.
 * Without Chromium the suite is skipped with a loud message on a laptop, and fails when CI=true.
 * E2E_SKIP_BUILD=1 reuses an existing `.next` build.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  const message = `Chromium not found at ${chromium}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.`;
  if (process.env.CI === "true") {
    console.error(`error: ${message}`);
    process.exit(1);
  }
  console.warn(`\n${"!".repeat(80)}\nSKIPPING the end-to-end tests. ${message}\n${"!".repeat(80)}\n`);
  process.exit(0);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (process.env.E2E_SKIP_BUILD !== "1") run("pnpm", ["build"]);
run("pnpm", ["exec", "playwright", "test", ...process.argv.slice(2)]);
