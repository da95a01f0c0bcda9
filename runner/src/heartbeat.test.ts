import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TClaim } from "@/lib/protocol/runner-api";
import { RunnerApiError, type RunnerApi } from "./api-client";
import { startHeartbeat } from "./heartbeat";
import { createMemoryLogger } from "./log";
import { syntheticClaim } from "./synthetic-claim";

/** Only the heartbeat call matters here; the other procedures are tested against the real API. */
function apiWith(heartbeat: RunnerApi["heartbeat"]): RunnerApi {
  return { heartbeat } as unknown as RunnerApi;
}

let claim: TClaim;
beforeEach(() => {
  vi.useFakeTimers();
  claim = syntheticClaim({ model: "fixture/perfect", benchmark: "gsm8k@3", leaseSeconds: 30 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("heartbeats", () => {
  it("beat every third of the lease and extend it", async () => {
    const calls: string[] = [];
    const hb = startHeartbeat({
      api: apiWith(async ({ claimToken }) => {
        calls.push(claimToken);
        return { leaseExpiresAt: new Date(Date.now() + 30_000) };
      }),
      claim,
      logger: createMemoryLogger().logger,
      onLost: () => {
        throw new Error("not lost");
      },
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual([claim.claimToken]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls).toHaveLength(3);
    hb.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
  });

  it("end the work at once when the server says the claim is gone", async () => {
    const lost: Error[] = [];
    startHeartbeat({
      api: apiWith(async () => {
        throw new RunnerApiError("The lease on this task expired.", { procedure: "task.heartbeat", quorumCode: "LEASE_EXPIRED", httpStatus: 409, isRetryable: false });
      }),
      claim,
      logger: createMemoryLogger().logger,
      onLost: (e) => lost.push(e),
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lost.map((e) => e.message)).toEqual(["The server dropped this claim: The lease on this task expired."]);
  });

  it("ride out transient failures until the lease would have expired", async () => {
    const lost: Error[] = [];
    const { logger, records } = createMemoryLogger();
    startHeartbeat({
      api: apiWith(async () => {
        throw new RunnerApiError("Could not reach the server.", { procedure: "task.heartbeat", isRetryable: true });
      }),
      claim,
      logger,
      onLost: (e) => lost.push(e),
    });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(lost).toEqual([]);
    expect(records().filter((r) => r.level === "warn")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.message).toMatch(/lease expired while heartbeats failed/);
  });
});
