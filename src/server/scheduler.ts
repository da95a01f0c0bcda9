/**
 * The background loop every app instance runs: create the current epoch's tasks (one instance acts at a time,
 * under an advisory lock) and expire leases whose runners went silent. Started from instrumentation.ts.
 */
import { env } from "@/env";
import { getDb } from "@/server/db";
import { reapExpiredLeases } from "@/server/services/tasks/manage-claim";
import { depthSettingsFromEnv } from "@/server/services/tasks/depth-settings";
import { scheduleTasks } from "@/server/services/tasks/schedule-tasks";

const state = globalThis as unknown as { quorumScheduler?: NodeJS.Timeout };

export async function runSchedulerOnce(now = new Date()): Promise<void> {
  const db = getDb();
  const scheduled = await scheduleTasks({ db, now, epochMinutes: env.EPOCH_MINUTES, depth: depthSettingsFromEnv() });
  if (scheduled.created > 0) console.log(`[scheduler] epoch ${scheduled.epoch}: created ${scheduled.created} task(s)`);
  const expired = await reapExpiredLeases({ db, now });
  if (expired > 0) console.log(`[scheduler] expired ${expired} lease(s)`);
}

export function startScheduler(): void {
  if (state.quorumScheduler) return;
  let isRunning = false;
  const tick = async () => {
    if (isRunning) return;
    isRunning = true;
    try {
      await runSchedulerOnce();
    } catch (error) {
      console.error("[scheduler] run failed; retrying at the next tick:", error);
    } finally {
      isRunning = false;
    }
  };
  state.quorumScheduler = setInterval(() => void tick(), env.SCHEDULER_INTERVAL_S * 1000);
  state.quorumScheduler.unref();
  void tick();
}
