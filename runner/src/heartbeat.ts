/**
 * Keeps a claim's lease alive while the runner works on it: a heartbeat every third of the lease (at most every
 * minute). A server that says the claim is gone (lease expired, claim not found) ends the work at once through
 * `onLost`; transient failures are retried at the next beat, until the lease would have expired anyway.
 */
import type { TClaim } from "@/lib/protocol/runner-api";
import { RunnerApiError, type RunnerApi } from "./api-client";
import type { Logger } from "./log";

export interface Heartbeat {
  stop(): void;
  readonly leaseExpiresAt: Date;
}

const GONE = new Set(["LEASE_EXPIRED", "CLAIM_NOT_FOUND", "NOT_FOUND"]);

export function startHeartbeat(options: {
  api: RunnerApi;
  claim: TClaim;
  logger: Logger;
  onLost: (error: Error) => void;
  intervalMs?: number;
  now?: () => number;
}): Heartbeat {
  const now = options.now ?? (() => Date.now());
  const interval = options.intervalMs ?? Math.max(1000, Math.min(60_000, (options.claim.leaseSeconds * 1000) / 3));
  let leaseExpiresAt = options.claim.leaseExpiresAt;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const lose = (error: Error) => {
    if (stopped) return;
    stopped = true;
    options.onLost(error);
  };

  const beat = async () => {
    if (stopped) return;
    try {
      const response = await options.api.heartbeat({ claimToken: options.claim.claimToken });
      leaseExpiresAt = response.leaseExpiresAt;
      options.logger.debug("heartbeat", { assignment: options.claim.assignmentId, leaseExpiresAt: leaseExpiresAt.toISOString() });
    } catch (error) {
      if (error instanceof RunnerApiError && error.quorumCode && GONE.has(error.quorumCode)) {
        lose(new Error(`The server dropped this claim: ${error.message}`));
        return;
      }
      if (now() >= leaseExpiresAt.getTime()) {
        lose(new Error(`The lease expired while heartbeats failed (${(error as Error).message}).`));
        return;
      }
      options.logger.warn("heartbeat failed; retrying at the next beat", { error: (error as Error).message });
    } finally {
      if (!stopped) timer = setTimeout(() => void beat(), interval);
    }
  };
  timer = setTimeout(() => void beat(), interval);

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    get leaseExpiresAt() {
      return leaseExpiresAt;
    },
  };
}
