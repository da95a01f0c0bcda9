import { describe, expect, it } from "vitest";
import {
  advanceCompetition,
  lockRefusal,
  sharedItems,
  type CompetitionBenchmark,
  type CompetitionRules,
  type Contender,
  type Decision,
} from "./ranking-rules";

const ACCURACY: CompetitionBenchmark[] = [{ key: "gsm8k@3", weight: 1, higherIsBetter: true }];
const PERPLEXITY: CompetitionBenchmark[] = [{ key: "ppl@1", weight: 1, higherIsBetter: false }];

function rules(overrides: Partial<CompetitionRules>): CompetitionRules {
  return {
    kind: "king",
    minEvaluations: 2,
    minSharedItems: 20,
    winMargin: 0.02,
    alpha: 0.05,
    resamples: 2000,
    lockKeys: [],
    refuseQuantized: false,
    rosterSize: 3,
    band: 0.02,
    ...overrides,
  };
}

/** A contender with `values` per epoch (epoch -> per-item values, items named i0, i1...). */
function contender(
  id: string,
  order: number,
  epochs: Record<number, number[]>,
  extra: Partial<Contender> = {},
  benchmark = "gsm8k@3",
): Contender {
  const items = new Map<string, number>();
  for (const [epoch, values] of Object.entries(epochs)) values.forEach((v, i) => items.set(`${epoch}/i${i}`, v));
  return {
    id,
    ref: `org/${id}@${"0".repeat(40)}`,
    order,
    evaluations: Object.keys(epochs).length,
    duplicateOf: null,
    parameterCount: null,
    config: null,
    items: new Map([[benchmark, items]]),
    ...extra,
  };
}

const weak = (n: number) => Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 25%
const strong = (n: number) => Array.from({ length: n }, (_, i) => (i % 4 === 3 ? 0 : 1)); // 75%
const slightlyBetter = (n: number) => Array.from({ length: n }, (_, i) => (i % 4 === 0 || i === 1 ? 1 : 0));

function run(r: CompetitionRules, contenders: Contender[], history: Decision[] = [], benchmarks = ACCURACY) {
  return advanceCompetition({ rules: r, benchmarks, scope: "test@1", history, contenders });
}

describe("king of the hill", () => {
  it("crowns the first eligible model, keeps a challenger pending until enough shared items, then dethrones", () => {
    const king = contender("king", 1, { 1: weak(10), 2: weak(10) });
    const early = contender("challenger", 2, { 1: strong(10) }, { evaluations: 2 });
    const first = run(rules({}), [king, early]);
    expect(first.decisions.map((d) => d.outcome)).toEqual(["crowned"]);
    expect(first.standing).toEqual(["king"]);
    expect(first.pending).toEqual([expect.objectContaining({ challengerId: "challenger", reason: "10 of 20 shared items" })]);
    expect(first.pending[0]!.figures?.sharedItems).toBe(10);

    const later = contender("challenger", 2, { 1: strong(10), 2: strong(10) });
    const second = run(rules({}), [king, later], first.decisions);
    expect(second.decisions).toHaveLength(1);
    const duel = second.decisions[0]!;
    expect(duel).toMatchObject({ outcome: "won", challengerId: "challenger", incumbentId: "king", standing: ["challenger"] });
    expect(duel.figures!.mean).toBeCloseTo(0.5);
    expect(duel.figures!.lcb).toBeGreaterThan(0);
    expect(duel.figures!.epochs).toEqual([1, 2]);
    // Recomputing with the full history decides nothing new and rewrites nothing.
    expect(run(rules({}), [king, later], [...first.decisions, ...second.decisions]).decisions).toEqual([]);
  });

  it("does not dethrone inside the win margin, even when the lower bound is positive", () => {
    const king = contender("king", 1, { 1: weak(20), 2: weak(20) });
    const close = contender("close", 2, { 1: slightlyBetter(20), 2: slightlyBetter(20) }); // +1 item in 20: 0.05
    const result = run(rules({ winMargin: 0.06, minSharedItems: 40 }), [king, close]);
    expect(result.standing).toEqual(["king"]);
    expect(result.decisions[1]).toMatchObject({ outcome: "lost", challengerId: "close" });
    expect(result.decisions[1]!.reason).toMatch(/< margin 0.06/);
  });

  it("does not dethrone when the margin passes but the bootstrap bound does not", () => {
    const king = contender("king", 1, { 1: [1, 0, 1, 0, 1, 0] , 2: [0, 1, 0, 1, 0, 1] });
    const noisy = contender("noisy", 2, { 1: [0, 1, 1, 1, 0, 1], 2: [1, 0, 0, 1, 1, 0] });
    const result = run(rules({ minSharedItems: 12 }), [king, noisy]);
    const duel = result.decisions[1]!;
    expect(duel.figures!.mean).toBeGreaterThanOrEqual(0.02);
    expect(duel.figures!.lcb!).toBeLessThanOrEqual(0);
    expect(duel.outcome).toBe("lost");
  });

  it("decides on the oldest whole epochs that reach the minimum, whenever it is computed", () => {
    const king = contender("king", 1, { 1: weak(10), 2: weak(10), 3: weak(10) });
    const challenger = contender("c", 2, { 1: strong(10), 2: strong(10), 3: weak(10) });
    expect(run(rules({}), [king, challenger]).decisions[1]!.figures!.epochs).toEqual([1, 2]);
  });

  it("needs the minimum number of evaluations and ignores near-duplicates", () => {
    const king = contender("king", 1, { 1: weak(20) }, { evaluations: 1 });
    expect(run(rules({}), [king]).decisions).toEqual([]);
    const a = contender("a", 1, { 1: weak(10), 2: weak(10) });
    const copy = contender("copy", 2, { 1: strong(10), 2: strong(10) }, { duplicateOf: "a" });
    const result = run(rules({}), [a, copy]);
    expect(result.standing).toEqual(["a"]);
    expect(result.pending).toEqual([]);
  });

  it("refuses a challenger outside the size class, naming the key, and quantized models", () => {
    const config = { hidden_size: 2560, num_hidden_layers: 36, vocab_size: 151936 };
    const king = contender("king", 1, { 1: weak(10), 2: weak(10) }, { config });
    const bigger = contender("big", 2, { 1: strong(10), 2: strong(10) }, { config: { ...config, num_hidden_layers: 40 } });
    const quantized = contender("q", 3, { 1: strong(10), 2: strong(10) }, { config: { ...config, quantization_config: { bits: 4 } } });
    const r = rules({ lockKeys: ["vocab_size", "hidden_size", "num_hidden_layers"], refuseQuantized: true });
    const result = run(r, [king, bigger, quantized]);
    expect(result.standing).toEqual(["king"]);
    expect(result.decisions.slice(1).map((d) => [d.challengerId, d.outcome])).toEqual([["big", "refused"], ["q", "refused"]]);
    expect(result.decisions[1]!.reason).toMatch(/^num_hidden_layers: 40 differs from the incumbent's 36/);
    expect(result.decisions[2]!.reason).toMatch(/^quantization_config/);
    expect(lockRefusal(contender("x", 3, {}), king, r)).toBe("unknown");
  });
});

describe("sticky roster", () => {
  const r = rules({ kind: "roster", rosterSize: 3, minSharedItems: 20 });
  it("enters only by beating #1, then shifts everyone down and drops the last", () => {
    // Each newcomer is clearly better than everyone before it.
    const levels = [0.1, 0.3, 0.5, 0.7, 0.9];
    const models = levels.map((level, i) =>
      contender(`m${i}`, i, { 1: Array.from({ length: 10 }, (_, k) => (k < Math.round(level * 10) ? 1 : 0)), 2: Array.from({ length: 10 }, (_, k) => (k < Math.round(level * 10) ? 1 : 0)) }),
    );
    const result = run(r, models);
    expect(result.standing).toEqual(["m4", "m3", "m2"]);
    expect(result.decisions.filter((d) => d.outcome !== "lost").map((d) => d.standing)).toEqual([["m0"], ["m1", "m0"], ["m2", "m1", "m0"], ["m3", "m2", "m1"], ["m4", "m3", "m2"]]);
  });

  it("leaves the roster unchanged when a copy of the leader does not beat #1", () => {
    const leader = contender("leader", 1, { 1: strong(10), 2: strong(10) });
    const copy = contender("copycat", 2, { 1: strong(10), 2: strong(10) });
    const result = run(r, [leader, copy]);
    expect(result.standing).toEqual(["leader"]);
    expect(result.decisions[1]).toMatchObject({ outcome: "lost", challengerId: "copycat", standing: ["leader"] });
  });
});

describe("best within a resolution band (lower is better)", () => {
  const r = rules({ kind: "band", band: 0.02, minSharedItems: 4 });
  const ppl = (id: string, order: number, value: number, parameterCount: number) =>
    contender(id, order, { 1: [value, value], 2: [value, value] }, { parameterCount }, "ppl@1");

  it("a lower perplexity by at least the band replaces the best; a higher one never does", () => {
    const incumbent = ppl("inc", 1, 2.5, 1000);
    const better = ppl("better", 2, 2.47, 1000);
    const worse = ppl("worse", 3, 2.9, 1000);
    const result = run(r, [incumbent, better, worse], [], PERPLEXITY);
    expect(result.standing).toEqual(["better"]);
    expect(result.decisions[1]).toMatchObject({ outcome: "won", challengerId: "better" });
    expect(result.decisions[1]!.figures!.mean).toBeCloseTo(0.03);
  });

  it("an improvement inside the band does not replace the best", () => {
    const result = run(r, [ppl("inc", 1, 2.5, 1000), ppl("tiny", 2, 2.49, 1000)], [], PERPLEXITY);
    expect(result.standing).toEqual(["inc"]);
    expect(result.decisions[1]!.reason).toMatch(/below the band/);
  });

  it("ties inside the band go to the smaller model, even when slightly worse", () => {
    const result = run(r, [ppl("inc", 1, 2.5, 1000), ppl("small", 2, 2.51, 800)], [], PERPLEXITY);
    expect(result.standing).toEqual(["small"]);
    expect(result.decisions[1]!.reason).toMatch(/^smaller \(800 < 1,000 parameters\)/);
  });

  it("a smaller model outside the band (worse by more than it) does not replace the best", () => {
    const result = run(r, [ppl("inc", 1, 2.5, 1000), ppl("small", 2, 2.53, 800)], [], PERPLEXITY);
    expect(result.standing).toEqual(["inc"]);
  });
});

describe("sharedItems", () => {
  it("pairs only items of the same epoch and orients lower-is-better", () => {
    const a = contender("a", 1, { 1: [2.0, 3.0], 2: [1.0] }, {}, "ppl@1");
    const b = contender("b", 2, { 1: [2.5, 3.0], 3: [9.0] }, {}, "ppl@1");
    const shared = sharedItems(a, b, PERPLEXITY);
    expect(shared.count).toBe(2);
    expect(shared.strata[0]!.differences).toEqual([0.5, 0]);
  });
});

describe("history", () => {
  it("a lost challenger is not heard again by the same incumbent, but may challenge a new one", () => {
    const r = rules({ minSharedItems: 20, minEvaluations: 1 });
    const a = contender("a", 1, { 1: weak(20) });
    const b = contender("b", 2, { 1: weak(20) }); // ties with a: loses
    const c = contender("c", 3, { 1: strong(20) }, { evaluations: 2 });
    const first = run(r, [a, b]);
    expect(first.decisions.map((d) => [d.challengerId, d.outcome])).toEqual([["a", "crowned"], ["b", "lost"]]);
    const second = run(r, [a, b, c], first.decisions);
    expect(second.decisions.map((d) => [d.challengerId, d.incumbentId, d.outcome])).toEqual([
      ["c", "a", "won"],
      ["b", "c", "lost"],
    ]);
  });
});
