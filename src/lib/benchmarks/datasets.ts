/**
 * Loads the pinned dataset files under src/lib/benchmarks/datasets/. Every file is checked against its sha256 on
 * load (a mismatch is a hard error naming the file) and cached for the life of the process.
 *
 * The directory is `process.env.QUORUM_DATASETS_DIR ?? <cwd>/src/lib/benchmarks/datasets`: a Next.js production
 * server and tsx/vitest all run with the project root as cwd, and bundlers cannot rewrite `process.cwd()`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { DatasetIntegrityError } from "./errors";
import { sha256Hex } from "./sha256";

export interface PinnedFile {
  /** Path relative to the datasets directory, with forward slashes (`gsm8k/test.jsonl`). */
  file: string;
  sha256: string;
  /** SPDX identifier of the licence the file is distributed under. */
  licence: string;
}

const cache = new Map<string, string>();

export function datasetsDir(): string {
  return process.env.QUORUM_DATASETS_DIR ?? path.join(process.cwd(), "src/lib/benchmarks/datasets");
}

/** The file's text (UTF-8), after checking its sha256. Throws DatasetIntegrityError naming the file. */
export function readPinnedFile(pinned: PinnedFile): string {
  const fullPath = path.join(datasetsDir(), ...pinned.file.split("/"));
  const cached = cache.get(fullPath);
  if (cached !== undefined) return cached;
  let bytes: Buffer;
  try {
    bytes = readFileSync(fullPath);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetIntegrityError(pinned.file, `dataset file ${pinned.file} cannot be read at ${fullPath}: ${reason}`);
  }
  const actual = sha256Hex(bytes);
  if (actual !== pinned.sha256) {
    throw new DatasetIntegrityError(
      pinned.file,
      `dataset file ${pinned.file} (${fullPath}) has sha256 ${actual}, expected ${pinned.sha256}: ` +
        "the pinned data was modified or replaced",
    );
  }
  const text = bytes.toString("utf8");
  cache.set(fullPath, text);
  return text;
}

/** Forgets what was loaded (tests use it to point QUORUM_DATASETS_DIR elsewhere). */
export function clearDatasetCache(): void {
  cache.clear();
}

/** Parses JSON Lines text (LF, trailing newline allowed); `file` names the file in errors. */
export function parseJsonLines(text: string, file: string): unknown[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line, index) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new DatasetIntegrityError(file, `dataset file ${file} line ${index + 1} is not valid JSON`);
    }
  });
}
