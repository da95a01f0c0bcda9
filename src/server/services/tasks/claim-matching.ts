/**
 * Which open task each claim of a batch takes: the slot rules of claim-task.ts applied in memory to task rows the
 * batch has locked. Pure, so the rules are unit-tested apart from the database.
 */
export interface SlotRequest {
  owner: string;
  /** Fixture runners take only fixture models; real engines never do. */
  fixture: boolean;
}

export interface OpenTask {
  holderOwners: readonly string[];
  targetResults: number;
  submitterId: string;
  fixture: boolean;
}

/**
 * For each request, in order, the index of the oldest task (tasks come oldest first) it may take, or null: never
 * a model its owner submitted, never a task a runner of the same owner holds (counting earlier requests of the
 * batch), never more holders than the task's target, and the engine kind must match.
 */
export function assignSlots(requests: readonly SlotRequest[], tasks: readonly OpenTask[]): (number | null)[] {
  const holders = tasks.map((task) => new Set(task.holderOwners));
  return requests.map((request) => {
    const index = tasks.findIndex(
      (task, i) =>
        task.fixture === request.fixture &&
        task.submitterId !== request.owner &&
        holders[i]!.size < task.targetResults &&
        !holders[i]!.has(request.owner),
    );
    if (index < 0) return null;
    holders[index]!.add(request.owner);
    return index;
  });
}
