/**
 * Helpers for integration tests: users, API tokens, registered runners with real ed25519 keys, and callers that go
 * through the real tRPC procedures (context built from an Authorization header, exactly as over HTTP).
 */
import { getBenchmark } from "@/lib/benchmarks/registry";
import { scoreOutputs, submittedOutputsSha256 } from "@/lib/benchmarks/score-outputs";
import type { TClaim, TItemOutput, TSubmissionPayload, TSubmitResultRequest, TTokenScope } from "@/lib/protocol/runner-api";
import { generateRunnerKeyPair, signPayload, type RunnerKeyPair } from "@/lib/protocol/signing";
import { createCaller } from "@/server/api/root";
import { createTRPCContext, type Clock } from "@/server/api/trpc";
import type { SessionUser } from "@/server/auth/users";
import type { Db } from "@/server/db";
import { createToken } from "@/server/services/tokens/manage-tokens";
import { goldOutputs } from "@/test/gold-outputs";

export class TestClock implements Clock {
  constructor(private current = new Date("2026-06-01T12:00:00Z")) {}
  now = () => new Date(this.current);
  advanceMinutes(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}

let userCounter = 0;

export async function createUser(db: Db, name?: string, role: "USER" | "ADMIN" = "USER"): Promise<SessionUser> {
  const userName = name ?? `user-${++userCounter}-${Math.random().toString(36).slice(2, 6)}`;
  const user = await db.user.create({
    data: { name: userName, role, accounts: { create: { provider: "dev", providerAccountId: userName } } },
  });
  return { id: user.id, name: user.name, role: user.role, image: null };
}

export type Caller = ReturnType<typeof createCaller>;

/**
 * The server's randomness in tests: always the first choice, so a claim gets the oldest task it may take and tests
 * can say which task that is. (claim-batch.test.ts checks the random choice itself.)
 */
export const oldestFirst = () => 0;

export async function tokenCaller(db: Db, token: string, clock: Clock, random: () => number = oldestFirst): Promise<Caller> {
  const headers = new Headers({ authorization: `Bearer ${token}` });
  return createCaller(await createTRPCContext({ db, headers, getUser: async () => null, clock, random }));
}

export async function userCaller(db: Db, user: SessionUser | null, clock: Clock): Promise<Caller> {
  return createCaller(await createTRPCContext({ db, headers: new Headers(), getUser: async () => user, clock, random: oldestFirst }));
}

export interface TestRunner {
  user: SessionUser;
  runnerId: string;
  name: string;
  keys: RunnerKeyPair;
  token: string;
  caller: Caller;
}

export async function createRunner(
  db: Db,
  user: SessionUser,
  clock: Clock,
  options: { name?: string; scopes?: TTokenScope[] } = {},
): Promise<TestRunner> {
  const { token } = await createToken({
    db,
    actor: user,
    name: "test",
    scopes: options.scopes ?? ["task:pull", "task:submit"],
  });
  const caller = await tokenCaller(db, token, clock);
  const keys = generateRunnerKeyPair();
  const name = options.name ?? `runner-${Math.random().toString(36).slice(2, 8)}`;
  const registered = await caller.runner.register({ name, publicKey: keys.publicKey, gpu: "Test GPU" });
  return { user, runnerId: registered.runnerId, name, keys, token, caller };
}

/** Outputs of a test double for a model; see gold-outputs.ts. */
export const fakeOutputs = goldOutputs;

/** A signed submission of `outputs` for `claim`, as a runner (a test one, or a benchmark's simulated one) makes it. */
export function signedSubmission(
  runner: { runnerId: string; keys: { privateKeyPem: string } },
  claim: TClaim,
  outputs: TItemOutput[],
  options: {
    signedAt?: Date;
    claimedScore?: Record<string, number>;
    outputsSha256?: string;
    weights?: TSubmissionPayload["weights"];
  } = {},
): TSubmitResultRequest {
  const definition = getBenchmark(claim.task.benchmark.key);
  // Benchmarks that run code: the hash covers the outputs only, and the server decides the score (claimed: none).
  const scored = definition.execution
    ? { outputsSha256: submittedOutputsSha256(definition, outputs), metrics: {} }
    : scoreOutputs(definition, null, outputs);
  const payload = {
    assignmentId: claim.assignmentId,
    taskId: claim.task.id,
    runnerId: runner.runnerId,
    claimToken: claim.claimToken,
    signedAt: (options.signedAt ?? new Date()).toISOString(),
    benchmark: claim.task.benchmark.key,
    outputs,
    outputsSha256: options.outputsSha256 ?? scored.outputsSha256,
    claimedScore: options.claimedScore ?? scored.metrics,
    engine: { name: "test-double", version: "1", imageDigest: "sha256:test" },
    gpu: "Test GPU",
    runtimeSeconds: 1.5,
    energyKwh: null,
    ...(options.weights ? { weights: options.weights } : {}),
  };
  return { payload, signature: signPayload(payload, runner.keys.privateKeyPem) };
}
