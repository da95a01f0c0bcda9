/**
 * Registering models through the form. The specs run in file order on one database, and this file relies on the
 * state before it: no spec that sorts earlier registers a model (foundation.spec.ts checks the empty board), so
 * the community is in its cold start when it begins.
 */
import { expect, test, type Page } from "@playwright/test";
import { ADMIN_STATE, randomCommit, SCREENSHOTS, signIn, uniqueName } from "./fixtures/auth";

test.describe.configure({ mode: "serial" });

const first = { repo: `e2e-org/${uniqueName("cold-start")}`, revision: randomCommit() };

async function fillModel(page: Page, model: { repo: string; revision: string }) {
  const form = page.getByRole("form", { name: "Register a model" });
  await form.getByLabel("Hugging Face repository").fill(model.repo);
  await form.getByLabel("Commit").fill(model.revision);
  return form;
}

test("a newcomer's bad input is explained inline and stores nothing; in the cold start they can register", async ({ page }) => {
  const name = uniqueName("alice");
  await signIn(page, name, "/submit");
  await expect(page.getByRole("heading", { name: "You can register a model now (cold start)" })).toBeVisible();

  const form = page.getByRole("form", { name: "Register a model" });
  await form.getByLabel("Hugging Face repository").fill("not a repo");
  await form.getByLabel("Commit").fill("main");
  await form.getByRole("radio", { name: /^Adapter/ }).check();
  await form.getByRole("button", { name: "Register model" }).click();
  await expect(form.getByText("expected a Hugging Face repo id like `org/model-name`")).toBeVisible();
  await expect(form.getByText("expected the full 40-character commit hash (lowercase hex), not a branch or tag")).toBeVisible();
  await expect(form.getByText("adapters and deltas need their base model as `org/repo@<40-hex commit>`")).toBeVisible();
  await expect(form.getByLabel("Commit")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByRole("alert")).toHaveText("Some fields need attention: see the messages next to them.");
  await page.screenshot({ path: `${SCREENSHOTS}/submit-invalid.png`, fullPage: true });

  // A message goes away as soon as the field is right.
  await form.getByRole("textbox", { name: "Base model" }).fill(`e2e-org/base@${randomCommit()}`);
  await expect(form.getByText("adapters and deltas need their base model")).toHaveCount(0);

  await page.goto("/account");
  await expect(page.getByText("You have not registered a model yet.")).toBeVisible();

  await page.goto("/submit");
  await fillModel(page, first);
  await page.getByRole("button", { name: "Register model" }).click();
  await expect(page).toHaveURL(/\/models\/[^/?]+\?registered=2$/);
  await expect(page.getByRole("heading", { level: 1, name: first.repo })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Registered. 2 tasks are queued" })).toBeVisible();
  await expect(page.getByRole("link", { name: `${first.repo}@${first.revision}` })).toHaveAttribute(
    "href",
    `https://huggingface.co/${first.repo}/tree/${first.revision}`,
  );

  // A second model: now four tasks wait for other people's runners.
  await page.goto("/submit");
  await fillModel(page, { repo: `e2e-org/${uniqueName("second")}`, revision: randomCommit() });
  await page.getByRole("button", { name: "Register model" }).click();
  await expect(page).toHaveURL(/\/models\/[^/?]+\?registered=2$/);

  await page.goto("/account");
  await expect(page.getByRole("link", { name: first.repo })).toBeVisible();

  // The queue says why the new tasks wait.
  await page.goto("/tasks");
  const queued = page.getByRole("region", { name: /^Queued/ });
  await expect(queued.getByRole("row", { name: new RegExp(first.repo) }).first()).toContainText("Waiting for a runner.");
});

test("with work waiting, a user who has evaluated nothing is refused and told how to earn the submit", async ({ page }) => {
  await signIn(page, uniqueName("bob"), "/submit");
  await expect(page.getByRole("heading", { name: "Evaluate 3 more tasks to unlock submitting" })).toBeVisible();
  await expect(page.getByText("pnpm runner start")).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/submit-quota.png`, fullPage: true });

  const refused = { repo: `e2e-org/${uniqueName("refused")}`, revision: randomCommit() };
  await fillModel(page, refused);
  await page.getByRole("button", { name: "Register model" }).click();
  const alert = page.getByRole("form", { name: "Register a model" }).getByRole("alert");
  await expect(alert).toContainText("Evaluate 3 more tasks to unlock submitting");
  await expect(alert).toContainText("pnpm runner start");
  await expect(page).toHaveURL(/\/submit$/);

  await page.goto("/account");
  await expect(page.getByText("You have not registered a model yet.")).toBeVisible();
  await page.goto("/");
  await page.getByRole("searchbox", { name: "Search models" }).fill(refused.repo);
  await expect(page.getByText("No models match these filters.")).toBeVisible();
});

test.describe("as an admin", () => {
  test.use({ storageState: ADMIN_STATE });

  test("a duplicate repo@commit is refused with a link to the existing entry", async ({ page }) => {
    await page.goto("/submit");
    await expect(page.getByRole("heading", { name: "You can register models" })).toBeVisible();
    await fillModel(page, first);
    await page.getByRole("button", { name: "Register model" }).click();
    const form = page.getByRole("form", { name: "Register a model" });
    await expect(form.getByText(`${first.repo}@${first.revision.slice(0, 7)} is already registered.`)).toBeVisible();
    await page.screenshot({ path: `${SCREENSHOTS}/submit-duplicate.png`, fullPage: true });
    await form.getByRole("link", { name: "View the existing entry" }).click();
    await expect(page.getByRole("heading", { level: 1, name: first.repo })).toBeVisible();
  });
});
