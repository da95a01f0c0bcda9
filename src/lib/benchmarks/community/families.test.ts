/**
 * Golden tests of the community families: prompts, requests and scores checked by hand on tiny datasets.
 */
import { describe, expect, it } from "vitest";
import { buildRequests } from "../build-requests";
import { goldOutputFromResponses } from "../gold-answer";
import { sampleItems } from "../sampling";
import { runScoreCli } from "../score-cli";
import { scoreOutputs } from "../score-outputs";
import { sha256Hex } from "../sha256";
import { parseCommunityBenchmark, type TCommunityBenchmark } from "./definition";
import { buildCommunityBenchmark, DatasetFormatError, parseCommunityDataset, renderTemplate } from "./families";

const SEED = "ab".repeat(32);

function community(family: TCommunityBenchmark["family"], data: string, overrides: Record<string, unknown> = {}) {
  const parsed = parseCommunityBenchmark({
    slug: "golden_case",
    name: "Golden case",
    family,
    promptTemplate: "Q: {{input}}\nA:",
    fewshot: { count: 1, separator: "\n\n" },
    metric: { generate_until_exact_match: "exact_match", loglikelihood_multiple_choice: "acc", loglikelihood_rolling: "bits_per_byte" }[family],
    itemsPerTask: 2,
    dataset: { url: "https://datasets.example.org/golden.jsonl", sha256: sha256Hex(data), licence: "CC0-1.0" },
    ...overrides,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const def = buildCommunityBenchmark({ key: "golden_case@1", version: "1", definition: parsed.value });
  def.loadDataset(data);
  return def;
}

describe("generate_until_exact_match", () => {
  const data = ['{"input": "1 + 1", "target": "2"}', '{"input": "2 + 3", "target": "5"}', '{"input": "{{input}} + 1", "target": "x"}'].join("\n") + "\n";
  const def = community("generate_until_exact_match", data);

  it("builds the few-shot prompt from the first record and stops at the separator", () => {
    expect(def.allItemIds()).toEqual(["item/1", "item/2"]);
    expect(def.itemCount()).toBe(2);
    expect(buildRequests(def, ["item/1"])).toEqual([
      { kind: "generate_until", id: "item/1", item: "item/1", prompt: "Q: 1 + 1\nA: 2\n\nQ: 2 + 3\nA:", until: ["\n\n", "</s>", "<|im_end|>"], maxTokens: 256 },
    ]);
    // An input that contains the placeholder stays literal: a template is rendered once, never re-expanded.
    expect(def.promptOf("item/2")).toBe("Q: 1 + 1\nA: 2\n\nQ: {{input}} + 1\nA:");
    expect(renderTemplate("<{{input}}>", "{{input}}")).toBe("<{{input}}>");
  });

  it("scores the trimmed answer, cut at the stop sequences, against the trimmed target", () => {
    const scored = scoreOutputs(def, ["item/1", "item/2"], [
      { item: "item/1", output: " 5\n\nQ: 9 + 9\nA: 18" },
      { item: "item/2", output: " x." },
    ]);
    expect(scored.records.map((record) => [record.extracted, record.scores])).toEqual([
      [{ answer: "5" }, { exact_match: 1 }],
      [{ answer: "x." }, { exact_match: 0 }],
    ]);
    // Exemplar lines are not items.
    expect(() => def.scoreItem({ item: "item/0", output: "2" })).toThrow(/not a golden_case@1 item \(expected item\/1 … item\/2\)/);
  });

  it("samples deterministically from the epoch seed, the key and the dataset's sha256", () => {
    const again = community("generate_until_exact_match", data);
    expect(sampleItems(def, SEED, 2)).toEqual(sampleItems(again, SEED, 2));
    expect(sampleItems(def, SEED, 2).sort()).toEqual(["item/1", "item/2"]);
  });

  it("gold answers (for the fixture engine) score right and wrong", () => {
    const outputs = [goldOutputFromResponses(def, "item/1", true)!, goldOutputFromResponses(def, "item/2", false)!];
    expect(scoreOutputs(def, ["item/1", "item/2"], outputs).metrics.exact_match).toBe(0.5);
  });
});

describe("loglikelihood_multiple_choice", () => {
  const data =
    ['{"input": "Sky?", "choices": ["blue", "green"], "label": 0}', '{"input": "Grass?", "choices": ["red", "green", "black"], "label": 1}'].join("\n") + "\n";
  const def = community("loglikelihood_multiple_choice", data);

  it("one request per choice after the few-shot context; acc is the argmax against the label", () => {
    expect(buildRequests(def, ["item/1"]).map((request) => (request.kind === "loglikelihood" ? [request.id, request.context, request.continuation] : null))).toEqual([
      ["item/1/c/0", "Q: Sky?\nA: blue\n\nQ: Grass?\nA:", " red"],
      ["item/1/c/1", "Q: Sky?\nA: blue\n\nQ: Grass?\nA:", " green"],
      ["item/1/c/2", "Q: Sky?\nA: blue\n\nQ: Grass?\nA:", " black"],
    ]);
    const right = scoreOutputs(def, ["item/1"], [{ item: "item/1", loglikelihoods: { choices: [-3, -1, -2] } }]);
    expect(right.records[0]).toMatchObject({ extracted: { acc: "1" }, scores: { acc: 1 } });
    const wrong = scoreOutputs(def, ["item/1"], [{ item: "item/1", loglikelihoods: { choices: [-1, -1, -2] } }]);
    expect(wrong.records[0]).toMatchObject({ extracted: { acc: "0" }, scores: { acc: 0 } });
    expect(() => scoreOutputs(def, ["item/1"], [{ item: "item/1", loglikelihoods: { choices: [-1, -2] } }])).toThrow(/has 2 values, expected 3/);
  });
});

describe("loglikelihood_rolling", () => {
  const data = '{"text": "one two three"}\n{"text": "a"}\n';
  const def = community("loglikelihood_rolling", data, { promptTemplate: "Text:\n{{input}}", fewshot: { count: 0 }, itemsPerTask: 1 });

  it("scores each document in windows after the template's context: bits per byte by hand", () => {
    expect(def.allItemIds()).toEqual(["item/0", "item/1"]);
    expect(buildRequests(def, ["item/0"])).toEqual([{ kind: "loglikelihood", id: "item/0/w0", item: "item/0", context: "Text:\n", continuation: "one two three" }]);
    const scored = scoreOutputs(def, ["item/0"], [{ item: "item/0", loglikelihoods: { windows: [-13 * Math.LN2] } }]);
    // 13 bytes, 13·ln 2 nats: 1 bit per byte; byte perplexity 2; 3 words: word perplexity 2^(13/3).
    expect(scored.records[0]!.scores.bits_per_byte).toBeCloseTo(1, 12);
    expect(scored.records[0]!.scores.byte_perplexity).toBeCloseTo(2, 12);
    expect(scored.records[0]!.scores.word_perplexity).toBeCloseTo(2 ** (13 / 3), 10);
    expect(def.metrics.every((metric) => !metric.higherIsBetter)).toBe(true);
  });

  it("refuses templates whose context is empty or that put text after {{input}}", () => {
    const parsed = parseCommunityBenchmark({
      slug: "rolling_bad",
      name: "Rolling",
      family: "loglikelihood_rolling",
      promptTemplate: "{{input}} end",
      metric: "bits_per_byte",
      itemsPerTask: 1,
      dataset: { url: "https://datasets.example.org/x.jsonl", sha256: "0".repeat(64), licence: "CC0-1.0" },
    });
    expect(parsed.ok ? [] : parsed.errors.map((error) => error.field)).toEqual(["promptTemplate"]);
  });
});

describe("datasets", () => {
  it("names the first bad line and refuses other bytes than pinned", () => {
    const attempt = (family: TCommunityBenchmark["family"], text: string) => {
      try {
        parseCommunityDataset(family, text);
        return null;
      } catch (error) {
        return error instanceof DatasetFormatError ? error.message : String(error);
      }
    };
    expect(attempt("generate_until_exact_match", '{"input": "a", "target": "b"}\n\n')).toBe("dataset line 2: not a JSON object (one record per line, no blank lines)");
    expect(attempt("generate_until_exact_match", '{"input": "a", "target": 3}\n')).toBe('dataset line 1: "target" must be a string');
    expect(attempt("loglikelihood_multiple_choice", '{"input": "a", "choices": ["x", "y"], "label": 2}\n')).toBe('dataset line 1: "label" must be the index of the right choice (0 to 1)');
    expect(attempt("loglikelihood_multiple_choice", '{"input": "a", "choices": ["x", "x"], "label": 0}\n')).toBe("dataset line 1: two choices are the same text");
    expect(attempt("loglikelihood_rolling", "")).toBe("the dataset has no records");
    expect(attempt("loglikelihood_rolling", Buffer.from([0xff, 0xfe]).toString("latin1"))).toMatch(/^dataset line 1/);
    expect(() => parseCommunityDataset("loglikelihood_rolling", new Uint8Array([0xff, 0xfe]))).toThrow("the dataset is not valid UTF-8");
    const def = community("loglikelihood_rolling", '{"text": "a b"}\n', { promptTemplate: "T:{{input}}", fewshot: { count: 0 }, itemsPerTask: 1 });
    const other = buildCommunityBenchmark({ key: "golden_case@1", version: "1", definition: def.community });
    expect(() => other.loadDataset('{"text": "a c"}\n')).toThrow(/not the pinned/);
    expect(other.isDatasetLoaded()).toBe(false);
    expect(() => other.promptOf("item/0")).toThrow(/not known before the dataset is loaded|not loaded yet/);
  });
});

describe("pnpm score --community", () => {
  it("scores outputs from a definition file and a local copy of the dataset, refusing other bytes", async () => {
    const data = '{"input": "1 + 1", "target": "2"}\n{"input": "2 + 3", "target": "5"}\n';
    const definition = JSON.stringify({
      slug: "cli_case",
      name: "CLI case",
      family: "generate_until_exact_match",
      promptTemplate: "Q: {{input}}\nA:",
      metric: "exact_match",
      itemsPerTask: 1,
      dataset: { url: "https://datasets.example.org/cli.jsonl", sha256: sha256Hex(data), licence: "CC0-1.0" },
    });
    const files: Record<string, string> = { "def.json": definition, "data.jsonl": data, "bad.jsonl": data.replace("5", "6"), "out.jsonl": '{"item": "item/1", "output": " 5\\n\\nQ:"}\n' };
    const run = async (args: string[]) => {
      let stdout = "";
      let stderr = "";
      const code = await runScoreCli(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readFile: (path) => files[path]! });
      return { code, stdout, stderr };
    };
    const ok = await run(["--community", "def.json", "data.jsonl", "out.jsonl"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ benchmark: "cli_case@local", n: 1, metrics: { exact_match: { mean: 1 } } });
    const bad = await run(["--community", "def.json", "bad.jsonl", "out.jsonl"]);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining("not the pinned") });
  });
});
