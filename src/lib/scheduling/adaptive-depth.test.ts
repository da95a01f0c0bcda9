import { describe, expect, it } from "vitest";
import { DEFAULT_DEPTH_SETTINGS, parseTiers, planDepth, type DepthInput } from "./adaptive-depth";

const wilsonish = (mean: number, n: number) => {
  const half = 1.96 * Math.sqrt((mean * (1 - mean)) / n);
  return { mean, lo: mean - half, hi: mean + half };
};
const model = (modelId: string, mean: number | null, n = 100, settledEpochs = 0): DepthInput => ({
  modelId,
  interval: mean === null ? null : wilsonish(mean, n),
  settledEpochs,
});

describe("planDepth", () => {
  const byId = (inputs: DepthInput[], epoch = 2) => new Map(planDepth(inputs, DEFAULT_DEPTH_SETTINGS, epoch).map((d) => [d.modelId, d]));

  it("gives a new model the minimum, an unresolved one a deeper tier, and says why", () => {
    const plan = byId([model("new", null), model("a", 0.5, 10), model("b", 0.6, 10), model("far", 0.99, 4000)]);
    expect(plan.get("new")).toMatchObject({ items: 5, reason: expect.stringMatching(/^new/) });
    expect(plan.get("a")).toMatchObject({ items: 100, reason: expect.stringMatching(/^unresolved: its order against 1 model/) });
    expect(plan.get("far")).toMatchObject({ items: 5, reason: expect.stringMatching(/^settled/), settledEpochs: 1 });
  });

  it("uses the middle tier once the interval is narrower, and settles a rank that is sure", () => {
    const plan = byId([model("a", 0.5, 600), model("b", 0.56, 600), model("c", 0.9, 4000)]);
    expect(plan.get("a")!.items).toBe(25);
    expect(plan.get("c")!.items).toBe(5);
  });

  it("treats models surely closer than the resolution as ties that need no more items", () => {
    const plan = byId([model("a", 0.5, 20000), model("b", 0.51, 20000)]);
    expect(plan.get("a")).toMatchObject({ items: 5, reason: expect.stringMatching(/^settled/) });
  });

  it("lets a long-settled model skip every other epoch", () => {
    const settled = [model("a", 0.1, 4000, 6), model("b", 0.9, 4000, 6)];
    expect(byId(settled, 7).get("a")).toMatchObject({ isSkipped: true, reason: expect.stringMatching(/skipping every other epoch/) });
    expect(byId(settled, 8).get("a")).toMatchObject({ isSkipped: false, items: 5 });
  });
});

describe("parseTiers", () => {
  it("reads ascending whole numbers and names the variable on bad input", () => {
    expect(parseTiers("5, 25,100")).toEqual([5, 25, 100]);
    expect(() => parseTiers("25,5")).toThrow(/DEPTH_TIERS: expected ascending/);
    expect(() => parseTiers("5,x")).toThrow(/DEPTH_TIERS: expected whole numbers/);
  });
});
