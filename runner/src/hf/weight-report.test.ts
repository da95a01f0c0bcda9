import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PythonRandom } from "@/lib/benchmarks/python-random";
import { cosineSimilarity, decodeValue, NEAR_DUPLICATE_COSINE, sampleIndices, SAMPLES_PER_TENSOR } from "@/lib/competitions/weight-fingerprint";
import { readWeightsReport } from "./weight-report";

/** A safetensors file: F32 tensors of the given shapes and values, plus one BF16 tensor. */
function safetensors(tensors: Record<string, { shape: number[]; values: Float32Array }>): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, { shape, values }] of Object.entries(tensors)) {
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, ...chunks]);
}

function randomWeights(seed: number, n: number): Float32Array {
  const rng = new PythonRandom(seed);
  return Float32Array.from({ length: n }, () => rng.getrandbits(16) / 65536 - 0.5);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "quorum-fingerprint-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function checkpoint(name: string, a: Float32Array, b: Float32Array): Promise<string> {
  const folder = path.join(dir, name);
  await import("node:fs/promises").then((fs) => fs.mkdir(folder));
  await writeFile(path.join(folder, "model-00001-of-00002.safetensors"), safetensors({ "layer.0.weight": { shape: [64, 64], values: a } }));
  await writeFile(path.join(folder, "model-00002-of-00002.safetensors"), safetensors({ "layer.1.weight": { shape: [32, 128], values: b } }));
  return folder;
}

describe("the weight fingerprint", () => {
  it("samples the positions CPython draws for the tensor's name and size", () => {
    // python3: random.Random(int(sha256(b"quorum-fingerprint-v1|model.layers.0.mlp.up_proj.weight|1048576").hexdigest(), 16)).randrange(1048576) x 8
    expect(sampleIndices("model.layers.0.mlp.up_proj.weight", 1048576)).toEqual([479635, 991063, 574555, 82332, 291030, 665699, 673222, 104480]);
  });

  it("decodes bf16 and f16 as the formats define them", () => {
    expect(decodeValue("BF16", Uint8Array.from([0x80, 0x3f]))).toBe(1); // 0x3f80
    expect(decodeValue("F16", Uint8Array.from([0x00, 0x3c]))).toBe(1); // 0x3c00
    expect(decodeValue("F16", Uint8Array.from([0x00, 0xc0]))).toBe(-2);
  });

  it("reads the parameter count from the headers and flags a noisy copy, not an independent model", async () => {
    const a = randomWeights(1, 4096);
    const b = randomWeights(2, 4096);
    const original = await readWeightsReport(await checkpoint("original", a, b), { hidden_size: 64 });
    expect(original!.parameterCount).toBe(8192);
    expect(original!.fingerprint).toHaveLength(2 * SAMPLES_PER_TENSOR);
    expect(original!.config).toEqual({ hidden_size: 64 });
    const index = sampleIndices("layer.0.weight", 4096)[0]!;
    expect(original!.fingerprint[0]).toBe(a[index]);

    const noise = new PythonRandom(9);
    const jitter = (values: Float32Array) => values.map((v) => v + (noise.getrandbits(16) / 65536 - 0.5) * 0.01);
    const copy = await readWeightsReport(await checkpoint("copy", jitter(a), jitter(b)), {});
    const other = await readWeightsReport(await checkpoint("other", randomWeights(3, 4096), randomWeights(4, 4096)), {});
    expect(cosineSimilarity(original!.fingerprint, copy!.fingerprint)).toBeGreaterThanOrEqual(NEAR_DUPLICATE_COSINE);
    expect(cosineSimilarity(original!.fingerprint, other!.fingerprint)).toBeLessThan(NEAR_DUPLICATE_COSINE);
    // The same files give the same report (what consensus compares).
    expect(await readWeightsReport(path.join(dir, "original"), { hidden_size: 64 })).toEqual(original);
  });

  it("refuses a header whose sizes do not add up, naming the file and tensor", async () => {
    const bad = safetensors({ w: { shape: [4], values: Float32Array.from([1, 2, 3, 4]) } });
    const text = bad.toString("latin1").replace('"shape":[4]', '"shape":[5]');
    const folder = path.join(dir, "bad");
    await import("node:fs/promises").then((fs) => fs.mkdir(folder));
    await writeFile(path.join(folder, "model.safetensors"), Buffer.from(text, "latin1"));
    await expect(readWeightsReport(folder, {})).rejects.toThrow(/model.safetensors: tensor w has 16 bytes, expected 20/);
  });
});
