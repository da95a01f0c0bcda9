/**
 * What the public sees once runners have worked: scores with n and intervals on the leaderboard, a model's tasks
 * with every runner's recomputed score and the per-item outputs, disputes and failures with their reasons. The data
 * is seeded through the app's own runner API (fixtures/seed.ts). Ends with a light and dark screenshot of every page.
 */
import { expect, test } from "@playwright/test";
import { ADMIN_STATE, SCREENSHOTS } from "./fixtures/auth";
import { closeE2eDb } from "./fixtures/database";
import { seedShowcase, type Showcase } from "./fixtures/seed";

test.describe.configure({ mode: "serial" });

let showcase: Showcase;

test.beforeAll(async ({ baseURL }) => {
  showcase = await seedShowcase(baseURL!);
});
test.afterAll(async () => closeE2eDb());

test("the leaderboard shows consensus scores with n and interval, and sorts, searches and filters", async ({ page }) => {
  await page.goto("/");
  const search = page.getByRole("searchbox", { name: "Search models" });
  await search.fill(showcase.tag);
  const rowOf = (repo: string) => page.getByRole("row").filter({ has: page.getByRole("link", { name: repo, exact: true }) });
  const agreed = rowOf(showcase.agreed.repo);
  const split = rowOf(showcase.split.repo);
  const broken = rowOf(showcase.broken.repo);
  await expect(agreed).toContainText("80.0%");
  await expect(agreed).toContainText("n=5");
  await expect(agreed).toContainText("up to date");
  await expect(split).toContainText("1 disputed");
  await expect(broken).toContainText("1 pending");

  // Sorting by a column: the split adapter scores 60% on TruthfulQA MC1, the agreed model 80%.
  const mc1 = page.getByRole("columnheader", { name: /TruthfulQA\s*MC1/ });
  await mc1.getByRole("button").click();
  await expect(mc1).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByRole("row").nth(1).getByRole("link").first()).toHaveText(showcase.agreed.repo);
  await mc1.getByRole("button").click();
  await expect(mc1).toHaveAttribute("aria-sort", "ascending");
  await expect(page.getByRole("row").nth(1).getByRole("link").first()).toHaveText(showcase.split.repo);

  // Filters: weight type and precision.
  await expect(page).toHaveURL(/sort=truthfulqa.*mc1.*order=asc/);
  await page.getByLabel("Weight type").selectOption("adapter");
  await expect(split).toBeVisible();
  await expect(agreed).toHaveCount(0);
  await page.getByLabel("Weight type").selectOption("");
  await page.getByLabel("Precision").selectOption("int8");
  await expect(broken).toBeVisible();
  await expect(split).toHaveCount(0);
  await page.getByLabel("Precision").selectOption("");
  await expect(agreed).toBeVisible();

  // The URL keeps the view: a reload (or a shared link) renders the same sorted, searched page on the server.
  await expect(page).toHaveURL(new RegExp(`q=${showcase.tag}`));
  await page.reload();
  await expect(page.getByRole("searchbox", { name: "Search models" })).toHaveValue(showcase.tag);
  await expect(page.getByRole("columnheader", { name: /TruthfulQA\s*MC1/ })).toHaveAttribute("aria-sort", "ascending");
  await expect(page.getByRole("row").nth(1).getByRole("link").first()).toHaveText(showcase.split.repo);
  // Back returns to the previous query.
  await page.goBack();
  await expect(page).toHaveURL(/precision=int8/);
  await expect(split).toHaveCount(0);
});

test("a model page shows every runner's recomputed score, the chart and the per-item outputs", async ({ page }) => {
  const response = await page.goto(`/models/${showcase.agreed.id}`);
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: showcase.agreed.repo })).toBeVisible();
  await expect(page.getByRole("link", { name: `${showcase.agreed.repo}@${showcase.agreed.revision}` })).toHaveAttribute(
    "href",
    `https://huggingface.co/${showcase.agreed.repo}/tree/${showcase.agreed.revision}`,
  );
  await expect(page.getByText(`curator-${showcase.tag}`)).toBeVisible();
  await expect(page.getByRole("figure", { name: "GSM8K: strict per epoch" })).toBeVisible();
  await expect(page.getByRole("figure", { name: "TruthfulQA (MC1, MC2): MC2 per epoch" })).toBeVisible();

  const gsm8k = page.getByRole("article", { name: /^GSM8K · epoch/ });
  await expect(gsm8k.getByText("Accepted", { exact: true })).toBeVisible();
  await expect(gsm8k).toContainText("item agreement 100.0%");
  await expect(gsm8k.getByRole("row")).toHaveCount(4);
  await expect(gsm8k.getByRole("row", { name: /rig-1/ })).toContainText("strict 80.0%");
  await expect(gsm8k.getByRole("row", { name: /rig-1/ })).toContainText("Valid");

  await gsm8k.getByRole("button", { name: "Show per-item outputs" }).click();
  const items = gsm8k.getByRole("list", { name: "Per-item outputs" });
  await expect(items.getByRole("listitem")).toHaveCount(5);
  const firstItem = items.getByRole("listitem").first();
  await expect(firstItem).toContainText("Question:");
  await expect(firstItem).toContainText("Model output");
  await expect(firstItem).toContainText("Let's think step by step.");
  await expect(firstItem).toContainText("Reference:");
  await expect(firstItem).toContainText("Extracted (strict-match):");
  await expect(items.getByRole("listitem").last()).toContainText("strict: 0");
  await page.screenshot({ path: `${SCREENSHOTS}/model-outputs.png`, fullPage: true });

  const truthfulqa = page.getByRole("article", { name: /^TruthfulQA \(MC1, MC2\) · epoch/ });
  await truthfulqa.getByRole("button", { name: "Show per-item outputs" }).click();
  await expect(truthfulqa.getByText("← model's choice").first()).toBeVisible();
});

test("a disputed task and a failed task are visible with their reasons", async ({ page }) => {
  await page.goto("/tasks");
  const disputed = page.getByRole("region", { name: /^Disputed/ });
  const disputedRow = disputed.getByRole("row", { name: new RegExp(showcase.split.repo) });
  await expect(disputedRow).toContainText("Of the 7 results, no strict majority agrees item by item");
  await expect(disputedRow).toContainText("no score is published");
  const failed = page.getByRole("region", { name: /^Failed/ });
  await expect(failed.getByRole("row", { name: new RegExp(showcase.broken.repo) })).toContainText(showcase.failureReason);
  // The runners' own words are theirs and the admins' only: the public reason is the server's summary.
  await expect(page.getByText(showcase.runnerWords)).toHaveCount(0);
  const running = page.getByRole("region", { name: /^Running/ });
  const runningRow = running.getByRole("row", { name: new RegExp(showcase.broken.repo) });
  await expect(runningRow).toContainText("3 runners evaluating");
  await expect(runningRow).toContainText("lease held for");
  await expect(runningRow).toContainText("last heartbeat");

  await page.goto(`/models/${showcase.split.id}`);
  const task = page.getByRole("article", { name: /^GSM8K · epoch/ });
  await expect(task.getByText("Disputed", { exact: true })).toBeVisible();
  await expect(task.getByRole("note")).toContainText("Of the 7 results, no strict majority agrees item by item");
  await expect(task.getByRole("row", { name: /rig-1/ })).toContainText("Pending");
  // A final dispute is decided: its outputs are public too.
  await task.getByRole("button", { name: "Show per-item outputs" }).click();
  await expect(task.getByRole("list", { name: "Per-item outputs" }).getByRole("listitem")).toHaveCount(5);
  await expect(page.getByRole("definition").filter({ hasText: /^Adapter$/ })).toBeVisible();
  // The base model is registered here: its link leads to its model page (the family tree links it too).
  const base = page.getByRole("definition").getByRole("link", { name: `fixture/agreeable-7b-${showcase.tag}@${showcase.agreed.revision.slice(0, 7)}` });
  await expect(base).toHaveAttribute("href", `/models/${showcase.agreed.id}`);
});

test("the runners page ranks volunteers by valid evaluations", async ({ page }) => {
  await page.goto("/runners");
  const table = page.getByRole("table");
  await expect(table.getByRole("row", { name: new RegExp(`volunteer-1-${showcase.tag}`) })).toContainText("NVIDIA H100 80GB HBM3");
  await expect(table.getByRole("row", { name: new RegExp(`volunteer-7-${showcase.tag}`) })).toContainText("0");
});

const PAGES: { name: string; path: () => string; status?: number }[] = [
  { name: "leaderboard", path: () => "/" },
  { name: "model", path: () => `/models/${showcase.agreed.id}` },
  { name: "model-disputed", path: () => `/models/${showcase.split.id}` },
  { name: "tasks", path: () => "/tasks" },
  { name: "runners", path: () => "/runners" },
  { name: "benchmarks", path: () => "/benchmarks" },
  { name: "submit", path: () => "/submit" },
  { name: "account", path: () => "/account" },
  { name: "not-found", path: () => "/models/no-such-model", status: 404 },
];

test.describe("every page, light and dark", () => {
  test.use({ storageState: ADMIN_STATE });

  test("answers 200 on the production build and is screenshotted", async ({ page }) => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const entry of PAGES) {
        const response = await page.goto(entry.path());
        expect(response?.status(), entry.name).toBe(entry.status ?? 200);
        await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
        await page.screenshot({
          path: `${SCREENSHOTS}/${entry.name}${scheme === "dark" ? "-dark" : ""}.png`,
          fullPage: true,
        });
      }
    }
  });

  test("the leaderboard fits a phone screen", async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Leaderboard" })).toBeVisible();
    await page.screenshot({ path: `${SCREENSHOTS}/leaderboard-mobile.png`, fullPage: true });
  });
});
