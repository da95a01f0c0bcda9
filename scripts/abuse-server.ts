/**
 * The server side of `pnpm bench:abuse`, in its own process so its memory is measured alone: seeds a few users, a
 * token, a runner and 300 models on the board into DATABASE_URL, then serves the app's /api/trpc door and public
 * routes (src/server/security/fuzz/fuzz-harness.ts). Prints one JSON line with what the load generator needs.
 */
import { createDb } from "../src/server/db";
import { seedBenchmarks } from "../src/server/services/benchmarks/seed-benchmarks";
import { registerModel } from "../src/server/services/models/register-model";
import { createToken } from "../src/server/services/tokens/manage-tokens";
import { registerRunner } from "../src/server/services/runners/register-runner";
import { generateRunnerKeyPair } from "../src/lib/protocol/signing";
import { startFuzzServer } from "../src/server/security/fuzz/fuzz-harness";
import { getDb } from "../src/server/db";

const db = createDb(process.env.DATABASE_URL!, { max: 2 });
await seedBenchmarks(db);
const user = await db.user.create({ data: { name: "abuse-user" } });
const admin = await db.user.create({ data: { name: "abuse-admin", role: "ADMIN" } });
const { id: tokenId, token } = await createToken({ db, actor: user, name: "abuse", scopes: ["task:pull", "task:submit", "model:register"] });
const runner = await registerRunner({ db, ownerId: user.id, name: "abuse-runner", publicKey: generateRunnerKeyPair().publicKey, gpu: null, now: new Date() });
let modelId = "";
for (let i = 0; i < 300; i++) {
  const model = await registerModel({
    db,
    actor: { id: admin.id, role: "ADMIN" },
    input: { repo: `bench/abuse-${i}`, revision: i.toString(16).padStart(40, "0"), weightType: "ORIGINAL", precision: "BFLOAT16", baseModel: undefined },
    now: new Date(),
    normRequired: 0,
    normWindowHours: 24,
    epochMinutes: 60,
  });
  modelId ||= model.id;
}
await db.$disconnect();
const server = await startFuzzServer({
  getDb,
  users: new Map([
    [user.id, { id: user.id, name: user.name, role: "USER", image: null }],
    [admin.id, { id: admin.id, name: admin.name, role: "ADMIN", image: null }],
  ]),
});
console.log(JSON.stringify({ url: server.url, pid: process.pid, ids: { modelId, runnerId: runner.runnerId, tokenId }, credentials: { userId: user.id, adminId: admin.id, token } }));
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
// The bench measures retained memory: on SIGUSR2 collect garbage (node --expose-gc), then answer on stdout.
process.on("SIGUSR2", () => {
  (globalThis as { gc?: () => void }).gc?.();
  console.log("gc-done");
});
