import { expect, test as setup } from "@playwright/test";

setup("the app is up and serves the leaderboard", async ({ request }) => {
  const health = await request.get("/api/health");
  expect(health.status()).toBe(200);
  expect(await health.json()).toEqual({ ok: true, database: "up" });
});
