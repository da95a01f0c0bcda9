import { describe, expect, it } from "vitest";
import { compareResults, itemsMatch } from "@/server/services/tasks/agreement";
import { decideConsensus, type ConsensusInput, type ConsensusSettings } from "@/server/services/tasks/consensus";

const ITEMS = ["i0", "i1", "i2", "i3", "i4"];

/** A GSM8K-like result: per item the extracted answer; `answers` maps items to answers, the score counts "gold". */
function result(id: string, answers: string[], options: { established?: boolean } = {}): ConsensusInput {
  return {
    id,
    primary: answers.filter((a) => a === "gold").length / answers.length,
    isEstablished: options.established ?? false,
    items: Object.fromEntries(ITEMS.map((item, i) => [item, { extracted: { "strict-match": answers[i]!, "flexible-extract": answers[i]! } }])),
  };
}
const honest = ["gold", "gold", "wrong-7", "gold", "wrong-3"]; // scores 0.6
const forged = ["gold", "gold", "gold", "gold", "gold"]; // the gold answers ship with the app: 1.0

const settings = (overrides: Partial<ConsensusSettings> = {}): ConsensusSettings => ({
  quorum: 3,
  targetResults: 3,
  maxResults: 7,
  minAgreement: 0.8,
  itemIds: ITEMS,
  requireEstablished: false,
  ...overrides,
});

describe("item agreement", () => {
  it("matches extracted answers exactly and log-likelihoods within the tolerance", () => {
    expect(itemsMatch({ extracted: { mc1: "0" }, loglikelihoods: { mc1: [-1.2, -3.4] } }, { extracted: { mc1: "0" }, loglikelihoods: { mc1: [-1.21, -3.39] } })).toBe(true);
    expect(itemsMatch({ extracted: { mc1: "0" }, loglikelihoods: { mc1: [-1.2, -3.4] } }, { extracted: { mc1: "0" }, loglikelihoods: { mc1: [-1.5, -3.4] } })).toBe(false);
    expect(itemsMatch({ extracted: { mc1: "0" } }, { extracted: { mc1: "1" } })).toBe(false);
  });

  it("two results agree only with enough matching items and scores within one item", () => {
    const a = result("a", honest);
    const oneItemOff = result("b", ["gold", "gold", "wrong-7", "gold", "gold"]);
    expect(compareResults(a, oneItemOff, ITEMS, 0.8)).toMatchObject({ agree: true, matching: 4 });
    expect(compareResults(a, result("c", forged), ITEMS, 0.8)).toMatchObject({ agree: false, matching: 3 });
    // Same score, different answers: a copycat that matched its peers' score without running the model.
    const sameScoreOtherAnswers = result("d", ["wrong-1", "gold", "gold", "gold", "wrong-2"]);
    expect(sameScoreOtherAnswers.primary).toBe(a.primary);
    expect(compareResults(a, sameScoreOtherAnswers, ITEMS, 0.8).agree).toBe(false);
  });
});

describe("decideConsensus", () => {
  it("waits for the target number of results", () => {
    expect(decideConsensus([result("a", honest), result("b", honest)], settings())).toEqual({ kind: "waiting" });
  });

  it("accepts three agreeing results, tolerating one item that differs between honest GPUs", () => {
    const decision = decideConsensus([result("a", honest), result("b", honest), result("c", ["gold", "gold", "wrong-7", "gold", "wrong-9"])], settings());
    expect(decision).toMatchObject({ kind: "accepted", acceptedScore: 0.6, invalid: [] });
  });

  it("two colluders with the gold answers and one honest runner: not accepted at the colluders' score", () => {
    const decision = decideConsensus([result("honest", honest), result("sybil1", forged), result("sybil2", forged)], settings());
    expect(decision).toMatchObject({ kind: "disputed", isFinal: false, targetResults: 5 });
    // Nothing about scores leaks while the task is open.
    expect((decision as { reason: string }).reason).not.toMatch(/\d\.\d/);
    // Two more honest results: the honest majority wins, the colluders are invalid.
    const more = decideConsensus(
      [result("honest", honest), result("sybil1", forged), result("sybil2", forged), result("h2", honest), result("h3", honest)],
      settings({ targetResults: 5 }),
    );
    expect(more).toMatchObject({ kind: "accepted", acceptedScore: 0.6, invalid: ["sybil1", "sybil2"] });
    expect((more as { valid: string[] }).valid.sort()).toEqual(["h2", "h3", "honest"]);
  });

  it("results of new runners never form a majority on their own when the pool has established runners", () => {
    const results = [
      result("old", honest, { established: true }),
      result("s1", forged),
      result("s2", forged),
      result("s3", forged),
      result("h", honest),
    ];
    const decision = decideConsensus(results, settings({ targetResults: 5, requireEstablished: true }));
    expect(decision).toMatchObject({ kind: "disputed", isFinal: false });
    expect((decision as { reason: string }).reason).toContain("no established runner");
    // Without established runners in the pool (bootstrap), the same majority is accepted.
    expect(decideConsensus(results, settings({ targetResults: 5 }))).toMatchObject({ kind: "accepted", acceptedScore: 1 });
  });

  it("stays disputed for good at the maximum, and only then names scores", () => {
    const patterns = [forged, honest, ["wrong", "wrong", "wrong", "wrong", "wrong"], ["gold", "x", "y", "z", "w"]];
    const results = Array.from({ length: 7 }, (_, i) => result(`r${i}`, patterns[i % 4]!.map((a, j) => (i >= 4 && j === i - 4 ? `noise${i}` : a))));
    const decision = decideConsensus(results, settings({ targetResults: 7 }));
    expect(decision).toMatchObject({ kind: "disputed", isFinal: true });
    expect((decision as { reason: string }).reason).toMatch(/scores: /);
  });

  it("chooses as canonical the result that matches the others on the most items", () => {
    const decision = decideConsensus(
      [result("edge", ["gold", "gold", "wrong-7", "gold", "gold"]), result("center", honest), result("twin", honest)],
      settings(),
    );
    expect(decision).toMatchObject({ kind: "accepted", acceptedId: "center", invalid: [] });
  });
});
