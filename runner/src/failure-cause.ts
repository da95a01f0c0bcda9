/**
 * What the runner tells the server about a failed evaluation. Problems of this machine (memory, disk, time, network,
 * its engine or Docker) are runner-side and never count against the model; only a model the runner could load but
 * the engine refused (unsupported architecture), weights it refused or could not verify, or a crash are model-side.
 * A task fails for everyone only when established runners of several volunteers report model-side causes.
 */
import type { TFailureCause } from "@/lib/protocol/runner-api";
import { DatasetFormatError } from "@/lib/benchmarks/community/families";
import { DatasetFetchError } from "@/lib/benchmarks/community/fetch-dataset";
import { EngineRunError } from "./engines/engine";
import { WeightsDownloadError } from "./hf/fetch-weights";
import { WeightsIntegrityError, WeightsRefusedError } from "./hf/weights-policy";

const ENGINE_CAUSES = {
  timeout: "timeout",
  oom: "out_of_memory",
  crash: "model_crash",
  "bad-output": "engine",
  aborted: "interrupted",
  "unsupported-model": "unsupported_architecture",
} as const satisfies Record<EngineRunError["failure"], TFailureCause>;

export function failureCauseOf(error: Error): TFailureCause {
  if (error instanceof EngineRunError) return ENGINE_CAUSES[error.failure];
  if (error instanceof WeightsRefusedError || error instanceof WeightsIntegrityError) return "no_weights";
  if (error instanceof WeightsDownloadError) return "download";
  // A community benchmark's dataset that cannot be downloaded or is not the pinned bytes: not the model's fault.
  if (error instanceof DatasetFetchError || error instanceof DatasetFormatError) return "download";
  if (/ENOSPC|no space left/i.test(error.message)) return "disk";
  return "other";
}
