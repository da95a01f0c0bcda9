import { describe, expect, it } from "vitest";
import { assignSlots, type OpenTask } from "@/server/services/tasks/claim-matching";

const task = (overrides: Partial<OpenTask> = {}): OpenTask => ({
  holderOwners: [],
  targetResults: 3,
  submitterId: "author",
  fixture: false,
  ...overrides,
});

describe("assignSlots", () => {
  it("fills the oldest task first, one slot per owner, up to its target", () => {
    const requests = ["a", "b", "c", "d"].map((owner) => ({ owner, fixture: false }));
    expect(assignSlots(requests, [task(), task()])).toEqual([0, 0, 0, 1]);
  });

  it("never gives one owner two slots of a task, counting slots held before the batch", () => {
    const requests = [
      { owner: "a", fixture: false },
      { owner: "a", fixture: false },
      { owner: "b", fixture: false },
    ];
    expect(assignSlots(requests, [task({ holderOwners: ["b"] }), task()])).toEqual([0, 1, 1]);
  });

  it("never hands authors their own model", () => {
    expect(assignSlots([{ owner: "author", fixture: false }], [task(), task({ submitterId: "other" })])).toEqual([1]);
  });

  it("respects the target of a task that already has holders", () => {
    const requests = ["c", "d"].map((owner) => ({ owner, fixture: false }));
    expect(assignSlots(requests, [task({ holderOwners: ["a", "b"] })])).toEqual([0, null]);
  });

  it("keeps fixture runners on fixture models and real engines off them", () => {
    const requests = [
      { owner: "a", fixture: true },
      { owner: "b", fixture: false },
    ];
    expect(assignSlots(requests, [task({ fixture: false }), task({ fixture: true })])).toEqual([1, 0]);
  });

  it("does not change the task rows it was given", () => {
    const rows = [task({ holderOwners: ["x"] })];
    assignSlots([{ owner: "a", fixture: false }], rows);
    expect(rows[0]!.holderOwners).toEqual(["x"]);
  });
});
