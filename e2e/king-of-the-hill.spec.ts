/**
 * The competition story: a king of the hill on GSM8K. A king is crowned after its evaluations; a challenger is
 * registered and evaluated over several epochs while the browser watches the competition page, and dethrones the
 * king there. The compare page shows their paired interval; another author's near-copy of the king is shown as a
 * near-duplicate and takes no place. Everything goes through the app's own API (fixtures/competition-seed.ts).
 */
import { expect, test } from "@playwright/test";
import { closeE2eDb } from "./fixtures/database";
import { addEarlierEpochs, evaluateEverything, storyTag, weightsReport, type Behaviour } from "./fixtures/competition-seed";
import { client, createUserWithToken, createVolunteer, type Volunteer } from "./fixtures/seed";

test.describe.configure({ mode: "serial" });
test.afterAll(async () => closeE2eDb());

test("a challenger dethrones the king while the page watches; compare shows the interval; a near-copy is flagged", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  const tag = storyTag();
  const { token: adminToken } = await createUserWithToken(`arena-admin-${tag}`, "ADMIN", ["model:register", "benchmark:create"]);
  const admin = client(baseURL!, adminToken);
  const volunteers: Volunteer[] = [];
  for (let i = 0; i < 3; i++) volunteers.push(await createVolunteer(baseURL!, `arena-${tag}`, i));
  const slug = `gsm-king-${tag}`;
  await admin.competition.save.mutate({
    slug,
    title: `GSM8K king of the hill ${tag}`,
    description: "Dethrone the king on GSM8K.",
    rule: "king",
    settings: { benchmarks: [{ key: "gsm8k@3", weight: 1 }], minEvaluations: 2, minSharedItems: 15, winMargin: 0.02 },
  });
  const register = (repo: string, api = admin) =>
    api.model.register.mutate({ repo, revision: storyTag().repeat(7).slice(0, 40).padEnd(40, "0"), weightType: "ORIGINAL", precision: "BFLOAT16" });

  const behaviours = new Map<string, Behaviour>();
  const king = await register(`fixture/king-${tag}`);
  behaviours.set(king.id, { correct: (i) => i === 0, weights: weightsReport(1) });
  const current = (await (await fetch(`${baseURL}/api/v0/epochs.json`)).json()) as { epochs: { epoch: number; seed: string | null }[] };
  const now = Math.max(...current.epochs.filter((e) => e.seed !== null).map((e) => e.epoch));
  await addEarlierEpochs(king.id, [now - 3, now - 2, now - 1]);
  await evaluateEverything(volunteers, behaviours);

  const challenger = await register(`fixture/challenger-${tag}`);
  behaviours.set(challenger.id, { correct: () => true, weights: weightsReport(2) });
  await addEarlierEpochs(challenger.id, [now - 3, now - 2, now - 1]);

  await page.goto(`/competitions/${slug}`);
  const leader = page.getByTestId("current-leader");
  await expect(leader).toHaveText(`fixture/king-${tag}`);
  await expect(page.getByRole("region", { name: "Pending" })).toContainText(`fixture/challenger-${tag}`);

  // The runners work while the page is open; it refreshes itself.
  await evaluateEverything(volunteers, behaviours);
  await expect(leader).toHaveText(`fixture/challenger-${tag}`, { timeout: 20_000 });
  const chain = page.getByRole("table").first();
  await expect(chain).toContainText(`fixture/king-${tag}`);
  await expect(chain).toContainText(/15 shared items, mean difference 0\.8, lower bound 0\.\d+/);
  const best = (await (await fetch(`${baseURL}/api/v0/competitions/${slug}/best.json`)).json()) as { best: { repo: string } };
  expect(best.best.repo).toBe(`fixture/challenger-${tag}`);
  const onboarding = await (await fetch(`${baseURL}/api/v0/competitions/${slug}/onboard.md`)).text();
  expect(onboarding).toContain("Win margin: 0.02");

  // Head to head, from the competition page's table.
  await page.getByRole("row").filter({ hasText: `fixture/king-${tag}` }).getByRole("link", { name: "vs king" }).click();
  await expect(page).toHaveURL(new RegExp(`/compare/${king.id}/${challenger.id}$`));
  const gsm = page.getByRole("region", { name: /GSM8K/ });
  await expect(gsm.getByTestId("compare-sentence")).toContainText(`fixture/challenger-${tag} is better than fixture/king-${tag} on GSM8K with 95% confidence (20 shared items`);
  await expect(gsm.getByTestId("paired-interval")).toHaveText(/^-0\.8 \[-[\d.]+, -[\d.]+\]$/);
  await expect(gsm).toContainText("16 items where they differ");

  // Another author re-uploads the king with a little noise: flagged, linked to the original, no place.
  const { token: copierToken } = await createUserWithToken(`copier-${tag}`, "ADMIN", ["model:register"]);
  const copy = await register(`fixture/copycat-${tag}`, client(baseURL!, copierToken));
  behaviours.set(copy.id, { correct: () => true, weights: weightsReport(1, 0.01) });
  await addEarlierEpochs(copy.id, [now - 3, now - 2]);
  await evaluateEverything(volunteers, behaviours);
  await page.goto(`/competitions/${slug}`);
  const copyRow = page.getByRole("row").filter({ hasText: `fixture/copycat-${tag}` });
  await expect(copyRow).toContainText(`near-duplicate of fixture/king-${tag}`);
  await expect(leader).toHaveText(`fixture/challenger-${tag}`);
  await expect(page.getByRole("region", { name: "Pending" })).toHaveCount(0);

  // The copy's own page says what it is and links the original.
  await page.goto(`/models/${copy.id}`);
  const note = page.getByRole("note").filter({ hasText: "Near-duplicate" });
  await expect(note).toContainText(`matches fixture/king-${tag}`);
  await note.getByRole("link", { name: `fixture/king-${tag}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `fixture/king-${tag}` })).toBeVisible();
});
