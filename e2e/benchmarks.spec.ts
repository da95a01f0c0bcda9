import { expect, test } from "@playwright/test";
import { ADMIN_STATE, SCREENSHOTS, signIn, uniqueName } from "./fixtures/auth";

test.describe("as an admin", () => {
  test.use({ storageState: ADMIN_STATE });

  test("the benchmarks page shows pinned data and lets an admin tune consensus settings", async ({ page }) => {
    const response = await page.goto("/benchmarks");
    expect(response?.status()).toBe(200);
    const gsm8k = page.getByRole("article", { name: "GSM8K" });
    await expect(gsm8k).toContainText("gsm8k@3");
    await expect(gsm8k).toContainText("1,319");
    await expect(gsm8k).toContainText("3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14");
    await expect(gsm8k).toContainText("each Quorum task scores 5 sampled problems");
    await expect(page.getByRole("article", { name: "TruthfulQA (MC1, MC2)" })).toContainText("mc2");
    await expect(page.getByText("Where Quorum departs from the harness:")).toBeVisible();

    const form = page.getByRole("form", { name: "Benchmark settings" });
    await form.getByLabel("Benchmark").selectOption("gsm8k@3");
    await expect(form.getByLabel("Quorum")).toHaveValue("3");
    // Bad input is explained next to the field and saves nothing.
    await form.getByLabel("Maximum results").fill("2");
    await form.getByRole("button", { name: "Save settings" }).click();
    await expect(form.getByText("maximum results: must be at least the quorum")).toBeVisible();
    await form.getByLabel("Maximum results").fill("7");
    await form.getByLabel("Item agreement").fill("1.5");
    await form.getByRole("button", { name: "Save settings" }).click();
    await expect(form.getByText("item agreement: at most 1 (every item matches)")).toBeVisible();
    await expect(form.getByLabel("Item agreement")).toHaveAttribute("aria-invalid", "true");
    await page.reload();
    await expect(gsm8k).toContainText("80% of items");

    await form.getByLabel("Item agreement").fill("0.9");
    await form.getByRole("button", { name: "Save settings" }).click();
    await expect(form.getByRole("status")).toHaveText("Saved gsm8k@3: the new settings apply to tasks created from now on.");
    await expect(gsm8k).toContainText("90% of items");
    await page.screenshot({ path: `${SCREENSHOTS}/benchmarks-admin.png`, fullPage: true });

    // Put it back: later specs expect the registry's defaults.
    await form.getByLabel("Item agreement").fill("0.8");
    await form.getByRole("button", { name: "Save settings" }).click();
    await expect(gsm8k).toContainText("80% of items");
  });
});

test("a signed-in user who is not an admin sees the settings but no form", async ({ page }) => {
  await signIn(page, uniqueName("dave"), "/benchmarks");
  await expect(page.getByRole("article", { name: "GSM8K" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Benchmark settings" })).toHaveCount(0);
  await expect(page.getByText("Admins (and API tokens with the benchmark:create scope)")).toBeVisible();
});
