// The fixture engine's rules, shared by the program inside the image and by the runner's TypeScript (tests pick
// runner names with `noisyAnswersCorrectly`). Plain JavaScript with no dependencies: the image holds only node.
import { createHash } from "node:crypto";

/** Bumped whenever the fixture program changes what it answers. */
export const FIXTURE_ENGINE_VERSION = "1";
export const FIXTURE_PREFIX = "fixture/";
export const DEFAULT_SLOW_SECONDS = 5;

/** Behaviours a fixture model can have, by the name after `fixture/`. */
export const FIXTURE_BEHAVIOURS = [
  "perfect",
  "wrong",
  "noisy",
  "slow",
  "crash",
  "hang",
  "forkbomb",
  "memhog",
  "net",
  "escape",
];

/**
 * `fixture/noisy-<seed>`: a runner answers every item correctly or every item wrongly, by the parity of the first
 * byte of sha256("<seed>:<runner name>") (even: correct). Different runners therefore disagree deterministically.
 */
export function noisyAnswersCorrectly(seed, runnerName) {
  const digest = createHash("sha256").update(`${seed}:${runnerName}`, "utf8").digest();
  return digest[0] % 2 === 0;
}

/**
 * Parses `fixture/<behaviour>[-<argument>]` (the repo name, no revision). `slow-<n>` takes n seconds;
 * plain `slow` takes QUORUM_FIXTURE_SECONDS (default 5). Unknown names throw.
 */
export function parseFixtureModel(repo, env = {}) {
  if (typeof repo !== "string" || !repo.startsWith(FIXTURE_PREFIX)) {
    throw new Error(`not a fixture model: ${String(repo)} (fixture models are named fixture/<behaviour>)`);
  }
  const name = repo.slice(FIXTURE_PREFIX.length);
  const dash = name.indexOf("-");
  const behaviour = dash < 0 ? name : name.slice(0, dash);
  const argument = dash < 0 ? null : name.slice(dash + 1);
  if (!FIXTURE_BEHAVIOURS.includes(behaviour)) {
    throw new Error(`unknown fixture model ${repo}: expected fixture/<${FIXTURE_BEHAVIOURS.join("|")}>[-<argument>]`);
  }
  if (behaviour === "noisy") {
    if (!argument) throw new Error(`${repo}: noisy fixtures need a seed, e.g. fixture/noisy-7`);
    return { behaviour, seed: argument, seconds: 0 };
  }
  if (behaviour === "slow") {
    const fromEnv = Number(env.QUORUM_FIXTURE_SECONDS);
    const seconds = argument !== null ? Number(argument) : Number.isFinite(fromEnv) && env.QUORUM_FIXTURE_SECONDS ? fromEnv : DEFAULT_SLOW_SECONDS;
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`${repo}: expected fixture/slow-<seconds>`);
    return { behaviour, seed: null, seconds };
  }
  return { behaviour, seed: null, seconds: 0 };
}

/** Whether a fixture answers correctly (for behaviours that answer at all). */
export function answersCorrectly(parsed, runnerName) {
  if (parsed.behaviour === "wrong") return false;
  if (parsed.behaviour === "noisy") return noisyAnswersCorrectly(parsed.seed, runnerName);
  return true;
}
