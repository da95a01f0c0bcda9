/**
 * An admin withdraws a model from the moderation page: the reason is kept in the public audit log, and the model
 * leaves the leaderboard at once. Runners and models are seeded through the app's own runner API (fixtures/seed.ts).
 */
import { expect, test } from "@playwright/test";
import { ADMIN_STATE } from "./fixtures/auth";
import { closeE2eDb } from "./fixtures/database";
import { seedShowcase, type Showcase } from "./fixtures/seed";

test.describe.configure({ mode: "serial" });

let showcase: Showcase;

test.beforeAll(async ({ baseURL }) => {
  showcase = await seedShowcase(baseURL!);
});
test.afterAll(async () => closeE2eDb());

test("a signed-out visitor is told moderation is for admins", async ({ page }) => {
  await page.goto("/admin");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText(/Moderation is for admins\. Sign in first\./);
  await expect(page.getByRole("button", { name: "Withdraw model" })).toHaveCount(0);
});

test.describe("as an admin", () => {
  test.use({ storageState: ADMIN_STATE });

  test("withdrawing a model needs a reason, is audited, and takes the model off the board", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("searchbox", { name: "Search models" }).fill(showcase.tag);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: showcase.agreed.repo, exact: true }) });
    await expect(row).toBeVisible();

    await page.getByRole("link", { name: "Moderation" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Moderation" })).toBeVisible();
    await page.getByLabel("Model id").fill(showcase.agreed.id);
    await page.getByRole("button", { name: "Withdraw model" }).click();
    await expect(page.getByRole("status")).toContainText(/reason/i);

    await page.getByLabel("Reason (kept in the audit log)").fill("Weights are a re-upload of another author's model");
    await page.getByRole("button", { name: "Withdraw model" }).click();
    await expect(page.getByRole("status")).toHaveText("Model is now withdrawn.");
    await expect(page.getByRole("region", { name: "Audit log" })).toContainText(showcase.agreed.id);
    await expect(page.getByRole("region", { name: "Audit log" })).toContainText("Weights are a re-upload of another author's model");

    await page.goto("/");
    await page.getByRole("searchbox", { name: "Search models" }).fill(showcase.tag);
    await expect(page.getByRole("link", { name: showcase.split.repo, exact: true })).toBeVisible();
    await expect(row).toHaveCount(0);
  });
});
