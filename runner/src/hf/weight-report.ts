/**
 * Reads the fetched checkpoint's safetensors headers and a fixed sample of values (src/lib/competitions/
 * weight-fingerprint.ts says which), after fetch-weights.ts has verified every file's hash: the weight fingerprint
 * and parameter count the runner reports with its result.
 */
import { open, readdir } from "node:fs/promises";
import path from "node:path";
import {
  computeWeightsReport,
  parseSafetensorsHeader,
  type SafetensorsFile,
  type WeightsReport,
} from "@/lib/competitions/weight-fingerprint";

/** Headers above this size are refused (the format caps them at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export async function readWeightsReport(snapshotDir: string, config: Record<string, unknown>): Promise<WeightsReport | null> {
  const names = (await readdir(snapshotDir, { recursive: true }))
    .map(String)
    .filter((name) => name.endsWith(".safetensors"))
    .sort();
  if (names.length === 0) return null;
  const handles = await Promise.all(names.map((name) => open(path.join(snapshotDir, name), "r")));
  try {
    const files: SafetensorsFile[] = [];
    for (const [i, handle] of handles.entries()) {
      const name = names[i]!;
      const prefix = Buffer.alloc(8);
      await handle.read(prefix, 0, 8, 0);
      const length = Number(prefix.readBigUInt64LE(0));
      if (!(length > 0 && length <= MAX_HEADER_BYTES)) throw new Error(`${name}: safetensors header length ${length} is out of range`);
      const header = Buffer.alloc(length);
      await handle.read(header, 0, length, 8);
      files.push({
        name,
        tensors: parseSafetensorsHeader(header.toString("utf8"), length, name),
        read: async (offset, size) => {
          const buffer = Buffer.alloc(size);
          const { bytesRead } = await handle.read(buffer, 0, size, offset);
          if (bytesRead !== size) throw new Error(`${name}: a tensor's data lies beyond the end of the file`);
          return buffer;
        },
      });
    }
    return await computeWeightsReport(files, config);
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
  }
}
