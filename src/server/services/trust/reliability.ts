/**
 * A runner's reliability (pure; no database): when it counts as established, and when it is suspended.
 *
 * Established: at least `establishedMinValid` results that consensus judged VALID, agreeing with runners of at
 * least `establishedMinOwners` distinct other owners, with no more than a fifth of its recent decided results
 * invalid, and not suspended or paused. An account earns it only by doing real work that matched independent
 * volunteers' work; a group of sybil accounts agreeing with each other reaches at most (group size - 1) other
 * owners, so with the default of 3 a group of up to 3 accounts cannot establish itself without honest work.
 *
 * Suspended: when at least SUSPEND_MIN_DECIDED of its last RECENT_WINDOW decided results exist and more than half
 * of them are INVALID (failed spot checks count), the runner gets no claims for SUSPEND_HOURS. Honest runners
 * disagree on a few per cent of results at most, far from a half.
 */

export interface TrustSettings {
  maxClaimsPerRunner: number;
  maxClaimsPerOwner: number;
  maxLeaseMinutes: number;
  establishedMinValid: number;
  establishedMinOwners: number;
  spotCheckShare: number;
}

export const RECENT_WINDOW = 20;
export const SUSPEND_MIN_DECIDED = 5;
export const SUSPEND_INVALID_SHARE = 0.5;
export const SUSPEND_HOURS = 24;
export const ESTABLISHED_MAX_RECENT_INVALID_SHARE = 0.2;
/** How many distinct agreeing owners are remembered per runner. */
export const AGREED_OWNERS_KEPT = 50;

export interface ReliabilityRecord {
  validCount: number;
  /** Verdicts of the runner's most recent decided results (newest first), up to RECENT_WINDOW. */
  recentVerdicts: readonly ("VALID" | "INVALID")[];
  agreedOwners: number;
  isPaused: boolean;
}

export function recentInvalidShare(recent: readonly ("VALID" | "INVALID")[]): number {
  if (recent.length === 0) return 0;
  return recent.filter((verdict) => verdict === "INVALID").length / recent.length;
}

export function suspensionOf(recent: readonly ("VALID" | "INVALID")[], now: Date): { until: Date; reason: string } | null {
  const window = recent.slice(0, RECENT_WINDOW);
  const invalid = window.filter((verdict) => verdict === "INVALID").length;
  if (window.length < SUSPEND_MIN_DECIDED || invalid / window.length <= SUSPEND_INVALID_SHARE) return null;
  const until = new Date(now.getTime() + SUSPEND_HOURS * 3_600_000);
  return {
    until,
    reason:
      `${invalid} of this runner's last ${window.length} decided results disagreed with the consensus, so it gets no ` +
      `tasks until ${until.toISOString()}. Check its engine, GPU and drivers with \`pnpm runner doctor\` and ` +
      `\`pnpm runner eval\` before it claims again.`,
  };
}

export function isEstablished(record: ReliabilityRecord, settings: TrustSettings, isSuspended: boolean): boolean {
  return (
    !record.isPaused &&
    !isSuspended &&
    record.validCount >= settings.establishedMinValid &&
    record.agreedOwners >= settings.establishedMinOwners &&
    recentInvalidShare(record.recentVerdicts) <= ESTABLISHED_MAX_RECENT_INVALID_SHARE
  );
}
