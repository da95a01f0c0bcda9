/** benchmark.list and benchmark.create through the real procedures, on a real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser, TestClock, tokenCaller, userCaller } from "@/test/fixtures";
import { createToken } from "@/server/services/tokens/manage-tokens";

let database: TestDatabase;
const clock = new TestClock();
const settings = { itemsPerTask: 5, quorum: 3, minAgreement: 0.8, maxResults: 7, isActive: true };

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe("benchmark.list", () => {
  it("joins every row with its registry definition: version, data sha256, item count, scoring and consensus settings", async () => {
    const caller = await userCaller(database.db, null, clock);
    const { benchmarks, definitions } = await caller.benchmark.list();
    const gsm8k = benchmarks.find((benchmark) => benchmark.id === "gsm8k@3")!;
    expect(gsm8k).toMatchObject({ version: "3", itemCount: 1319, quorum: 3, minAgreement: 0.8, maxResults: 7, isActive: true });
    expect(gsm8k.datasets.map((dataset) => dataset.sha256)).toContain(
      "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
    );
    expect(gsm8k.scoringSummary).toMatch(/5 sampled problems/);
    expect(gsm8k.reference).toMatch(/lm-evaluation-harness/);
    expect(definitions.map((definition) => [definition.key, definition.isStored])).toEqual([
      ["gsm8k@3", true],
      ["truthfulqa_mc@2", true],
      ["humaneval@1", true],
      ["claim_verdict_ll@1", true],
      ["claim_verdict_gen@1", true],
      ["heldout_ppl@1", true],
      ["longctx_4k@1", true],
      ["longctx_8k@1", true],
      ["longctx_16k@1", true],
      ["longctx_32k@1", true],
      ["longctx_128k@1", true],
      ["longctx_512k@1", true],
      ["longctx_1m@1", true],
      ["longctx_2m@1", true],
    ]);
  });
});

describe("benchmark.create", () => {
  it("lets an admin change a benchmark's consensus settings", async () => {
    const admin = await userCaller(database.db, await createUser(database.db, undefined, "ADMIN"), clock);
    await expect(admin.benchmark.create({ key: "gsm8k@3", ...settings, minAgreement: 0.9, maxResults: 9 })).resolves.toEqual({
      id: "gsm8k@3",
      isCreated: false,
    });
    const row = await database.db.benchmark.findUniqueOrThrow({ where: { id: "gsm8k@3" } });
    expect(row).toMatchObject({ minAgreement: 0.9, maxResults: 9, quorum: 3 });
  });

  it("adds a registry benchmark that has no row yet, named after its definition", async () => {
    await database.db.benchmark.delete({ where: { id: "truthfulqa_mc@2" } });
    const adminUser = await createUser(database.db, undefined, "ADMIN");
    const admin = await userCaller(database.db, adminUser, clock);
    expect((await admin.benchmark.list()).definitions.find((d) => d.key === "truthfulqa_mc@2")?.isStored).toBe(false);
    await expect(admin.benchmark.create({ key: "truthfulqa_mc@2", ...settings, isActive: false })).resolves.toEqual({
      id: "truthfulqa_mc@2",
      isCreated: true,
    });
    const row = await database.db.benchmark.findUniqueOrThrow({ where: { id: "truthfulqa_mc@2" } });
    expect(row).toMatchObject({ slug: "truthfulqa_mc", version: "2", name: "TruthfulQA (MC1, MC2)", isActive: false });
    expect(row.createdById).toBe(adminUser.id);
  });

  it("accepts API tokens with the benchmark:create scope and refuses everyone else (401 signed out, 403 otherwise)", async () => {
    const admin = await createUser(database.db, undefined, "ADMIN");
    const scoped = await createToken({ db: database.db, actor: admin, name: "ci", scopes: ["benchmark:create"] });
    await expect(
      (await tokenCaller(database.db, scoped.token, clock)).benchmark.create({ key: "gsm8k@3", ...settings }),
    ).resolves.toMatchObject({ isCreated: false });

    const unscoped = await createToken({ db: database.db, actor: admin, name: "runner", scopes: ["task:pull"] });
    await expect(
      (await tokenCaller(database.db, unscoped.token, clock)).benchmark.create({ key: "gsm8k@3", ...settings }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    const user = await userCaller(database.db, await createUser(database.db), clock);
    await expect(user.benchmark.create({ key: "gsm8k@3", ...settings })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/Only admins/),
    });
    const anonymous = await userCaller(database.db, null, clock);
    await expect(anonymous.benchmark.create({ key: "gsm8k@3", ...settings })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("validates the settings and names the field that is wrong", async () => {
    const admin = await userCaller(database.db, await createUser(database.db, undefined, "ADMIN"), clock);
    await expect(admin.benchmark.create({ key: "gsm8k@3", ...settings, quorum: 5, maxResults: 4 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { issues: [expect.objectContaining({ path: ["maxResults"] })] },
    });
    await expect(admin.benchmark.create({ key: "gsm8k@3", ...settings, minAgreement: 0.2 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(admin.benchmark.create({ key: "mmlu@1", ...settings })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { options: { field: "key" } },
      message: expect.stringMatching(/not in the benchmark registry \(known: gsm8k@3, truthfulqa_mc@2, humaneval@1, claim_verdict_ll@1, claim_verdict_gen@1, heldout_ppl@1, longctx_4k@1, longctx_8k@1, longctx_16k@1, longctx_32k@1, longctx_128k@1, longctx_512k@1, longctx_1m@1, longctx_2m@1\)/),
    });
  });

  it("refuses a quorum below 3, even from an admin: fewer results cannot outvote one dishonest runner", async () => {
    const admin = await userCaller(database.db, await createUser(database.db, undefined, "ADMIN"), clock);
    for (const quorum of [1, 2]) {
      await expect(admin.benchmark.create({ key: "gsm8k@3", ...settings, quorum })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        cause: { issues: [expect.objectContaining({ path: ["quorum"], message: "quorum: at least 3" })] },
      });
    }
    expect((await database.db.benchmark.findUniqueOrThrow({ where: { id: "gsm8k@3" } })).quorum).toBeGreaterThanOrEqual(3);
  });
});
