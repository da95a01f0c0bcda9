/**
 * A port of the parts of CPython's `random.Random` that Quorum needs to reproduce Python's draws bit for bit:
 * MT19937 seeded by `init_by_array` (what `random.Random(int)` does), `getrandbits(k)` for k <= 32,
 * `_randbelow` (the getrandbits rejection loop), `sample` (both the pool and the set branch) and `shuffle`.
 *
 * Why: lm-evaluation-harness draws GSM8K's few-shot exemplars with `random.Random(1234).sample(train_docs, 5)`,
 * one draw per test document in test-split order, and Quorum's item sampler uses `Random(seed).shuffle` so that
 * anyone can reproduce a task's items in three lines of Python. Sources: CPython Modules/_randommodule.c
 * (init_genrand, init_by_array, genrand_uint32, random_seed, getrandbits) and Lib/random.py (_randbelow_with_getrandbits,
 * sample, shuffle); golden vectors produced by CPython 3.11 are in fixtures/python-random.json.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class PythonRandom {
  /** The state words, held signed (same bits as CPython's uint32 words): V8 keeps int32 values unboxed, uint32 ones above 2^31 not. */
  private readonly mt = new Int32Array(N);
  private mti = N + 1;

  /** `random.Random(seed)` for a non-negative integer seed (a number up to 2^53, or a bigint of any size). */
  constructor(seed: number | bigint) {
    this.initByArray(seedToKey(seed));
  }

  /** The 32-bit words CPython passes to init_by_array for an int seed: |seed| in base 2^32, least significant first. */
  static keyOf(seed: number | bigint): number[] {
    return seedToKey(seed);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul((prev ^ (prev >>> 30)) >>> 0, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** genrand_uint32: the next 32-bit output of MT19937. */
  nextUint32(): number {
    if (this.mti >= N) this.twist();
    let y = this.mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Generates the next 624 words of state (genrand_uint32's refill). */
  private twist(): void {
    const mt = this.mt;
    {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
      }
      const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
      this.mti = 0;
    }
  }

  /**
   * The next outputs of genrand_uint32 in bulk: writes every output left in the current 624-word state into `out`
   * (at least 1, at most 624) and returns how many; the following call to this or nextUint32 continues after them.
   * For hot loops (the paired bootstrap draws hundreds of thousands per request).
   */
  fillBlock(out: Uint32Array): number {
    if (this.mti >= N) this.twist();
    const mt = this.mt;
    const start = this.mti;
    for (let i = start; i < N; i++) {
      let y = mt[i]!;
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      out[i - start] = y >>> 0;
    }
    this.mti = N;
    return N - start;
  }

  /** `getrandbits(k)` for 1 <= k <= 32 (CPython takes the top k bits of one 32-bit output). */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 1 || k > 32) throw new RangeError(`getrandbits supports 1..32 bits, got ${k}`);
    return this.nextUint32() >>> (32 - k);
  }

  /** `_randbelow_with_getrandbits(n)`: uniform in [0, n) for 1 <= n <= 2^32 - 1. Note k = n.bit_length(), not (n-1)'s. */
  randbelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new RangeError(`randbelow needs 1 <= n < 2^32, got ${n}`);
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /**
   * `sample(range(n), k)`: k distinct indices in selection order. Follows Lib/random.py exactly, including the
   * choice between the pool branch (small populations) and the set branch (large ones), which consume the
   * generator differently.
   */
  sampleIndices(n: number, k: number): number[] {
    if (!Number.isInteger(n) || !Number.isInteger(k) || k < 0 || k > n) {
      throw new RangeError("Sample larger than population or is negative");
    }
    const result: number[] = [];
    let setsize = 21;
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result.push(pool[j]!);
        pool[j] = pool[n - i - 1]!;
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        result.push(j);
      }
    }
    return result;
  }

  /** `shuffle(x)` in place (Fisher-Yates from the end, as Lib/random.py does). */
  shuffle<T>(x: T[]): T[] {
    for (let i = x.length - 1; i >= 1; i--) {
      const j = this.randbelow(i + 1);
      const tmp = x[i]!;
      x[i] = x[j]!;
      x[j] = tmp;
    }
    return x;
  }
}

function seedToKey(seed: number | bigint): number[] {
  let n: bigint;
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer or a bigint, got ${seed}`);
    n = BigInt(seed);
  } else {
    n = seed;
  }
  if (n < 0n) n = -n;
  const key: number[] = [];
  do {
    key.push(Number(n & 0xffffffffn));
    n >>= 32n;
  } while (n > 0n);
  return key;
}
