import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detectGpus, gpuLabel, integrateKwh, parseGpuQuery, parsePowerDraw, selectGpus, startPowerMeter, type CommandRunner } from "./gpu";

// Captured with nvidia-smi 580.159.04 on an NVIDIA H200 (runner/src/test-data).
const H200_QUERY = readFileSync(path.join(import.meta.dirname, "test-data/nvidia-smi-query-h200.txt"), "utf8");
const H200_POWER = readFileSync(path.join(import.meta.dirname, "test-data/nvidia-smi-power-h200.txt"), "utf8");

describe("nvidia-smi parsing", () => {
  it("reads the GPU query of a real H200", () => {
    const gpus = parseGpuQuery(H200_QUERY);
    expect(gpus).toEqual([
      {
        index: 0,
        name: "NVIDIA H200",
        uuid: "GPU-2e35a520-2e15-c4bc-a847-e7c408467c17",
        memoryMiB: 143771,
        driverVersion: "580.159.04",
        powerDrawW: 130.89,
        powerLimitW: 700,
      },
    ]);
    expect(gpuLabel(gpus)).toBe("NVIDIA H200");
  });

  it("handles several boards, [N/A] readings and device selection", () => {
    const two = parseGpuQuery("0, NVIDIA H100 80GB HBM3, GPU-a, 81559, 550.54, 70.1, 700.00\n1, NVIDIA H100 80GB HBM3, GPU-b, 81559, 550.54, [N/A], 700.00\n");
    expect(two[1]!.powerDrawW).toBeNull();
    expect(gpuLabel(two)).toBe("2x NVIDIA H100 80GB HBM3");
    expect(selectGpus(two, "all")).toHaveLength(2);
    expect(selectGpus(two, ["1"]).map((g) => g.uuid)).toEqual(["GPU-b"]);
    expect(selectGpus(two, ["GPU-a"]).map((g) => g.index)).toEqual([0]);
    expect(selectGpus(two, null)).toEqual([]);
    expect(parsePowerDraw("0, 70.5\n1, 100.25\n", [0, 1])).toBeCloseTo(170.75);
    expect(parsePowerDraw("0, 70.5\n1, 100.25\n", [1])).toBeCloseTo(100.25);
    expect(parsePowerDraw("0, [N/A]\n", [0])).toBeNull();
    expect(parsePowerDraw(H200_POWER.split("\n")[0]!, [0])).toBeCloseTo(130.89);
    expect(gpuLabel([])).toBeNull();
  });

  it("finds no GPU when there is no nvidia-smi, and reports other failures", async () => {
    const missing: CommandRunner = () => Promise.reject(Object.assign(new Error("spawn nvidia-smi ENOENT"), { code: "ENOENT" }));
    expect(await detectGpus(missing)).toEqual({ gpus: [], error: null });
    const broken: CommandRunner = () => Promise.reject(new Error("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"));
    expect((await detectGpus(broken)).error).toMatch(/couldn't communicate/);
  });
});

describe("energy", () => {
  it("integrates power over time (trapezoids) into kWh", () => {
    // 1 kW for one hour = 1 kWh; a ramp 0 -> 1 kW over an hour = 0.5 kWh.
    expect(integrateKwh([{ at: 0, watts: 1000 }, { at: 3_600_000, watts: 1000 }])).toBeCloseTo(1);
    expect(integrateKwh([{ at: 0, watts: 0 }, { at: 3_600_000, watts: 1000 }])).toBeCloseTo(0.5);
    expect(integrateKwh([{ at: 0, watts: 1000 }])).toBeNull();
  });

  it("samples the selected boards while running, with the injected clock", async () => {
    let t = 0;
    const readings = H200_POWER.trim().split("\n");
    let call = 0;
    const run: CommandRunner = async () => {
      t += 1000;
      return readings[Math.min(call++, readings.length - 1)]!;
    };
    const meter = startPowerMeter({ gpus: parseGpuQuery(H200_QUERY), intervalMs: 5, run, now: () => t });
    await new Promise((resolve) => setTimeout(resolve, 40));
    const result = await meter.stop();
    expect(result.samples).toBeGreaterThanOrEqual(3);
    // Between ~94 W and ~131 W for (samples - 1) seconds.
    const seconds = result.samples - 1;
    expect(result.energyKwh!).toBeGreaterThan((94 * seconds) / 3.6e6);
    expect(result.energyKwh!).toBeLessThan((131 * seconds) / 3.6e6);
  });

  it("gives null energy, not 0, when the boards report no power", async () => {
    const meter = startPowerMeter({ gpus: parseGpuQuery(H200_QUERY), intervalMs: 5, run: async () => "0, [N/A]\n" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await meter.stop()).energyKwh).toBeNull();
  });
});
