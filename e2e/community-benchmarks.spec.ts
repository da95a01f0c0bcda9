/**
 * Community benchmarks in the browser: the form explains a bad definition next to its fields (client-side checks,
 * then the server's dataset check), then creates a benchmark that starts in probation and says so on /benchmarks.
 * The dataset comes from a local HTTP file server started here: a test double for a public dataset host.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { ADMIN_STATE, SCREENSHOTS, signIn, uniqueName } from "./fixtures/auth";
import { closeE2eDb, e2eDb } from "./fixtures/database";

const DATA = Array.from({ length: 12 }, (_, i) => JSON.stringify({ input: `${i} + 2`, target: String(i + 2) })).join("\n") + "\n";
const SHA = createHash("sha256").update(DATA).digest("hex");
const REFERENCE_REPOS = ["org/e2e-reference-a", "org/e2e-reference-b"];
let fileServer: Server;
let base: string;

test.beforeAll(async () => {
  fileServer = createServer((request, response) => {
    if (request.url === "/arith.jsonl") return response.end(DATA);
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => fileServer.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
  // The reference models named by COMMUNITY_REFERENCE_MODELS in playwright.config.ts.
  const db = e2eDb();
  const curator = await db.user.create({ data: { name: uniqueName("reference-curator") } });
  for (const repo of REFERENCE_REPOS) {
    if (!(await db.model.findFirst({ where: { repo } }))) {
      await db.model.create({ data: { repo, revision: createHash("sha1").update(repo).digest("hex"), submitterId: curator.id } });
    }
  }
});
// Leave the board as it was: the specs after this one expect, for the newcomer, an empty board. Deleting the
// reference models deletes their tasks (the canaries and any the scheduler gave them) with them.
test.afterAll(async () => {
  await new Promise<void>((resolve) => fileServer.close(() => resolve()));
  const db = e2eDb();
  await db.model.deleteMany({ where: { repo: { in: REFERENCE_REPOS } } });
  await db.event.create({ data: { kind: "model.moderated", payload: {} } });
  await closeE2eDb();
});

test.describe("as an admin", () => {
  test.use({ storageState: ADMIN_STATE });

  test("a bad definition is explained next to its fields; a good one starts in probation", async ({ page }) => {
    const tag = uniqueName("arith").replace(/-/g, "_");
    await page.goto("/benchmarks");
    await page.getByRole("link", { name: "Create a community benchmark" }).click();
    await expect(page).toHaveURL(/\/benchmarks\/new$/);
    const form = page.getByRole("form", { name: "Community benchmark" });

    // Checked in the browser first: the slug and the missing dataset fields.
    await form.getByLabel("Slug", { exact: true }).fill("Bad Slug");
    await form.getByLabel("Name", { exact: true }).fill("E2E arithmetic");
    await form.getByRole("button", { name: "Create benchmark" }).click();
    await expect(form.getByText("3-40 characters: lower-case letters, digits and _, starting with a letter")).toBeVisible();
    await expect(form.getByLabel("Slug", { exact: true })).toHaveAttribute("aria-invalid", "true");
    await expect(form.getByText("64 lower-case hex digits", { exact: true })).toBeVisible();

    // Then by the server: it downloads the dataset, and these bytes do not hash to the pinned sha256.
    await form.getByLabel("Slug", { exact: true }).fill(tag);
    await form.getByLabel("Dataset URL").fill(`${base}/arith.jsonl`);
    await form.getByLabel("Dataset sha256").fill("0".repeat(64));
    await form.getByLabel("Licence").fill("CC0-1.0");
    await form.getByRole("button", { name: "Create benchmark" }).click();
    await expect(form.getByText(`has sha256 ${SHA}, not the pinned ${"0".repeat(64)}`)).toBeVisible();
    await expect(form.getByLabel("Dataset sha256")).toHaveAttribute("aria-invalid", "true");

    await form.getByLabel("Dataset sha256").fill(SHA);
    await form.getByRole("button", { name: "Create benchmark" }).click();
    await expect(form.getByRole("status")).toContainText(`Created ${tag}@1, in probation: 2 canary tasks on org/e2e-reference-a and org/e2e-reference-b.`);
    await page.screenshot({ path: `${SCREENSHOTS}/community-benchmark-created.png`, fullPage: true });

    await form.getByRole("link", { name: "See it on the benchmarks page" }).click();
    const article = page.getByRole("article", { name: "E2E arithmetic" });
    await expect(article).toContainText(`${tag}@1`);
    await expect(article).toContainText("probation: canary tasks on reference models first");
    await expect(article).toContainText("not scheduled for other models and not on the board until its 2 canary tasks are accepted");
    await expect(article).toContainText(SHA);

    // A canary fails (as one does when its runners keep failing): the page says why and offers a retry, which the
    // server refuses within the failed canary's epoch, saying from when it can run.
    const stored = await e2eDb().communityBenchmark.findUniqueOrThrow({ where: { id: `${tag}@1` } });
    await e2eDb().task.update({ where: { id: stored.canaryTaskIds[0]! }, data: { status: "FAILED", finishedAt: new Date(), reason: "runners kept failing" } });
    await e2eDb().communityBenchmark.update({ where: { id: stored.id }, data: { reason: "The canary task on org/e2e-reference-a was failed: runners kept failing" } });
    await page.reload();
    await expect(article).toContainText("Why it is still waiting: The canary task on org/e2e-reference-a was failed: runners kept failing");
    await article.getByRole("button", { name: "Retry the canary tasks" }).click();
    await expect(article.getByRole("alert")).toContainText("still has canary tasks being evaluated");

    // An admin can reject it: it says so, with the reason, and leaves the schedule.
    const reject = article.getByRole("form", { name: `Reject ${tag}@1` });
    await reject.getByRole("button", { name: "Reject" }).click();
    await expect(reject.getByText("a reason of 3 to 500 characters")).toBeVisible();
    await reject.getByLabel("Reject with a reason (admins)").fill("a test of the rejection");
    await reject.getByRole("button", { name: "Reject" }).click();
    await expect(article).toContainText("Rejected by an admin: a test of the rejection");
    await expect(article.getByText("rejected", { exact: true })).toBeVisible();
  });
});

test("a signed-in user who is not an admin is refused at /benchmarks/new", async ({ page }) => {
  await signIn(page, uniqueName("erin"), "/benchmarks/new");
  await expect(page.getByText("Not allowed: only admins create benchmarks here")).toBeVisible();
  await expect(page.getByRole("form", { name: "Community benchmark" })).toHaveCount(0);
});
