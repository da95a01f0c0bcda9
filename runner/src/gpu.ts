/**
 * GPUs through `nvidia-smi`: detection (model names for results and claims, whether to ask Docker for GPUs) and
 * energy, measured by sampling the boards' power draw while the engine runs and integrating it over time.
 * The command runner is injected, so the parsing and the integration are tested with real nvidia-smi output
 * (runner/src/test-data, captured on an H200) on machines without a GPU.
 */
import { execFile } from "node:child_process";

export interface GpuInfo {
  index: number;
  name: string;
  uuid: string;
  memoryMiB: number | null;
  driverVersion: string;
  powerDrawW: number | null;
  powerLimitW: number | null;
}

export type CommandRunner = (command: string, args: string[], options: { timeoutMs: number }) => Promise<string>;

export const execCommand: CommandRunner = (command, args, { timeoutMs }) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
  });

const QUERY_FIELDS = "index,name,uuid,memory.total,driver_version,power.draw,power.limit";

function num(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value.trim());
  return value.trim() === "" || !Number.isFinite(n) ? null : n;
}

/** Parses `nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits`. "[N/A]" fields become null. */
export function parseGpuQuery(output: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of output.split("\n")) {
    if (!line.trim()) continue;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length < 7) continue;
    const index = num(cells[0]);
    if (index === null) continue;
    gpus.push({
      index,
      name: cells[1] ?? "unknown GPU",
      uuid: cells[2] ?? "",
      memoryMiB: num(cells[3]),
      driverVersion: cells[4] ?? "",
      powerDrawW: num(cells[5]),
      powerLimitW: num(cells[6]),
    });
  }
  return gpus;
}

/** The GPUs nvidia-smi sees; [] when there is no nvidia-smi (no NVIDIA driver) or it fails. */
export async function detectGpus(run: CommandRunner = execCommand): Promise<{ gpus: GpuInfo[]; error: string | null }> {
  try {
    const out = await run("nvidia-smi", [`--query-gpu=${QUERY_FIELDS}`, "--format=csv,noheader,nounits"], { timeoutMs: 10_000 });
    return { gpus: parseGpuQuery(out), error: null };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { gpus: [], error: null };
    return { gpus: [], error: (error as Error).message };
  }
}

/** Which of the detected GPUs a device request hands to the container. */
export function selectGpus(gpus: GpuInfo[], request: "all" | number | string[] | null): GpuInfo[] {
  if (request === null) return [];
  if (request === "all") return gpus;
  if (typeof request === "number") return gpus.slice(0, request);
  return gpus.filter((g) => request.includes(String(g.index)) || request.includes(g.uuid));
}

/** What results record as `gpu`: "NVIDIA H200", or "2x NVIDIA H100 80GB HBM3"; null without GPUs. */
export function gpuLabel(gpus: GpuInfo[]): string | null {
  if (gpus.length === 0) return null;
  const names = [...new Set(gpus.map((g) => g.name))];
  const label = names.length === 1 ? `${gpus.length > 1 ? `${gpus.length}x ` : ""}${names[0]}` : gpus.map((g) => g.name).join(" + ");
  return label.slice(0, 200);
}

export interface PowerSample {
  /** Milliseconds (monotonic clock). */
  at: number;
  /** Sum of the selected boards' draw, watts. */
  watts: number;
}

/** Trapezoidal integral of power over time, in kWh. Needs two samples; returns null with fewer. */
export function integrateKwh(samples: readonly PowerSample[]): number | null {
  if (samples.length < 2) return null;
  let joules = 0;
  for (let i = 1; i < samples.length; i += 1) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    joules += ((a.watts + b.watts) / 2) * ((b.at - a.at) / 1000);
  }
  return joules / 3_600_000;
}

/** Parses `nvidia-smi --query-gpu=index,power.draw --format=csv,noheader,nounits`: total watts of the chosen boards. */
export function parsePowerDraw(output: string, indices: readonly number[] | null): number | null {
  let total = 0;
  let seen = 0;
  for (const line of output.split("\n")) {
    const [indexCell, powerCell] = line.split(",");
    const index = num(indexCell);
    const watts = num(powerCell);
    if (index === null || watts === null) continue;
    if (indices && !indices.includes(index)) continue;
    total += watts;
    seen += 1;
  }
  return seen === 0 ? null : total;
}

export interface PowerMeter {
  stop(): Promise<{ energyKwh: number | null; samples: number; meanWatts: number | null }>;
}

/**
 * Samples the selected boards' power draw every `intervalMs` until stopped (one nvidia-smi call per sample, about
 * 25 ms on an H200). Boards that report no power ("[N/A]") give no samples and then energy is null, not 0.
 */
export function startPowerMeter(options: {
  gpus: GpuInfo[];
  intervalMs?: number;
  run?: CommandRunner;
  now?: () => number;
  onError?: (message: string) => void;
}): PowerMeter {
  const run = options.run ?? execCommand;
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 1000;
  const indices = options.gpus.map((g) => g.index);
  const samples: PowerSample[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let reportedError = false;

  const sample = async () => {
    try {
      const out = await run("nvidia-smi", ["--query-gpu=index,power.draw", "--format=csv,noheader,nounits"], { timeoutMs: 5000 });
      const watts = parsePowerDraw(out, indices);
      if (watts !== null) samples.push({ at: now(), watts });
    } catch (error) {
      if (!reportedError) {
        reportedError = true;
        options.onError?.(`power sampling failed: ${(error as Error).message}`);
      }
    }
  };
  const loop = () => {
    if (stopped) return;
    inFlight = sample().finally(() => {
      if (!stopped) timer = setTimeout(loop, interval);
    });
  };
  if (indices.length > 0) loop();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      if (indices.length > 0) await sample();
      const energyKwh = integrateKwh(samples);
      const meanWatts = samples.length ? samples.reduce((s, x) => s + x.watts, 0) / samples.length : null;
      return { energyKwh, samples: samples.length, meanWatts };
    },
  };
}
