/** Public traces on PostgreSQL: built once the epoch is complete, never before, identical on every request. */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getTrace, listTraces } from "@/server/services/traces/build-trace";
import { createAcceptedTask, createModelRow } from "@/test/accepted-tasks";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createRunner, createUser, TestClock } from "@/test/fixtures";

let database: TestDatabase;
const EPOCH_MINUTES = 60;
const now = new Date(100 * EPOCH_MINUTES * 60_000 + 1000); // epoch 100

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe("public traces", () => {
  it("publishes an epoch's decided tasks once it is complete, with prompts, outputs and scores, and lists them with sha256 and size", async () => {
    const runner = await createRunner(database.db, await createUser(database.db), new TestClock());
    const owner = await createUser(database.db);
    const model = await createModelRow(database.db, owner.id, "org/traced");
    await createAcceptedTask(database.db, { modelId: model, benchmarkKey: "gsm8k@3", epoch: 98, runnerId: runner.runnerId, correct: (i) => i < 2 });
    await createAcceptedTask(database.db, { modelId: model, benchmarkKey: "gsm8k@3", epoch: 100, runnerId: runner.runnerId, correct: () => true });
    const open = await createModelRow(database.db, owner.id, "org/open");
    await database.db.task.create({
      data: { modelId: open, benchmarkId: "gsm8k@3", epoch: 99, itemIds: ["test/0"], quorum: 3, targetResults: 3, maxResults: 7, minAgreement: 0.8 },
    });

    const options = { db: database.db, now, epochMinutes: EPOCH_MINUTES };
    await expect(getTrace({ ...options, benchmarkId: "gsm8k@3", epoch: 100 })).rejects.toThrow(/epoch 100 is not over yet/);
    await expect(getTrace({ ...options, benchmarkId: "gsm8k@3", epoch: 99 })).rejects.toThrow(/still has 1 open task/);

    const trace = await getTrace({ ...options, benchmarkId: "gsm8k@3", epoch: 98 });
    const body = Buffer.from(trace.body);
    expect(createHash("sha256").update(body).digest("hex")).toBe(trace.sha256);
    const lines = gunzipSync(body).toString("utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ format: "quorum-trace-v1", benchmark: "gsm8k@3", epoch: 98, status: "accepted", model: { repo: "org/traced" } });
    expect(lines[0].items).toHaveLength(5);
    expect(lines[0].items[0].prompt).toContain("Question:");
    expect(lines[0].items[0].output).toContain("####");
    expect(lines[0].items.map((i: { scores: Record<string, number> }) => i.scores["exact_match,strict-match"])).toEqual([1, 1, 0, 0, 0]);

    // Generated once: a later request returns the same bytes even if the data changed since.
    await database.db.task.updateMany({ where: { modelId: model, epoch: 98 }, data: { reason: "changed later" } });
    expect((await getTrace({ ...options, benchmarkId: "gsm8k@3", epoch: 98 })).sha256).toBe(trace.sha256);
    const manifest = await listTraces(options);
    expect(manifest).toEqual([expect.objectContaining({ benchmark: "gsm8k@3", epoch: 98, sha256: trace.sha256, bytes: body.length, lines: 1 })]);
  });
});
