/**
 * The weight fingerprint: what the runner reports about a checkpoint's weights so the server can tell near-duplicate
 * uploads apart (pure; the file reads are passed in). Identical on every machine, for the same files:
 *
 *  - Tensors are read from the safetensors headers (8-byte little-endian header length, then a JSON header mapping
 *    tensor names to dtype, shape and data_offsets relative to the end of the header), over all `*.safetensors`
 *    files, ordered by tensor name (code-unit order); the first MAX_TENSORS floating-point tensors are used.
 *  - From each tensor, SAMPLES_PER_TENSOR element indices are drawn with CPython's generator
 *    (`random.Random(int(sha256("quorum-fingerprint-v1|<name>|<element count>"), 16)).randrange(count)`), so two
 *    checkpoints of one architecture are sampled at the same positions.
 *  - Each sampled value is decoded (F32, F16, BF16, F64) and rounded to float32; the fingerprint is the concatenation.
 *  - The parameter count is the sum of the element counts of every tensor in every file.
 *
 * Two fingerprints are compared by cosine similarity; 0.95 or more (the Albedo seed's threshold) marks a
 * near-duplicate. A copy with small noise added keeps a cosine near 1; independently trained weights of one
 * architecture sit near 0. Fine-tunes of one base with small updates also come out near 1, so the server flags a
 * near-duplicate only across different submitters (see docs/competitions.md).
 */
import { PythonRandom } from "@/lib/benchmarks/python-random";
import { sha256Hex } from "@/lib/benchmarks/sha256";

export const FINGERPRINT_VERSION = "quorum-fingerprint-v1";
export const SAMPLES_PER_TENSOR = 8;
export const MAX_TENSORS = 2048;
export const NEAR_DUPLICATE_COSINE = 0.95;

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const ALL_BYTES: Record<string, number> = { ...BYTES, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 };

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the tensor's data in its file. */
  start: number;
  count: number;
}

/** Parses a safetensors header (the first 8 + N bytes of the file). Throws a clear error on a malformed one. */
export function parseSafetensorsHeader(headerJson: string, headerLength: number, fileName: string): SafetensorsTensor[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerJson);
  } catch {
    throw new Error(`${fileName}: the safetensors header is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${fileName}: the safetensors header is not an object`);
  const tensors: SafetensorsTensor[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info?.dtype !== "string" || !Array.isArray(info.shape) || !Array.isArray(info.data_offsets)) {
      throw new Error(`${fileName}: tensor ${name} lacks dtype, shape or data_offsets`);
    }
    const shape = info.shape.map(Number);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${fileName}: tensor ${name} has a bad shape`);
    const count = shape.reduce((x, y) => x * y, 1);
    const [begin, end] = info.data_offsets.map(Number) as [number, number];
    const size = ALL_BYTES[info.dtype];
    if (size !== undefined && end - begin !== count * size) {
      throw new Error(`${fileName}: tensor ${name} has ${end - begin} bytes, expected ${count * size} for ${info.dtype} ${JSON.stringify(shape)}`);
    }
    tensors.push({ name, dtype: info.dtype, shape, start: 8 + headerLength + begin, count });
  }
  return tensors;
}

/** Element indices sampled from a tensor: the same on every machine for the same name and size. */
export function sampleIndices(name: string, count: number, samples = SAMPLES_PER_TENSOR): number[] {
  if (count <= 0) return [];
  const rng = new PythonRandom(BigInt(`0x${sha256Hex(`${FINGERPRINT_VERSION}|${name}|${count}`)}`));
  const out: number[] = [];
  // randbelow covers counts below 2^32; larger tensors draw a high and a low part.
  for (let i = 0; i < samples; i++) {
    out.push(count < 0xffffffff ? rng.randbelow(count) : (rng.randbelow(Math.floor(count / 0x100000000) + 1) * 0x100000000 + rng.getrandbits(32)) % count);
  }
  return out;
}

function bf16(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

function f16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Decodes one little-endian element. */
export function decodeValue(dtype: string, bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "F32":
      return view.getFloat32(0, true);
    case "F64":
      return Math.fround(view.getFloat64(0, true));
    case "F16":
      return f16(view.getUint16(0, true));
    case "BF16":
      return bf16(view.getUint16(0, true));
    default:
      throw new Error(`no decoder for ${dtype}`);
  }
}

export interface WeightsReport {
  fingerprint: number[];
  parameterCount: number;
  /** config.json's top-level keys (the size-class locks compare them). */
  config: Record<string, unknown>;
}

export interface SafetensorsFile {
  name: string;
  tensors: SafetensorsTensor[];
  read: (offset: number, length: number) => Promise<Uint8Array>;
}

/** The report for a set of safetensors files (headers already parsed) and their config.json. */
export async function computeWeightsReport(files: readonly SafetensorsFile[], config: Record<string, unknown>): Promise<WeightsReport> {
  let parameterCount = 0;
  const floating: { tensor: SafetensorsTensor; file: SafetensorsFile }[] = [];
  for (const file of files) {
    for (const tensor of file.tensors) {
      parameterCount += tensor.count;
      if (BYTES[tensor.dtype] !== undefined && tensor.count > 0) floating.push({ tensor, file });
    }
  }
  floating.sort((a, b) => (a.tensor.name < b.tensor.name ? -1 : a.tensor.name > b.tensor.name ? 1 : 0));
  const fingerprint: number[] = [];
  for (const { tensor, file } of floating.slice(0, MAX_TENSORS)) {
    const size = BYTES[tensor.dtype]!;
    for (const index of sampleIndices(tensor.name, tensor.count)) {
      const value = decodeValue(tensor.dtype, await file.read(tensor.start + index * size, size));
      fingerprint.push(Number.isFinite(value) ? value : 0);
    }
  }
  return { fingerprint, parameterCount, config };
}

/** Cosine similarity of two fingerprints; 0 when their lengths differ (another architecture) or one is all zeros. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
