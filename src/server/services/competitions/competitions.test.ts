/**
 * Competitions as data, on a real PostgreSQL through the real tRPC procedures: who may create them, validation,
 * versions that never rewrite past decisions, the king chain as evidence arrives, and the public documents.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAcceptedTask, createModelRow } from "@/test/accepted-tasks";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, TestClock, tokenCaller, userCaller } from "@/test/fixtures";
import { getCompetition } from "@/server/services/competitions/get-competition";
import { bestOf, onboardingMarkdown } from "@/server/services/competitions/onboarding";
import { createToken } from "@/server/services/tokens/manage-tokens";

let database: TestDatabase;
const clock = new TestClock();

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

const KING_SETTINGS = {
  benchmarks: [{ key: "gsm8k@3", weight: 1 }],
  minEvaluations: 2,
  minSharedItems: 10,
  winMargin: 0.02,
  alpha: 0.05,
  resamples: 2000,
  lockKeys: [],
  refuseQuantized: false,
  rosterSize: 3,
  band: 0.02,
};

describe("creating competitions", () => {
  it("is refused to ordinary users, allowed to admins and to benchmark:create tokens (who may change only their own)", async () => {
    const user = await createUser(database.db);
    const asUser = await userCaller(database.db, user, clock);
    const input = { slug: "gsm-king", title: "GSM8K king of the hill", description: "", rule: "king" as const, settings: KING_SETTINGS };
    await expect(asUser.competition.save(input)).rejects.toThrow(/Only admins/);

    const admin = await createUser(database.db, undefined, "ADMIN");
    const asAdmin = await userCaller(database.db, admin, clock);
    expect(await asAdmin.competition.save(input)).toMatchObject({ slug: "gsm-king", version: 1, isCreated: true });

    // Only admins can mint benchmark:create tokens; a token outlives its owner's admin role.
    const creator = await createUser(database.db, undefined, "ADMIN");
    const { token } = await createToken({ db: database.db, actor: creator, name: "c", scopes: ["benchmark:create"] });
    await database.db.user.update({ where: { id: creator.id }, data: { role: "USER" } });
    const asCreator = await tokenCaller(database.db, token, clock);
    await expect(asCreator.competition.save({ ...input, title: "Taken over" })).rejects.toThrow(/creator/);
    expect(await asCreator.competition.save({ ...input, slug: "my-roster", rule: "roster" })).toMatchObject({ isCreated: true });
  });

  it("explains bad input naming the field, and stores nothing", async () => {
    const admin = await userCaller(database.db, await createUser(database.db, undefined, "ADMIN"), clock);
    await expect(
      admin.competition.save({ slug: "Bad Slug", title: "x", rule: "king", settings: KING_SETTINGS } as never),
    ).rejects.toThrow(/slug: 2-63 lower-case/);
    await expect(
      admin.competition.save({ slug: "unknown-bench", title: "Unknown", rule: "king", settings: { ...KING_SETTINGS, benchmarks: [{ key: "nope@1", weight: 1 }] } }),
    ).rejects.toThrow(/benchmarks: nope@1 is not in the registry/);
    expect(await database.db.competition.findUnique({ where: { slug: "unknown-bench" } })).toBeNull();
  });
});

describe("a king of the hill competition", () => {
  it("crowns, keeps a duel pending, dethrones with published figures, and a new version starts afresh", async () => {
    const admin = await createUser(database.db, undefined, "ADMIN");
    const asAdmin = await userCaller(database.db, admin, clock);
    await asAdmin.competition.save({ slug: "duel", title: "Duel", rule: "king", settings: KING_SETTINGS });
    const runner = await createRunner(database.db, await createUser(database.db), clock);
    const alice = await createUser(database.db);
    const bob = await createUser(database.db);
    const king = await createModelRow(database.db, alice.id, "alice/king", { createdAt: new Date("2026-01-01") });
    const challenger = await createModelRow(database.db, bob.id, "bob/challenger", { createdAt: new Date("2026-01-02") });
    const accept = (modelId: string, epoch: number, correct: (i: number) => boolean) =>
      createAcceptedTask(database.db, { modelId, benchmarkKey: "gsm8k@3", epoch, runnerId: runner.runnerId, correct });

    for (const epoch of [1, 2]) await accept(king, epoch, (i) => i === 0);
    await accept(challenger, 1, () => true);
    let state = await getCompetition({ db: database.db, slug: "duel" });
    expect(state.snapshot.standing).toEqual([king]);
    expect(state.decisions.map((d) => d.outcome)).toEqual(["crowned"]);
    expect(state.snapshot.pending).toEqual([expect.objectContaining({ challengerId: challenger, reason: "needs 2 accepted evaluations, has 1" })]);

    await accept(challenger, 2, () => true);
    state = await getCompetition({ db: database.db, slug: "duel" });
    expect(state.snapshot.standing).toEqual([challenger]);
    const duel = state.decisions[1]!;
    expect(duel).toMatchObject({ outcome: "won", challengerId: challenger, incumbentId: king });
    expect(duel.figures!.sharedItems).toBe(10);
    expect(duel.figures!.mean).toBeCloseTo(0.8);
    expect(duel.figures!.lcb!).toBeGreaterThan(0);
    expect(duel.figures!.label).toBe(`quorum-duel-v1|duel@1|bob/challenger@${state.models[challenger]!.revision}|alice/king@${state.models[king]!.revision}`);

    const best = bestOf(state);
    expect(best.best).toMatchObject({ modelId: challenger, repo: "bob/challenger" });
    expect(onboardingMarkdown(state, "http://quorum.test")).toContain("Win margin: 0.02");

    // A change of rules is a new version; version 1's decisions stay as they were.
    await asAdmin.competition.save({ slug: "duel", title: "Duel", rule: "king", settings: { ...KING_SETTINGS, winMargin: 0.9 } });
    const v2 = await getCompetition({ db: database.db, slug: "duel" });
    expect(v2.version).toBe(2);
    expect(v2.snapshot.standing).toEqual([king]);
    expect(v2.decisions.map((d) => d.outcome)).toEqual(["crowned", "lost"]);
    const v1 = await getCompetition({ db: database.db, slug: "duel", version: 1 });
    expect(v1.decisions.map((d) => d.outcome)).toEqual(["crowned", "won"]);
    // A title change alone is not a new version.
    expect(await asAdmin.competition.save({ slug: "duel", title: "Duel!", rule: "king", settings: { ...KING_SETTINGS, winMargin: 0.9 } })).toMatchObject({ version: 2, isNewVersion: false });
  });
});
