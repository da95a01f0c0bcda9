import { expect, test } from "@playwright/test";
import { randomCommit, SCREENSHOTS, uniqueName } from "./fixtures/auth";

test("a signed-out visitor browses public pages and is sent to sign in for actions", async ({ page }) => {
  for (const path of ["/", "/tasks", "/runners", "/benchmarks"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
  }
  await expect(page.getByRole("form", { name: "Benchmark settings" })).toHaveCount(0);

  await page.goto("/submit");
  await expect(page.getByRole("heading", { name: "Register a model" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Register a model" })).toHaveCount(0);
  const signInLink = page.getByRole("link", { name: "Sign in to continue" });
  await expect(signInLink).toHaveAttribute("href", "/signin?callbackUrl=%2Fsubmit");
  await page.screenshot({ path: `${SCREENSHOTS}/submit-signed-out.png`, fullPage: true });

  await page.goto("/account");
  await expect(page.getByRole("link", { name: "Sign in to continue" })).toHaveAttribute("href", "/signin?callbackUrl=%2Faccount");
  await expect(page.getByRole("button", { name: "Create token" })).toHaveCount(0);

  // The link brings the visitor back to the form once signed in.
  await page.goto("/submit");
  await page.getByRole("link", { name: "Sign in to continue" }).click();
  const name = uniqueName("visitor");
  await page.getByLabel("User name").fill(name);
  await page.getByRole("button", { name: "Sign in (development)" }).click();
  await expect(page).toHaveURL(/\/submit$/);
  await expect(page.getByRole("form", { name: "Register a model" })).toBeVisible();
});

test("the API refuses every action without a session or token (401)", async ({ request }) => {
  const mutations: [string, unknown][] = [
    ["model.register", { repo: "org/x", revision: randomCommit(), weightType: "ORIGINAL", precision: "BFLOAT16" }],
    ["token.create", { name: "x", scopes: ["task:pull"] }],
    ["token.revoke", { id: "x" }],
    ["benchmark.create", { key: "gsm8k@3", itemsPerTask: 5, quorum: 3, minAgreement: 0.8, maxResults: 7, isActive: true }],
  ];
  for (const [path, input] of mutations) {
    const response = await request.post(`/api/trpc/${path}`, { data: { json: input } });
    expect(response.status(), path).toBe(401);
    const body = (await response.json()) as { error: { json: { data: { quorumCode: string } } } };
    expect(body.error.json.data.quorumCode).toBe("UNAUTHENTICATED");
  }
  for (const path of ["model.quota", "account.get", "token.list"]) {
    const response = await request.get(`/api/trpc/${path}`);
    expect(response.status(), path).toBe(401);
  }
});

test("every page carries a Content-Security-Policy that forbids framing, and the usual security headers", async ({ request }) => {
  for (const path of ["/", "/signin", "/api/health", "/api/v0/leaderboard.json"]) {
    const response = await request.get(path);
    const headers = response.headers();
    expect(headers["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"], path).toContain("object-src 'none'");
    expect(headers["x-frame-options"], path).toBe("DENY");
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
  }
});

test("signing in with a callback to another site lands on the home page", async ({ page }) => {
  for (const callback of ["/%5Cevil.example", "//evil.example", "https://evil.example/", "/\\evil.example"]) {
    await page.goto(`/signin?callbackUrl=${encodeURIComponent(callback)}`);
    await page.getByLabel("User name").fill(uniqueName("redirected"));
    await page.getByRole("button", { name: "Sign in (development)" }).click();
    await expect(page).toHaveURL(/^http:\/\/(localhost|127\.0\.0\.1):\d+\/$/);
    await page.context().clearCookies();
  }
});
