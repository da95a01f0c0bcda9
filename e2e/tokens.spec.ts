import { expect, test } from "@playwright/test";
import { SCREENSHOTS, signIn, uniqueName } from "./fixtures/auth";

test("a volunteer creates a runner token, copies it once, uses it and revokes it", async ({ page, context, request }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const name = uniqueName("carol");
  await signIn(page, name, "/account");
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText("You have no tokens yet.")).toBeVisible();
  await expect(page.getByText("No runners yet.")).toBeVisible();
  await expect(page.getByText("You have not registered a model yet.")).toBeVisible();

  // Bad input: the form says what is wrong and nothing is stored.
  const form = page.getByRole("form", { name: "Create a token" });
  await form.getByLabel("task:pull").uncheck();
  await form.getByLabel("task:submit").uncheck();
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByText("give the token a name")).toBeVisible();
  await expect(form.getByText("choose at least one scope")).toBeVisible();
  await expect(form.getByLabel("Token name")).toHaveAttribute("aria-invalid", "true");
  await page.reload();
  await expect(page.getByText("You have no tokens yet.")).toBeVisible();
  // Only admins may hand out benchmark:create.
  await expect(form.getByLabel("benchmark:create")).toHaveCount(0);

  await form.getByLabel("Token name").fill("home-4090");
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Token “home-4090” created. Copy it now: it will not be shown again.")).toBeVisible();
  const token = await page.getByRole("textbox", { name: "New token" }).inputValue();
  expect(token).toMatch(/^qrm_[a-z0-9]{8}_[A-Za-z0-9_-]{32,}$/);
  await page.getByRole("button", { name: "Copy token" }).click();
  await expect(page.getByRole("button", { name: "Copied", exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  const row = page.getByRole("row", { name: /home-4090/ });
  await expect(row).toContainText(`qrm_${token.split("_")[1]}_…`);
  await expect(row).toContainText("task:pull");
  await expect(row).toContainText("task:submit");
  await page.screenshot({ path: `${SCREENSHOTS}/account-token-created.png`, fullPage: true });

  // The token works for a runner...
  const whoami = await request.get("/api/trpc/runner.whoami", { headers: { authorization: `Bearer ${token}` } });
  expect(whoami.status()).toBe(200);
  expect(((await whoami.json()) as { result: { data: { json: { userName: string } } } }).result.data.json.userName).toBe(name);

  // ...is never shown again...
  await page.reload();
  await expect(page.getByRole("textbox", { name: "New token" })).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);

  // ...and stops working once revoked.
  await page.getByRole("button", { name: "Revoke home-4090" }).click();
  await page.getByRole("button", { name: "Yes, revoke home-4090" }).click();
  await expect(page.getByRole("row", { name: /home-4090/ })).toContainText("revoked");
  const refused = await request.get("/api/trpc/runner.whoami", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  await page.screenshot({ path: `${SCREENSHOTS}/account.png`, fullPage: true });
});
