/**
 * The `fixture` engine and `fixture/*` models are test doubles for a GPU and a real checkpoint: they let CI, the
 * demo and the benches run the whole loop on a laptop. A public server must never accept them (a fixture model
 * "scores" whatever its rules say, so it could rank first on the board). They are accepted only where
 * QUORUM_ALLOW_TEST_DOUBLES=true: the vitest setup, the Playwright run, `pnpm demo` and the `pnpm bench:*` scripts.
 */
import { env } from "@/env";
import { FIXTURE_REPO_PREFIX } from "@/lib/protocol/runner-api";
import { AppError } from "@/server/errors";

export function areTestDoublesAllowed(): boolean {
  return env.QUORUM_ALLOW_TEST_DOUBLES;
}

export const isFixtureRepo = (repo: string) => repo.toLowerCase().startsWith(FIXTURE_REPO_PREFIX);

export function assertNotFixtureRepo(repo: string, field: string, allowed: boolean): void {
  if (!allowed && isFixtureRepo(repo)) {
    throw new AppError(
      "VALIDATION",
      `${field}: \`${FIXTURE_REPO_PREFIX}*\` repos are test doubles and this server does not accept them ` +
        "(QUORUM_ALLOW_TEST_DOUBLES is off). Register a real Hugging Face repo.",
      { field },
    );
  }
}

export function assertRealEngine(engine: string, allowed: boolean): void {
  if (!allowed && engine === "fixture") {
    throw new AppError(
      "VALIDATION",
      "engine: the `fixture` engine is a test double and this server does not accept it (QUORUM_ALLOW_TEST_DOUBLES is off). " +
        "Run the runner with `--engine vllm`.",
      { field: "engine" },
    );
  }
}
