/**
 * Rate limits on what an attacker with a few free accounts can repeat: mutations per user (or API token owner) and
 * per client address, sign-in attempts per address, API token creation per user. Counters live in PostgreSQL
 * (rate-limiter-flexible's store, table `rate_limits`), so every app instance shares them; a key that is over its
 * limit is also blocked in this process's memory until its window ends, so a flood costs no database round trips.
 * If PostgreSQL cannot answer, an in-memory limiter with the same rules decides (insurance).
 * Limits and how to tune them: docs/security.md.
 */
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type pg from "pg";
import { env } from "@/env";
import { AppError } from "@/server/errors";

export type RateLimitKind = "mutationUser" | "mutationIp" | "signInIp" | "tokenCreate";

interface Rule {
  points: number;
  durationS: number;
  what: string;
}

export function rateLimitRules(): Record<RateLimitKind, Rule> {
  return {
    mutationUser: { points: env.RATE_MUTATIONS_PER_MIN, durationS: 60, what: "changes from this account" },
    mutationIp: { points: env.RATE_IP_PER_MIN, durationS: 60, what: "changes from this address" },
    signInIp: { points: env.RATE_SIGNIN_PER_MIN, durationS: 60, what: "sign-in attempts from this address" },
    tokenCreate: { points: env.RATE_TOKENS_PER_HOUR, durationS: 3600, what: "new API tokens for this account" },
  };
}

export interface RateLimits {
  /** Counts one request against `kind` for `key`; throws a RATE_LIMITED AppError (HTTP 429) when over the limit. */
  consume(kind: RateLimitKind, key: string): Promise<void>;
}

export function createRateLimits(pool: pg.Pool, rules: Record<RateLimitKind, Rule> = rateLimitRules()): RateLimits {
  const limiters = new Map<RateLimitKind, RateLimiterPostgres>();
  for (const [kind, rule] of Object.entries(rules) as [RateLimitKind, Rule][]) {
    limiters.set(
      kind,
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: "pool",
        tableName: "rate_limits",
        tableCreated: true,
        clearExpiredByTimeout: true,
        keyPrefix: kind,
        points: rule.points,
        duration: rule.durationS,
        inMemoryBlockOnConsumed: rule.points + 1,
        inMemoryBlockDuration: rule.durationS,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${kind}-insurance`, points: rule.points, duration: rule.durationS }),
      }),
    );
  }
  return {
    async consume(kind, key) {
      try {
        await limiters.get(kind)!.consume(key.slice(0, 200));
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
          const rule = rules[kind];
          throw new AppError(
            "RATE_LIMITED",
            `Too many ${rule.what}: at most ${rule.points} per ${rule.durationS === 60 ? "minute" : `${rule.durationS / 60} minutes`}. ` +
              `Try again in ${seconds} s.`,
            { details: { retryAfterSeconds: seconds } },
          );
        }
        throw error;
      }
    },
  };
}

const state = globalThis as unknown as { quorumRateLimits?: Map<pg.Pool, RateLimits> };

/** One set of limiters per connection pool (the app has one). */
export function rateLimitsFor(pool: pg.Pool): RateLimits {
  state.quorumRateLimits ??= new Map();
  let limits = state.quorumRateLimits.get(pool);
  if (!limits) {
    limits = createRateLimits(pool);
    state.quorumRateLimits.set(pool, limits);
  }
  return limits;
}
