import { describe, expect, it } from "vitest";
import { assignSlots, canTake, type OpenTask, type SlotRequest } from "@/server/services/tasks/claim-matching";

const task = (overrides: Partial<OpenTask> = {}): OpenTask => ({
  holderOwners: [],
  triedOwners: [],
  establishedHolders: 0,
  targetResults: 3,
  submitterId: "author",
  fixture: false,
  ...overrides,
});
const req = (owner: string, overrides: Partial<SlotRequest> = {}): SlotRequest => ({ owner, fixture: false, isEstablished: false, ...overrides });
const open = { poolHasEstablished: false };
const first = () => 0;

describe("assignSlots", () => {
  it("one slot per owner, up to each task's target", () => {
    expect(assignSlots(["a", "b", "c", "d"].map((o) => req(o)), [task(), task()], open, first)).toEqual([0, 0, 0, 1]);
  });

  it("chooses among the eligible tasks with the server's randomness, not the runner's", () => {
    const picks = new Set(Array.from({ length: 40 }, (_, i) => assignSlots([req("a")], [task(), task(), task()], open, () => (i % 3) / 3 + 0.01)[0]));
    expect(picks).toEqual(new Set([0, 1, 2]));
  });

  it("never gives one owner two slots of a task, counting slots held before the batch", () => {
    expect(assignSlots([req("a"), req("a"), req("b")], [task({ holderOwners: ["b"], triedOwners: ["b"] }), task()], open, first)).toEqual([0, 1, 1]);
  });

  it("never hands a task again to an owner who held it before (release and re-claim cannot steer)", () => {
    expect(assignSlots([req("a")], [task({ triedOwners: ["a"] }), task()], open, first)).toEqual([1]);
    expect(assignSlots([req("a")], [task({ triedOwners: ["a"] })], open, first)).toEqual([null]);
  });

  it("never hands authors their own model, and keeps fixture runners on fixture models", () => {
    expect(assignSlots([req("author")], [task(), task({ submitterId: "other" })], open, first)).toEqual([1]);
    expect(assignSlots([req("a", { fixture: true }), req("b")], [task({ fixture: false }), task({ fixture: true })], open, first)).toEqual([1, 0]);
  });

  it("keeps the last slot for an established runner when the pool has any", () => {
    const pool = { poolHasEstablished: true };
    const almostFull = task({ holderOwners: ["x", "y"], triedOwners: ["x", "y"] });
    expect(assignSlots([req("new")], [almostFull], pool, first)).toEqual([null]);
    expect(assignSlots([req("old", { isEstablished: true })], [almostFull], pool, first)).toEqual([0]);
    // Once an established runner holds a slot, anyone may fill the rest; without established runners, no reservation.
    expect(assignSlots([req("new")], [task({ ...almostFull, establishedHolders: 1 })], pool, first)).toEqual([0]);
    expect(assignSlots([req("new")], [almostFull], open, first)).toEqual([0]);
    // Within one batch: two new runners cannot take both remaining slots of a task with none established.
    expect(assignSlots([req("n1"), req("n2")], [task({ holderOwners: ["x"], triedOwners: ["x"] })], pool, first)).toEqual([0, null]);
  });

  it("does not change the task rows it was given", () => {
    const rows = [task({ holderOwners: ["x"] })];
    assignSlots([req("a")], rows, open, first);
    expect(rows[0]!.holderOwners).toEqual(["x"]);
  });

  it("canTake refuses a full task", () => {
    expect(canTake(req("a"), task({ holderOwners: ["x", "y", "z"] }), open)).toBe(false);
  });

  it("long-context tiers go only to runners that reported enough context capacity", () => {
    const tier = task({ contextTokens: 131_072 });
    expect(canTake(req("a"), tier, open)).toBe(false);
    expect(canTake(req("a", { maxContextTokens: 32_768 }), tier, open)).toBe(false);
    expect(canTake(req("a", { maxContextTokens: 131_072 }), tier, open)).toBe(true);
    expect(canTake(req("a"), task({ contextTokens: null }), open)).toBe(true);
  });
});
