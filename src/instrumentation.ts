/** Next.js calls register() once per server instance at start. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || !process.env.DATABASE_URL) return;
  const { startScheduler } = await import("@/server/scheduler");
  startScheduler();
}
