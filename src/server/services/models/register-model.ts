/**
 * Registering a pinned checkpoint. Quorum stores the reference (repo, commit), never the weights. The model's
 * tasks for the current epoch are created at once, so runners can start on it immediately.
 */
import { depthSettingsFromEnv } from "@/server/services/tasks/depth-settings";
import type { Db } from "@/server/db";
import { TRANSACTION_OPTIONS } from "@/server/services/transaction-options";
import { AppError } from "@/server/errors";
import { publishEvents } from "@/server/services/events/publish-event";
import type { TRegisterModelRequest } from "@/server/services/models/model-input";
import { refuseExactReupload } from "@/server/services/models/exact-reupload";
import { getSubmitQuota } from "@/server/services/models/submit-quota";
import { admitModel, type Admission, type AdmissionSettings } from "@/server/services/models/admit-model";
import { areTestDoublesAllowed, assertNotFixtureRepo, isFixtureRepo } from "@/server/services/test-doubles/test-doubles";
import { scheduleTasks } from "@/server/services/tasks/schedule-tasks";

export async function registerModel(options: {
  db: Db;
  actor: { id: string; role: "USER" | "ADMIN" };
  input: TRegisterModelRequest;
  now: Date;
  normRequired: number;
  normWindowHours: number;
  epochMinutes: number;
  /** Lists the weight files' sha256s on the Hub (exact-reupload.ts); absent when the server has no Hub configured. */
  listWeightFileHashes?: (repo: string, revision: string) => Promise<string[] | null>;
  /** Accept `fixture/*` repos (tests, demo, benches); defaults to QUORUM_ALLOW_TEST_DOUBLES. */
  allowTestDoubles?: boolean;
  /** Check the repo on the Hub before registering (admit-model.ts); null or omitted: no Hub checks. */
  admission?: AdmissionSettings | null;
}): Promise<{ id: string; tasksCreated: number }> {
  const { db, actor, input, now } = options;
  const allowTestDoubles = options.allowTestDoubles ?? areTestDoublesAllowed();
  assertNotFixtureRepo(input.repo, "repo", allowTestDoubles);
  if (input.baseModel) assertNotFixtureRepo(input.baseModel, "baseModel", allowTestDoubles);
  const existing = await db.model.findUnique({ where: { repo_revision: { repo: input.repo, revision: input.revision } } });
  if (existing) {
    throw new AppError("CONFLICT", `${input.repo}@${input.revision.slice(0, 7)} is already registered.`, {
      field: "revision",
      details: { modelId: existing.id },
    });
  }
  const quota = await getSubmitQuota({
    db,
    userId: actor.id,
    role: actor.role,
    now,
    required: options.normRequired,
    windowHours: options.normWindowHours,
  });
  if (!quota.canSubmit) {
    throw new AppError(
      "QUOTA",
      `Evaluate ${quota.remaining} more task${quota.remaining === 1 ? "" : "s"} to unlock submitting: Quorum asks ` +
        `${quota.required} valid results from your runners in the last ${quota.windowHours} h ` +
        `(you have ${quota.earned}). Start a runner: create a token on your account page, then ` +
        "`pnpm runner login --server <this site> --token <token>` and `pnpm runner start`.",
      { details: { quota } },
    );
  }
  let admission: Admission | null = null;
  if (options.admission && !(allowTestDoubles && isFixtureRepo(input.repo))) {
    admission = await admitModel(input, options.admission);
  }
  const weightFileHashes = (await options.listWeightFileHashes?.(input.repo, input.revision)) ?? [];
  await refuseExactReupload(db, weightFileHashes);
  const model = await db.$transaction(async (tx) => {
    const created = await tx.model.create({
      data: {
        repo: input.repo,
        revision: input.revision,
        weightType: input.weightType,
        baseModel: input.baseModel ?? null,
        precision: input.precision,
        submitterId: actor.id,
        weightFileHashes,
        contextLength: admission?.contextLength ?? null,
      },
    });
    await publishEvents(tx, [{ kind: "model.registered", modelId: created.id, payload: { repo: created.repo } }]);
    return created;
  }, TRANSACTION_OPTIONS);
  const { created } = await scheduleTasks({ db, now, epochMinutes: options.epochMinutes, modelIds: [model.id], depth: depthSettingsFromEnv() });
  return { id: model.id, tasksCreated: created };
}
