/**
 * Submits a signed result, safely repeatable: the client retries transport and server errors with backoff, and a
 * result the server already stored (ALREADY_SUBMITTED) counts as success. A signature that went stale while the
 * result waited is renewed once. Outcomes the server will never accept (lease expired, bad signature...) come back
 * as `rejected`, so the caller can drop the result and say why.
 */
import type { TQuorumErrorCode, TSubmitResultRequest } from "@/lib/protocol/runner-api";
import { RunnerApiError, type RunnerApi, type TSubmitResultResponse } from "./api-client";
import { resignSubmission } from "./evaluate";
import type { Logger } from "./log";
import type { Progress } from "./progress";

export type SubmitReport =
  | { status: "stored"; response: TSubmitResultResponse }
  | { status: "already-submitted"; message: string }
  | { status: "rejected"; code: TQuorumErrorCode | null; message: string; hint: string };

const HINTS: Partial<Record<TQuorumErrorCode, string>> = {
  LEASE_EXPIRED: "The claim's lease ran out before the result arrived; the task went back to the queue. Nothing to do.",
  CLAIM_NOT_FOUND: "The server no longer knows this claim (released, expired or reassigned). Nothing to do.",
  BAD_SIGNATURE: "The server could not verify the signature: was this result made by another runner config? Log in again if the key changed.",
  WRONG_ITEMS: "The result does not cover the task's items; this is a runner bug, please report it.",
  INVALID_OUTPUTS: "The server refused the outputs; see the message. This is a runner or engine bug, please report it.",
  NOT_ALLOWED: "This token may not submit results: create one with the task:submit scope and log in again.",
  UNAUTHENTICATED: "The token was refused: log in again with a valid token.",
};

export async function submitResult(options: {
  api: RunnerApi;
  submission: TSubmitResultRequest;
  privateKeyPem: string;
  logger: Logger;
  progress?: Progress;
  now?: () => Date;
}): Promise<SubmitReport> {
  const phase = options.progress?.start("submit", { unit: "steps", total: 1, label: "submit" });
  let submission = options.submission;
  for (let renewed = false; ; renewed = true) {
    try {
      const outcome = await options.api.submit(submission, {
        onAttempt: (attempt) => {
          if (attempt > 1) options.logger.info("submitting again", { attempt });
        },
      });
      phase?.done(outcome.status === "stored" ? outcome.response.verdict.toLowerCase() : "already stored");
      return outcome;
    } catch (error) {
      if (!(error instanceof RunnerApiError)) {
        phase?.fail((error as Error).message);
        throw error;
      }
      if (error.quorumCode === "STALE_SIGNATURE" && !renewed) {
        options.logger.info("the signature went stale while the result waited; signing it again");
        submission = resignSubmission(submission, options.privateKeyPem, options.now?.() ?? new Date());
        continue;
      }
      if (error.isRetryable) {
        phase?.fail(error.message);
        throw error;
      }
      phase?.fail(error.message);
      return {
        status: "rejected",
        code: error.quorumCode,
        message: error.message,
        hint: (error.quorumCode && HINTS[error.quorumCode]) || error.hint,
      };
    }
  }
}
