/**
 * Server-side sorting and filtering of the board: best first by default (ascending for lower-is-better metrics and
 * energy), models without a value last in either direction, searches over repo, submitter and base model, and a
 * clear error for an unknown sort key.
 */
import { describe, expect, it } from "vitest";
import type { Leaderboard, LeaderboardEntry } from "@/server/services/leaderboard/get-leaderboard";
import { BoardQueryError, createBoardSorter } from "@/server/services/leaderboard/query-leaderboard";

const summary = (mean: number) => ({ mean, n: 10, stderr: 0.1, lo: mean - 0.1, hi: mean + 0.1 });

function entry(repo: string, options: { acc?: number; ppl?: number; wh?: number; weightType?: LeaderboardEntry["weightType"]; base?: string }): LeaderboardEntry {
  const scores: LeaderboardEntry["scores"] = {};
  if (options.acc !== undefined) scores["quiz@1"] = { acc: summary(options.acc) };
  if (options.ppl !== undefined) scores["text@1"] = { perplexity: summary(options.ppl) };
  return {
    modelId: repo,
    repo,
    revision: "a".repeat(40),
    weightType: options.weightType ?? "ORIGINAL",
    precision: "BFLOAT16",
    baseModel: options.base ?? null,
    submitter: `owner-of-${repo}`,
    createdAt: new Date(0),
    scores,
    acceptedTasks: {},
    overall: options.acc === undefined ? null : summary(options.acc),
    rank: null,
    updatedAt: null,
    pendingTasks: 0,
    disputedTasks: 0,
    longContext: null,
    energy: options.wh === undefined ? null : { whPerItem: options.wh, results: 3, declared: false },
  };
}

const board: Leaderboard = {
  benchmarks: [
    { id: "quiz@1", name: "Quiz", primaryMetric: "acc", metrics: ["acc"], higherIsBetter: { acc: true } },
    { id: "text@1", name: "Text", primaryMetric: "perplexity", metrics: ["perplexity"], higherIsBetter: { perplexity: false } },
  ],
  entries: [
    entry("org/a", { acc: 0.9, ppl: 12, wh: 2 }),
    entry("org/b", { acc: 0.5, ppl: 8, weightType: "ADAPTER", base: "org/a@" + "a".repeat(40) }),
    entry("org/c", { acc: 0.7, wh: 0.5 }),
  ],
  generatedAt: new Date(0),
};
const repos = (rows: LeaderboardEntry[]) => rows.map((row) => row.repo);

describe("createBoardSorter", () => {
  const sorter = createBoardSorter(board);
  it("sorts higher-is-better metrics descending and lower-is-better ascending by default, missing values last", () => {
    expect(repos(sorter.select({ sort: "quiz@1:acc", q: "" }))).toEqual(["org/a", "org/c", "org/b"]);
    expect(repos(sorter.select({ sort: "text@1:perplexity", q: "" }))).toEqual(["org/b", "org/a", "org/c"]);
    expect(repos(sorter.select({ sort: "text@1:perplexity", order: "desc", q: "" }))).toEqual(["org/a", "org/b", "org/c"]);
  });
  it("sorts by energy per item (least first) with unmeasured models last, and by score per kWh", () => {
    expect(repos(sorter.select({ sort: "energy", q: "" }))).toEqual(["org/c", "org/a", "org/b"]);
    expect(repos(sorter.select({ sort: "energy", order: "desc", q: "" }))).toEqual(["org/a", "org/c", "org/b"]);
    expect(repos(sorter.select({ sort: "score_per_kwh", q: "" }))).toEqual(["org/c", "org/a", "org/b"]);
  });
  it("filters by weight type and searches repo, submitter and base model", () => {
    expect(repos(sorter.select({ sort: "rank", q: "", weightType: "adapter" }))).toEqual(["org/b"]);
    expect(repos(sorter.select({ sort: "model", q: "owner-of-org/c" }))).toEqual(["org/c"]);
    expect(repos(sorter.select({ sort: "model", q: "org/a" }))).toEqual(["org/a", "org/b"]);
  });
  it("names the accepted keys for an unknown sort", () => {
    expect(() => sorter.select({ sort: "quiz@1:nope", q: "" })).toThrow(BoardQueryError);
    expect(() => sorter.select({ sort: "quiz@1:nope", q: "" })).toThrow(/sort: expected one of rank, model, .*quiz@1:acc/);
  });
});
