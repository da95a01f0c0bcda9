import { expect, test as setup } from "@playwright/test";
import { ADMIN_STATE, signIn } from "./fixtures/auth";

setup("the app is up and serves the leaderboard", async ({ request }) => {
  const health = await request.get("/api/health");
  expect(health.status()).toBe(200);
  expect(await health.json()).toEqual({ ok: true, database: "up" });
});

setup("an admin signs in once for the specs that need one", async ({ page }) => {
  await signIn(page, "admin");
  await expect(page.getByRole("link", { name: "admin (admin)" })).toBeVisible();
  await page.context().storageState({ path: ADMIN_STATE });
});
