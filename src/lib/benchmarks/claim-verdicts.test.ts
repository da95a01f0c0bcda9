import { describe, expect, it } from "vitest";
import { compareResults } from "@/server/services/tasks/agreement";
import {
  citesEvidence,
  claimGroups,
  claimPrompt,
  claimVerdictGen,
  claimVerdictLl,
  justificationOf,
  parseVerdict,
} from "./claim-verdicts";
import { goldOutputFromResponses } from "./gold-answer";
import { scoreOutputs } from "./score-outputs";

describe("claim verdicts on FEVER-Symmetric groups of four", () => {
  it("hand-checked: 178 groups of four with symmetric labels; group/0 is the Colombiana group", () => {
    const groups = claimGroups();
    expect(groups).toHaveLength(178);
    expect(groups[0]!.map((record) => [record.id, record.label, record.claim])).toEqual([
      ["7208", "SUPPORTS", "Colombiana is a French film ."],
      ["72080000002", "REFUTES", "Colombiana is a French film ."],
      ["72080000003", "REFUTES", "Colombiana is a Pakistani film ."],
      ["72080000004", "SUPPORTS", "Colombiana is a Pakistani film ."],
    ]);
    const labels = groups.flat().map((record) => record.label);
    expect(labels.filter((label) => label === "SUPPORTS")).toHaveLength(356);
    expect(claimPrompt(groups[0]![0]!, "ll")).toBe(
      "Evidence: Colombiana is a 2011 French action film co-written and produced by Luc Besson and directed by Olivier Megaton .\n" +
        "Claim: Colombiana is a French film .\nQuestion: Does the evidence support or refute the claim? Answer SUPPORTS or REFUTES.\nAnswer:",
    );
    expect(claimVerdictLl.buildItemRequests("group/0").map((request) => request.id)).toEqual([
      "group/0/r0/0", "group/0/r0/1", "group/0/r1/0", "group/0/r1/1", "group/0/r2/0", "group/0/r2/1", "group/0/r3/0", "group/0/r3/1",
    ]);
  });

  it("log-likelihood variant: accuracy over records and group consistency, by hand", () => {
    // group/0 labels: S, R, R, S. Verdicts: S (right), S (wrong), R (right), S (right, a tie goes to SUPPORTS).
    const scored = scoreOutputs(claimVerdictLl, null, [
      { item: "group/0", loglikelihoods: { r0: [-0.5, -2], r1: [-0.5, -2], r2: [-3, -1], r3: [-1, -1] } },
      { item: "group/0", loglikelihoods: { r0: [-0.5, -2], r1: [-2, -0.5], r2: [-3, -1], r3: [-1, -1.5] } },
    ]);
    expect(scored.records[0]).toMatchObject({
      extracted: { r0: "SUPPORTS", r1: "SUPPORTS", r2: "REFUTES", r3: "SUPPORTS" },
      scores: { accuracy: 0.75, group_consistency: 0 },
    });
    expect(scored.records[1]!.scores).toEqual({ accuracy: 1, group_consistency: 1 });
    expect(scored.metrics).toEqual({ accuracy: 0.875, group_consistency: 0.5 });
  });

  it("a claim-only shortcut scores 50% of records and no group", () => {
    const outputs = claimGroups().map((group, g) => ({
      item: `group/${g}`,
      // Same verdict for both records of each claim: the claim alone decides.
      loglikelihoods: Object.fromEntries(group.map((record, r) => [`r${r}`, r < 2 ? [-1, -2] : [-2, -1]])),
    }));
    const scored = scoreOutputs(claimVerdictLl, null, outputs);
    expect(scored.metrics.accuracy).toBe(0.5);
    expect(scored.metrics.group_consistency).toBe(0);
  });

  it("refuses malformed log-likelihoods, naming the item and field", () => {
    expect(() => scoreOutputs(claimVerdictLl, null, [{ item: "group/1", loglikelihoods: { r0: [-1], r1: [-1, -1], r2: [-1, -1], r3: [-1, -1] } }])).toThrow(
      "item group/1: loglikelihoods.r0 must be [SUPPORTS, REFUTES] log-likelihoods (2 numbers)",
    );
    expect(() => scoreOutputs(claimVerdictLl, null, [{ item: "group/1", loglikelihoods: { r0: [-1, 0.5], r1: [-1, -1], r2: [-1, -1], r3: [-1, -1] } }])).toThrow(
      /loglikelihoods.r0\[1\] is 0.5/,
    );
    expect(() => scoreOutputs(claimVerdictLl, null, [{ item: "group/178", loglikelihoods: {} }])).toThrow(/not a claim-verdict item/);
  });

  it("generative variant: verdict from the first line, justification and citation kept, by hand", () => {
    expect(parseVerdict("\n**Supports.**\nBecause")).toBe("SUPPORTS");
    expect(parseVerdict("Verdict: REFUTES")).toBe("[invalid]");
    expect(parseVerdict("refuted - the evidence")).toBe("REFUTES");
    expect(justificationOf("SUPPORTS\n\n The evidence says so.\nMore.")).toBe("The evidence says so.\nMore.");
    expect(citesEvidence('It says "a 2011 French action film co-written".', "Colombiana is a 2011 French action film co-written and")).toBe(true);
    expect(citesEvidence("It is French.", "Colombiana is a 2011 French action film")).toBe(false);
    const scored = scoreOutputs(claimVerdictGen, null, [
      {
        item: "group/0",
        output: JSON.stringify([
          "SUPPORTS\nThe evidence calls it \"a 2011 French action film co-written\".",
          "SUPPORTS\nIt is French.",
          "REFUTES\nNot Pakistani.",
          "I think it supports.",
        ]),
      },
    ]);
    expect(scored.records[0]).toMatchObject({
      extracted: { r0: "SUPPORTS", r1: "SUPPORTS", r2: "REFUTES", r3: "[invalid]" },
      scores: { accuracy: 0.5, group_consistency: 0 },
      detail: { "r0.justification": 'The evidence calls it "a 2011 French action film co-written".', "r0.cites_evidence": "yes", "r1.cites_evidence": "no" },
    });
    expect(() => scoreOutputs(claimVerdictGen, null, [{ item: "group/0", output: "SUPPORTS" }])).toThrow(
      'item group/0: claim_verdict_gen expects "output" to be a JSON array of the 4 records\' generations',
    );
  });

  it("gold outputs score 1 and 0; consensus compares verdicts, not justifications", () => {
    for (const def of [claimVerdictLl, claimVerdictGen]) {
      const right = scoreOutputs(def, null, [goldOutputFromResponses(def, "group/5", true)!]);
      const wrong = scoreOutputs(def, null, [goldOutputFromResponses(def, "group/5", false)!]);
      expect(right.metrics, def.key).toEqual({ accuracy: 1, group_consistency: 1 });
      expect(wrong.metrics, def.key).toEqual({ accuracy: 0, group_consistency: 0 });
    }
    const a = scoreOutputs(claimVerdictGen, null, [{ item: "group/0", output: JSON.stringify(["SUPPORTS\nOne reason.", "REFUTES\nx", "REFUTES\ny", "SUPPORTS\nz"]) }]);
    const b = scoreOutputs(claimVerdictGen, null, [{ item: "group/0", output: JSON.stringify(["SUPPORTS\nAnother reason.", "REFUTES\nq", "REFUTES\nr", "SUPPORTS\ns"]) }]);
    const evidence = (records: typeof a.records) => ({ primary: 1, items: { "group/0": { extracted: records[0]!.extracted } } });
    expect(compareResults(evidence(a.records), evidence(b.records), ["group/0"], 0.8).agree).toBe(true);
  });
});
