/** The "what to do next" of any error the runner knows, for logs and the CLI. */
export function errorHint(error: unknown): string | undefined {
  if (error && typeof error === "object" && "hint" in error) {
    const hint = (error as { hint: unknown }).hint;
    if (typeof hint === "string" && hint) return hint;
  }
  if (error instanceof Error && error.name === "BenchmarkInputError") return "This is a runner or engine bug; please report it with the log above.";
  if (error instanceof Error && error.name === "UnknownBenchmarkError") return "Update the runner (git pull && pnpm install): the server uses a benchmark this runner does not know.";
  return undefined;
}
