/**
 * A claim made up locally, for evaluating without a server: `evaluateClaim` in tests, the demo, and benchmarks of
 * the runner's own overhead. Same shape as the server's claims (ZClaimSchema).
 */
import { createHash, randomUUID } from "node:crypto";
import { getBenchmark } from "@/lib/benchmarks/registry";
import { ZClaimSchema, type TClaim, type TModelRef } from "@/lib/protocol/runner-api";

export interface SyntheticClaimOptions {
  /** `org/name` or `org/name@<commit>` (fixture models get a made-up commit). */
  model: string;
  benchmark: string;
  /** Explicit items, or the first `items` items of the benchmark. */
  itemIds?: string[];
  items?: number;
  weightType?: TModelRef["weightType"];
  baseModel?: string | null;
  precision?: TModelRef["precision"];
  leaseSeconds?: number;
}

export function syntheticClaim(options: SyntheticClaimOptions): TClaim {
  const definition = getBenchmark(options.benchmark);
  const at = options.model.lastIndexOf("@");
  const repo = at > 0 ? options.model.slice(0, at) : options.model;
  const revision = at > 0 ? options.model.slice(at + 1) : createHash("sha1").update(repo).digest("hex");
  const itemIds = options.itemIds ?? definition.allItemIds().slice(0, options.items ?? definition.itemsPerTask);
  const leaseSeconds = options.leaseSeconds ?? 600;
  return ZClaimSchema.parse({
    assignmentId: `local-${randomUUID()}`,
    claimToken: `local-${randomUUID()}`,
    leaseExpiresAt: new Date(Date.now() + leaseSeconds * 1000),
    leaseSeconds,
    task: {
      id: `local-task-${randomUUID()}`,
      epoch: 0,
      model: {
        id: `local-model-${repo}`,
        repo,
        revision,
        weightType: options.weightType ?? "ORIGINAL",
        baseModel: options.baseModel ?? null,
        precision: options.precision ?? "BFLOAT16",
      },
      benchmark: { key: definition.key, name: definition.name },
      itemIds,
    },
  });
}
