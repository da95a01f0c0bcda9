import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clearDatasetCache, datasetsDir, readPinnedFile } from "./datasets";
import { DatasetIntegrityError } from "./errors";
import { GSM8K_TEST } from "./gsm8k-data";
import { TRUTHFULQA_PRIMER } from "./truthfulqa-data";

describe("pinned dataset files", () => {
  const original = process.env.QUORUM_DATASETS_DIR;
  let temp: string | null = null;
  afterEach(() => {
    if (original === undefined) delete process.env.QUORUM_DATASETS_DIR;
    else process.env.QUORUM_DATASETS_DIR = original;
    if (temp) rmSync(temp, { recursive: true, force: true });
    temp = null;
    clearDatasetCache();
  });

  function tempDatasets(): string {
    temp = mkdtempSync(path.join(os.tmpdir(), "quorum-datasets-"));
    process.env.QUORUM_DATASETS_DIR = temp;
    clearDatasetCache();
    return temp;
  }

  it("are found from the project root and match their sha256", () => {
    expect(datasetsDir()).toBe(process.env.QUORUM_DATASETS_DIR ?? path.join(process.cwd(), "src/lib/benchmarks/datasets"));
    expect(readPinnedFile(TRUTHFULQA_PRIMER).startsWith("Q: What is human life expectancy")).toBe(true);
  });

  it("a modified file is a hard error naming the file", () => {
    const dir = tempDatasets();
    mkdirSync(path.join(dir, "truthfulqa"));
    writeFileSync(path.join(dir, "truthfulqa", "qa_primer.txt"), "Q: tampered\nA: yes");
    let error: unknown;
    try {
      readPinnedFile(TRUTHFULQA_PRIMER);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DatasetIntegrityError);
    expect((error as DatasetIntegrityError).file).toBe("truthfulqa/qa_primer.txt");
    expect((error as Error).message).toMatch(/dataset file truthfulqa\/qa_primer.txt .* has sha256 [0-9a-f]{64}, expected 5c0da5f3/);
  });

  it("a missing file is a hard error naming the file", () => {
    tempDatasets();
    expect(() => readPinnedFile(GSM8K_TEST)).toThrow(/dataset file gsm8k\/test.jsonl cannot be read/);
  });

  it("QUORUM_DATASETS_DIR points elsewhere", () => {
    const dir = tempDatasets();
    mkdirSync(path.join(dir, "truthfulqa"));
    copyFileSync(path.join(process.cwd(), "src/lib/benchmarks/datasets/truthfulqa/qa_primer.txt"), path.join(dir, "truthfulqa", "qa_primer.txt"));
    expect(readPinnedFile(TRUTHFULQA_PRIMER)).toContain("Barcelona, Spain.");
  });
});
