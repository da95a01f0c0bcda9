import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runScoreCli, type ScoreReport } from "./score-cli";

async function run(args: string[], files: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runScoreCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readFile: (file) => {
      const content = files[file];
      if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
      return content;
    },
  });
  return { code, stdout, stderr };
}

const lines = (...values: unknown[]) => values.map((v) => JSON.stringify(v)).join("\n") + "\n";

describe("pnpm score", () => {
  it("gsm8k: one JSON object with n, metric means and 95% intervals, items in input order (repeats allowed)", async () => {
    const { code, stdout, stderr } = await run(["gsm8k", "out.jsonl"], {
      "out.jsonl": lines(
        { item: "test/0", output: " She sells 9 eggs for $2 each: $18.\n#### 18\n\nQuestion: next" },
        { item: "test/1", output: " 2 + 1 = 3\n#### 4" },
        { item: "test/0", output: " #### 12\nThe answer is 18" },
      ),
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ScoreReport;
    expect(report.benchmark).toBe("gsm8k@3");
    expect(report.n).toBe(3);
    expect(report.items).toEqual([
      { item: "test/0", extracted: { "strict-match": "18", "flexible-extract": "18" }, scores: { "exact_match,strict-match": 1, "exact_match,flexible-extract": 1 } },
      { item: "test/1", extracted: { "strict-match": "4", "flexible-extract": "4" }, scores: { "exact_match,strict-match": 0, "exact_match,flexible-extract": 0 } },
      { item: "test/0", extracted: { "strict-match": "12", "flexible-extract": "18" }, scores: { "exact_match,strict-match": 0, "exact_match,flexible-extract": 1 } },
    ]);
    expect(report.metrics["exact_match,strict-match"]!.mean).toBeCloseTo(1 / 3, 15);
    expect(report.metrics["exact_match,flexible-extract"]!.mean).toBeCloseTo(2 / 3, 15);
    const [lo, hi] = report.metrics["exact_match,strict-match"]!.ci95;
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1);
  });

  it("truthfulqa: accepts the full key and log-likelihoods in the data file's choice order", async () => {
    const { code, stdout } = await run(["truthfulqa_mc@2", "ll.jsonl"], {
      "ll.jsonl": lines({ item: "mc/0", loglikelihoods: { mc1: [-1, -2, -3, -4], mc2: [-9, -1, -9, -9] } }),
    });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ScoreReport;
    expect(report.items[0]!.scores.mc1).toBe(1);
    expect(report.items[0]!.scores.mc2).toBeCloseTo(Math.exp(-9) / (3 * Math.exp(-9) + Math.exp(-1)), 12);
    expect(report.metrics.mc2!.ci95).toEqual([0, 1]);
  });

  it.each([
    ["invalid JSON", "{\"item\": \"test/0\", \"output\": \"a\"}\n\n{nope}\n", /^score: line 3: not valid JSON/],
    ["an unknown item", lines({ item: "test/0", output: "a" }, { item: "test/5000", output: "b" }), /^score: line 2: item "test\/5000" is not a gsm8k item/],
    ["the wrong kind of output", lines({ item: "test/2", loglikelihoods: { mc1: [-1] } }), /^score: line 1: item test\/2: gsm8k expects "output"/],
    ["an output that is not text", lines({ item: "test/2", output: 3 }), /^score: line 1: item test\/2: expected .*received number/],
    ["an empty file", "\n\n", /^score: the file has no outputs/],
  ])("exits 2 on %s, naming the line", async (_name, content, message) => {
    const { code, stdout, stderr } = await run(["gsm8k", "f.jsonl"], { "f.jsonl": content });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("exits 2 on a bad truthfulqa line, naming the line", async () => {
    const { code, stderr } = await run(["truthfulqa_mc", "f.jsonl"], {
      "f.jsonl": lines({ item: "mc/0", loglikelihoods: { mc1: [-1, -2, -3, -4], mc2: [-1, -2, -3, -4] } }, { item: "mc/1", loglikelihoods: { mc1: [-1], mc2: [0.1] } }),
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^score: line 2: item mc\/1: loglikelihoods.mc1 has 1 values, but the item has \d+ mc1 choices/);
  });

  it("humaneval: runs each program in the sandbox and says why a failing one failed", async () => {
    const { code, stdout, stderr } = await run(["humaneval", "code.jsonl"], {
      "code.jsonl": lines(
        { item: "test/2", output: "    return number % 1.0\n" },
        { item: "test/2", output: "    return None\n" },
        { item: "test/2", output: "    import os\n    return 0.5\n" },
      ),
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ScoreReport;
    expect(report.items.map((item) => [item.scores["pass@1"], item.detail?.reason])).toEqual([
      [1, ""],
      [0, "a test assertion failed"],
      [0, "blocked import os (line 12)"],
    ]);
  }, 120_000);

  it("claim verdicts: both variants, accuracy over records and group consistency", async () => {
    const ll = await run(["claim_verdict_ll", "v.jsonl"], {
      "v.jsonl": lines({ item: "group/0", loglikelihoods: { r0: [-1, -2], r1: [-2, -1], r2: [-2, -1], r3: [-2, -1] } }),
    });
    expect(ll.code).toBe(0);
    expect((JSON.parse(ll.stdout) as ScoreReport).metrics.accuracy!.mean).toBe(0.75);
    const gen = await run(["claim_verdict_gen", "g.jsonl"], {
      "g.jsonl": lines({ item: "group/0", output: JSON.stringify(["SUPPORTS\nok", "REFUTES\nno", "REFUTES\nno", "SUPPORTS\nyes"]) }),
    });
    expect(gen.code).toBe(0);
    expect((JSON.parse(gen.stdout) as ScoreReport).metrics.group_consistency!.mean).toBe(1);
  });

  it("exits 2 with usage, an unknown benchmark or a missing file", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([])).stderr).toMatch(/^usage: pnpm score <benchmark> <file.jsonl>/);
    expect((await run(["mmlu", "f"], { f: "" })).stderr).toMatch(/^score: unknown benchmark "mmlu"; known benchmarks: gsm8k@3, truthfulqa_mc@2, humaneval@1/);
    expect((await run(["gsm8k", "nope.jsonl"])).stderr).toMatch(/^score: cannot read nope.jsonl: ENOENT/);
  });

  it("as a process: exit code 2 and one line on stderr, no stack trace", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "quorum-score-"));
    try {
      const file = path.join(dir, "bad.jsonl");
      writeFileSync(file, lines({ item: "test/0", output: "#### 18" }, { item: "test/0" }));
      const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
      const result = spawnSync(tsx, ["scripts/score.ts", "gsm8k", file], { encoding: "utf8", cwd: process.cwd() });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^score: line 2: item test\/0: expected/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
