import type { BenchmarkDefinition } from "./benchmark-definition";
import type { EngineRequest } from "./engine-contract";
import { BenchmarkInputError } from "./errors";

/** Checks a task's item list: known items, no duplicates, at least one. */
export function checkItemIds(def: BenchmarkDefinition, itemIds: readonly string[]): void {
  if (itemIds.length === 0) throw new BenchmarkInputError("a task needs at least one item");
  const seen = new Set<string>();
  itemIds.forEach((item, index) => {
    if (!def.hasItem(item)) {
      throw new BenchmarkInputError(`item ${JSON.stringify(item)} is not an item of ${def.key}`, { item, index, field: "item" });
    }
    if (seen.has(item)) throw new BenchmarkInputError(`item ${item} is listed twice`, { item, index, field: "item" });
    seen.add(item);
  });
}

/** The engine requests of a task, item after item; request ids are unique within the task. */
export function buildRequests(def: BenchmarkDefinition, itemIds: readonly string[]): EngineRequest[] {
  checkItemIds(def, itemIds);
  return itemIds.flatMap((item) => def.buildItemRequests(item));
}
