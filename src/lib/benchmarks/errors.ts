/**
 * Errors the benchmark module throws. Both carry enough to name what is wrong without a stack trace: the runner,
 * the server (which maps BenchmarkInputError to INVALID_OUTPUTS / WRONG_ITEMS) and `pnpm score` print `message`.
 */

/** Bad outputs or engine responses: an unknown or duplicate item, a malformed value, a wrong number of choices... */
export class BenchmarkInputError extends Error {
  /** The item the problem is about (`test/12`, `mc/3`), when known. */
  readonly item?: string;
  /** The field or request id at fault (`output`, `loglikelihoods.mc2`, `mc/3/mc1/0`), when known. */
  readonly field?: string;
  /** Position of the offending entry in the array that was passed in (0-based), when known. */
  readonly index?: number;

  constructor(message: string, options: { item?: string; field?: string; index?: number } = {}) {
    super(message);
    this.name = "BenchmarkInputError";
    this.item = options.item;
    this.field = options.field;
    this.index = options.index;
  }
}

/** A pinned dataset file is missing, unreadable, or not the bytes its sha256 says. Never recoverable. */
export class DatasetIntegrityError extends Error {
  readonly file: string;

  constructor(file: string, message: string) {
    super(message);
    this.name = "DatasetIntegrityError";
    this.file = file;
  }
}

/** A benchmark key that is not in the registry. */
export class UnknownBenchmarkError extends Error {
  readonly key: string;

  constructor(key: string, known: readonly string[]) {
    super(`unknown benchmark "${key}"; known benchmarks: ${known.join(", ")}`);
    this.name = "UnknownBenchmarkError";
    this.key = key;
  }
}
