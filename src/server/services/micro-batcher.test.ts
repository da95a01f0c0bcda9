import { describe, expect, it } from "vitest";
import { createMicroBatcher } from "@/server/services/micro-batcher";

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe("createMicroBatcher", () => {
  it("sends a lone call at once and groups calls that arrive while a batch is on its way", async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const batcher = createMicroBatcher<number, number>({
      maxBatch: 10,
      maxInFlight: 1,
      run: async (inputs) => {
        batches.push(inputs);
        if (batches.length === 1) await gate.promise;
        return inputs.map((n) => n * 2);
      },
    });
    const first = batcher.submit(1);
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    expect(batches).toEqual([[1]]);
    gate.release();
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it("caps batch size and the number of batches on their way", async () => {
    let inFlight = 0;
    let peak = 0;
    const sizes: number[] = [];
    const batcher = createMicroBatcher<number, number>({
      maxBatch: 3,
      maxInFlight: 2,
      run: async (inputs) => {
        sizes.push(inputs.length);
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return inputs;
      },
    });
    const results = await Promise.all(Array.from({ length: 11 }, (_, n) => batcher.submit(n)));
    expect(results).toEqual(Array.from({ length: 11 }, (_, n) => n));
    expect(Math.max(...sizes)).toBe(3);
    expect(peak).toBe(2);
  });

  it("rejects every call of a failed batch and goes on with the next", async () => {
    let calls = 0;
    const batcher = createMicroBatcher<string, string>({
      maxBatch: 10,
      maxInFlight: 1,
      run: async (inputs) => {
        calls++;
        if (calls === 1) throw new Error("database went away");
        return inputs.map((s) => s.toUpperCase());
      },
    });
    const failed = batcher.submit("a");
    const next = batcher.submit("b");
    await expect(failed).rejects.toThrow("database went away");
    await expect(next).resolves.toBe("B");
  });
});
