/**
 * The claim rules, in one place (pure; no database). Every claim path uses them: the batch's candidate query
 * prefilters with `ELIGIBLE_TASK_SQL` (the same rules as SQL over the task row), `assignSlots` decides on the rows
 * the batch has locked, and the "is there anything to wait for" check reuses the SQL. claim-rules.test.ts checks that
 * the SQL and `canTake` agree.
 *
 * A runner may take a slot of an open task when
 *  - the engine kind matches (fixture runners only take fixture models, real engines never do),
 *  - its owner did not submit the model,
 *  - its owner never held a slot of the task before (`triedOwners`; releasing and claiming again cannot steer a
 *    runner towards a chosen task),
 *  - the task has a free slot,
 *  - for long-context tiers (tasks with `contextTokens`), the runner reported GPUs that hold that many tokens, and
 *  - when the pool has established runners and none holds a slot of the task yet, the last free slot is kept for an
 *    established runner (a quorum always includes one).
 * Among the tasks a runner may take in the window the batch locked (the oldest open tasks), the server picks one at
 * random: a runner cannot choose its task, and cannot predict which one it will get.
 */

export interface SlotRequest {
  owner: string;
  /** Fixture runners take only fixture models; real engines never do. */
  fixture: boolean;
  isEstablished: boolean;
  /** The most context, in tokens, the runner's GPUs hold (reported with each claim); absent: no long-context tiers. */
  maxContextTokens?: number | null;
}

export interface OpenTask {
  holderOwners: readonly string[];
  triedOwners: readonly string[];
  establishedHolders: number;
  targetResults: number;
  submitterId: string;
  fixture: boolean;
  /** Long-context tiers: the context the task needs, in tokens (null: any runner). */
  contextTokens?: number | null;
}

export interface ClaimContext {
  /** Whether any established runner is active in the pool. */
  poolHasEstablished: boolean;
}

export function canTake(request: SlotRequest, task: OpenTask, context: ClaimContext): boolean {
  const holders = task.holderOwners.length;
  if (task.fixture !== request.fixture || task.submitterId === request.owner) return false;
  if (task.triedOwners.includes(request.owner) || task.holderOwners.includes(request.owner)) return false;
  if (holders >= task.targetResults) return false;
  if (task.contextTokens != null && (request.maxContextTokens ?? 0) < task.contextTokens) return false;
  const isReserved = context.poolHasEstablished && task.establishedHolders === 0 && holders + 1 >= task.targetResults;
  return !isReserved || request.isEstablished;
}

/**
 * The same rules over a task row `t` joined with its model `m`, for one runner: $owner (text), $fixture (boolean),
 * $established (boolean), $pool (boolean: the pool has established runners), $prefix (the fixture repo prefix),
 * $capacity (integer: the runner's reported context capacity in tokens, 0 when it reported none).
 * Parameters are given as SQL expressions so that the batch query can apply it per runner of the batch.
 */
export function eligibleTaskSql(p: {
  owner: string;
  fixture: string;
  established: string;
  pool: string;
  prefix: string;
  capacity: string;
}): string {
  return `(
    t."finishedAt" IS NULL AND t."isFull" = false AND m.status = 'ACTIVE'
    AND cardinality(t."holderOwners") < t."targetResults"
    AND starts_with(m.repo, ${p.prefix}) = ${p.fixture}
    AND m."submitterId" <> ${p.owner}
    AND NOT (${p.owner} = ANY (t."triedOwners")) AND NOT (${p.owner} = ANY (t."holderOwners"))
    AND (t."contextTokens" IS NULL OR t."contextTokens" <= ${p.capacity})
    AND (${p.established} OR NOT ${p.pool} OR t."establishedHolders" > 0
         OR cardinality(t."holderOwners") + 1 < t."targetResults")
  )`;
}

/**
 * For each request, in order, the index of the task it takes among those it may take (chosen with `random`), or
 * null. Requests of one batch see each other's slots: one owner never gets two slots of a task.
 */
export function assignSlots(
  requests: readonly SlotRequest[],
  tasks: readonly OpenTask[],
  context: ClaimContext,
  random: () => number = Math.random,
): (number | null)[] {
  const state = tasks.map((task) => ({
    ...task,
    holderOwners: [...task.holderOwners],
    establishedHolders: task.establishedHolders,
  }));
  return requests.map((request) => {
    const eligible = state.flatMap((task, i) => (canTake(request, task, context) ? [i] : []));
    if (eligible.length === 0) return null;
    const index = eligible[Math.min(eligible.length - 1, Math.floor(random() * eligible.length))]!;
    state[index]!.holderOwners.push(request.owner);
    if (request.isEstablished) state[index]!.establishedHolders++;
    return index;
  });
}
