/**
 * Domain errors. Services throw AppError with a user-facing message; the tRPC layer maps the code to an HTTP
 * status (401 not signed in, 403 signed in but not allowed, 404, 409, 400) and passes `code` on as
 * `data.quorumCode` so clients (the runner) can react without parsing messages.
 */
import type { TQuorumErrorCode } from "@/lib/protocol/runner-api";

export class AppError extends Error {
  constructor(
    readonly code: TQuorumErrorCode,
    message: string,
    readonly options: { field?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} was not found.`);
export const notAllowed = (message: string) => new AppError("NOT_ALLOWED", message);

/** Prisma's known request errors that carry meaning: P2002 unique violation, P2025 record not found. */
export function prismaErrorCode(error: unknown): string | null {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return /^P\d{4}$/.test(error.code) ? error.code : null;
  }
  return null;
}
