/** The trust settings from the environment (README configuration table; docs/trust.md explains each). */
import { env } from "@/env";
import type { TrustSettings } from "@/server/services/trust/reliability";

let cached: TrustSettings | null = null;

/** One object per process: the claim batcher is keyed on it. */
export function trustSettingsFromEnv(): TrustSettings {
  return (cached ??= {
    maxClaimsPerRunner: env.MAX_CLAIMS_PER_RUNNER,
    maxClaimsPerOwner: env.MAX_CLAIMS_PER_OWNER,
    maxLeaseMinutes: env.MAX_LEASE_MINUTES,
    establishedMinValid: env.ESTABLISHED_MIN_VALID,
    establishedMinOwners: env.ESTABLISHED_MIN_OWNERS,
    spotCheckShare: env.SPOT_CHECK_SHARE,
  });
}
