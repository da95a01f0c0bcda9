/**
 * Admission at the door against the project's Hub test double (runner/src/hf/test-helpers/hub-double.ts): each
 * refusal names the form field and the reason, nothing is stored for a refused model, and an unreachable Hub gives
 * a retryable refusal.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSafetensors, startHubDouble, type DoubleRepo, type HubDouble } from "../../../../runner/src/hf/test-helpers/hub-double";
import type { AdmissionSettings } from "@/server/services/models/admit-model";
import { registerModel } from "@/server/services/models/register-model";
import type { TRegisterModelRequest } from "@/server/services/models/model-input";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createUser } from "@/test/fixtures";

const commit = (n: number) => n.toString(16).padStart(40, "c");
const config = JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama", max_position_embeddings: 8192 });
const weights = { path: "model.safetensors", content: fakeSafetensors(4096), lfs: true };
const repo = (name: string, n: number, files: DoubleRepo["files"]): DoubleRepo => ({ repo: `org/${name}`, commit: commit(n), files });

const REPOS: DoubleRepo[] = [
  repo("good", 1, [{ path: "config.json", content: config }, weights, { path: "README.md", content: "hi" }]),
  repo("no-arch", 2, [{ path: "config.json", content: JSON.stringify({ model_type: "llama" }) }, weights]),
  repo("auto-map", 3, [{ path: "config.json", content: JSON.stringify({ architectures: ["X"], auto_map: { AutoModel: "x.X" } }) }, weights]),
  repo("python", 4, [{ path: "config.json", content: config }, weights, { path: "modeling_x.py", content: "import os" }]),
  repo("pickle", 5, [{ path: "config.json", content: config }, { path: "pytorch_model.bin", content: "pickle", lfs: true }]),
  repo("bad-json", 6, [{ path: "config.json", content: "{not json" }, weights]),
  repo("no-config", 7, [weights]),
  repo("lora", 8, [
    { path: "adapter_config.json", content: JSON.stringify({ base_model_name_or_path: "org/good", peft_type: "LORA" }) },
    { path: "adapter_model.safetensors", content: fakeSafetensors(512), lfs: true },
  ]),
];

let database: TestDatabase;
let hub: HubDouble;
let submitterId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  hub = await startHubDouble(REPOS);
  submitterId = (await createUser(database.db, undefined, "ADMIN")).id;
});
afterAll(async () => {
  await hub.close();
  await database.drop();
});

function register(input: Partial<TRegisterModelRequest> & { repo: string; revision: string }, admission: Partial<AdmissionSettings> = {}) {
  return registerModel({
    db: database.db,
    actor: { id: submitterId, role: "ADMIN" },
    input: { weightType: "ORIGINAL", precision: "BFLOAT16", baseModel: undefined, ...input },
    now: new Date(),
    normRequired: 0,
    normWindowHours: 24,
    epochMinutes: 60,
    admission: { hubUrl: hub.url, maxBytes: 1e9, ...admission },
  });
}

async function expectRefused(promise: Promise<unknown>, field: string, reason: RegExp) {
  await expect(promise).rejects.toMatchObject({ code: "VALIDATION", options: { field }, message: expect.stringMatching(reason) });
}

describe("admission at the door", () => {
  it("admits a pinned safetensors checkpoint whose config names an architecture, keeping its context length", async () => {
    const { id } = await register({ repo: "org/good", revision: commit(1) });
    // The scheduler gives long-context tiers only up to this (schedule-tasks.ts).
    expect((await database.db.model.findUniqueOrThrow({ where: { id } })).contextLength).toBe(8192);
  });

  it("refuses, naming the field: unknown repo, unknown commit, Hub name rules", async () => {
    await expectRefused(register({ repo: "org/missing", revision: commit(1) }), "repo", /^repo: org\/missing was not found on the Hub/);
    await expectRefused(register({ repo: "org/good", revision: commit(99) }), "revision", /^revision: commit .* was not found in org\/good/);
    await expectRefused(register({ repo: "org/a--b", revision: commit(1) }), "repo", /cannot contain `--`/);
    await expectRefused(register({ repo: "org/a..b", revision: commit(1) }), "repo", /cannot contain `\.\.`/);
  });

  it("refuses checkpoints runners could not or must not load", async () => {
    await expectRefused(register({ repo: "org/no-arch", revision: commit(2) }), "repo", /names no architecture/);
    await expectRefused(register({ repo: "org/auto-map", revision: commit(3) }), "repo", /auto_map .*custom code is refused/);
    await expectRefused(register({ repo: "org/python", revision: commit(4) }), "repo", /contains Python code \(modeling_x\.py\)/);
    await expectRefused(register({ repo: "org/pickle", revision: commit(5) }), "repo", /only has pickle weights/);
    await expectRefused(register({ repo: "org/bad-json", revision: commit(6) }), "repo", /config\.json is not valid JSON/);
    await expectRefused(register({ repo: "org/no-config", revision: commit(7) }), "repo", /has no config\.json/);
  });

  it("refuses a checkpoint over the size cap", async () => {
    await expectRefused(register({ repo: "org/lora", revision: commit(8), weightType: "ADAPTER", baseModel: `org/good@${commit(1)}` }, { maxBytes: 100 }), "repo", /admits at most/);
  });

  it("checks an adapter's base model: named in adapter_config.json, pinned and itself admissible", async () => {
    await expectRefused(
      register({ repo: "org/lora", revision: commit(8), weightType: "ADAPTER", baseModel: `org/no-arch@${commit(2)}` }),
      "baseModel",
      /adapter_config\.json names "org\/good" as its base, not org\/no-arch/,
    );
    await expectRefused(
      register({ repo: "org/lora", revision: commit(8), weightType: "ADAPTER", baseModel: `org/good@${commit(42)}` }),
      "baseModel",
      /^baseModel: .*org\/good/,
    );
    const adapter = await register({ repo: "org/lora", revision: commit(8), weightType: "ADAPTER", baseModel: `org/good@${commit(1)}` });
    // An adapter has the context of its base model.
    expect((await database.db.model.findUniqueOrThrow({ where: { id: adapter.id } })).contextLength).toBe(8192);
  });

  it("stores nothing for a refused model", async () => {
    const repos = (await database.db.model.findMany({ select: { repo: true } })).map((m) => m.repo).sort();
    expect(repos).toEqual(["org/good", "org/lora"]);
  });

  it("an unreachable or failing Hub refuses with a retryable message and stores nothing", async () => {
    const failing = http.createServer((_req, res) => {
      res.writeHead(502).end("bad gateway");
    });
    await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
    const failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      for (const hubUrl of [failingUrl, closedUrl]) {
        await expect(register({ repo: "org/elsewhere", revision: commit(1) }, { hubUrl })).rejects.toMatchObject({
          code: "UNAVAILABLE",
          message: expect.stringMatching(/could not be reached.*Nothing was registered; please try again/),
        });
      }
    } finally {
      failing.close();
    }
    expect(await database.db.model.count({ where: { repo: "org/elsewhere" } })).toBe(0);
  });
});
