/** Adaptive depth settings from the environment (DEPTH_TIERS and friends; README configuration table). */
import { env } from "@/env";
import { parseTiers, type DepthSettings } from "@/lib/scheduling/adaptive-depth";

/** null when DEPTH_TIERS is unset: fixed depth at each benchmark's itemsPerTask. */
export function depthSettingsFromEnv(): DepthSettings | null {
  if (!env.DEPTH_TIERS) return null;
  return { tiers: parseTiers(env.DEPTH_TIERS), resolution: env.DEPTH_RESOLUTION, skipAfterSettledEpochs: env.DEPTH_SKIP_AFTER_EPOCHS, confidence: env.DEPTH_CONFIDENCE };
}
