import { expect, test } from "@playwright/test";

test("a newcomer sees the empty leaderboard and what to do next", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { name: "Leaderboard" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "No models yet" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Register a model" })).toHaveAttribute("href", "/submit");
  await expect(page.getByText("pnpm runner start")).toBeVisible();
  await page.screenshot({ path: "e2e/.artifacts/screenshots/leaderboard-empty.png", fullPage: true });
});

test("the development sign-in signs a user in and out", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("User name").fill("alice");
  await page.getByRole("button", { name: "Sign in (development)" }).click();
  await expect(page.getByRole("link", { name: "alice" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
});
