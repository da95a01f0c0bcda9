/**
 * Progress per phase (weights, image, items, submit): bars on a terminal, throttled `progress` events in `--json`
 * mode, occasional percentage lines when stderr is not a terminal, nothing at all in tests.
 */
import cliProgress from "cli-progress";
import type { Logger, LogSink } from "./log";

export type PhaseName = "weights" | "image" | "items" | "submit";
export type PhaseUnit = "bytes" | "items" | "steps";

export interface PhaseProgress {
  /** Absolute value; `total` may be learnt late (image pulls discover layer sizes as they go). */
  update(value: number, total?: number): void;
  done(detail?: string): void;
  fail(detail: string): void;
}

export interface Progress {
  start(phase: PhaseName, options: { unit: PhaseUnit; total?: number; label?: string }): PhaseProgress;
  /** Stops every bar; safe to call twice. */
  stop(): void;
}

export type ProgressMode = "bars" | "json" | "lines" | "silent";

export function pickProgressMode(options: { json: boolean; isTTY: boolean; quiet?: boolean }): ProgressMode {
  if (options.quiet) return "silent";
  if (options.json) return "json";
  return options.isTTY ? "bars" : "lines";
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "?";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatAmount(unit: PhaseUnit, value: number): string {
  return unit === "bytes" ? formatBytes(value) : String(Math.round(value));
}

export const silentProgress: Progress = {
  start: () => ({ update: () => {}, done: () => {}, fail: () => {} }),
  stop: () => {},
};

export interface CreateProgressOptions {
  mode: ProgressMode;
  logger: Logger & { setSink?(sink: LogSink): void; getSink?(): LogSink };
  /** Injected clock for throttling (tests). */
  now?: () => number;
  stream?: NodeJS.WriteStream;
}

export function createProgress(options: CreateProgressOptions): Progress {
  switch (options.mode) {
    case "silent":
      return silentProgress;
    case "json":
      return throttled(options, 500, (phase, unit, value, total, state, detail) =>
        options.logger.event("progress", { phase, unit, value, total: total ?? null, state, detail }),
      );
    case "lines":
      return throttled(options, 10_000, (phase, unit, value, total, state, detail) => {
        const amount = total ? `${formatAmount(unit, value)} / ${formatAmount(unit, total)}` : formatAmount(unit, value);
        const pct = total ? ` ${Math.floor((100 * value) / total)}%` : "";
        if (state === "running") options.logger.info(`${phase}:${pct} (${amount})`);
        else if (state === "done") options.logger.info(`${phase}: done${detail ? ` (${detail})` : ""}`);
        else options.logger.warn(`${phase}: failed: ${detail ?? ""}`);
      });
    case "bars":
      return bars(options);
  }
}

type Emit = (
  phase: PhaseName,
  unit: PhaseUnit,
  value: number,
  total: number | undefined,
  state: "running" | "done" | "failed",
  detail?: string,
) => void;

function throttled(options: CreateProgressOptions, intervalMs: number, emit: Emit): Progress {
  const now = options.now ?? (() => Date.now());
  return {
    start(phase, { unit, total: initialTotal }) {
      let total = initialTotal;
      let last = -Infinity;
      let value = 0;
      let finished = false;
      emit(phase, unit, 0, total, "running");
      last = now();
      return {
        update(v, t) {
          if (finished) return;
          value = v;
          if (t !== undefined) total = t;
          const time = now();
          if (time - last >= intervalMs) {
            last = time;
            emit(phase, unit, value, total, "running");
          }
        },
        done(detail) {
          if (finished) return;
          finished = true;
          emit(phase, unit, total ?? value, total ?? value, "done", detail);
        },
        fail(detail) {
          if (finished) return;
          finished = true;
          emit(phase, unit, value, total, "failed", detail);
        },
      };
    },
    stop: () => {},
  };
}

function bars(options: CreateProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  let multibar: cliProgress.MultiBar | null = null;
  let previousSink: LogSink | null = null;
  let active = 0;

  function ensure(): cliProgress.MultiBar {
    if (multibar) return multibar;
    multibar = new cliProgress.MultiBar(
      {
        stream,
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
        barsize: 28,
        format: (opts, params, payload: { phase: string; amount: string; status: string }) => {
          const bar = cliProgress.Format.BarFormat(params.progress, opts);
          const pct = `${Math.floor(params.progress * 100)}`.padStart(3);
          return `${payload.phase.padEnd(8)} ${bar} ${pct}% ${payload.amount}${payload.status ? `  ${payload.status}` : ""}`;
        },
      },
      cliProgress.Presets.shades_classic,
    );
    const bar = multibar;
    if (options.logger.setSink && options.logger.getSink) {
      previousSink = options.logger.getSink();
      const jsonWriter = previousSink.writeJson;
      options.logger.setSink({ writeHuman: (line) => bar.log(`${line}\n`), writeJson: jsonWriter });
    }
    return bar;
  }

  function release(): void {
    if (active > 0 || !multibar) return;
    multibar.stop();
    multibar = null;
    if (previousSink && options.logger.setSink) options.logger.setSink(previousSink);
    previousSink = null;
  }

  return {
    start(phase, { unit, total: initialTotal, label }) {
      const mb = ensure();
      active += 1;
      let total = initialTotal ?? 0;
      let value = 0;
      let finished = false;
      const amount = () => (total ? `${formatAmount(unit, value)}/${formatAmount(unit, total)}` : formatAmount(unit, value));
      const bar = mb.create(Math.max(total, 1), 0, { phase: label ?? phase, amount: amount(), status: "" });
      const finish = (status: string) => {
        if (finished) return;
        finished = true;
        bar.update(total > 0 ? total : 1, { phase: label ?? phase, amount: amount(), status });
        active -= 1;
        release();
      };
      return {
        update(v, t) {
          if (finished) return;
          value = v;
          if (t !== undefined && t !== total) {
            total = t;
            bar.setTotal(Math.max(total, 1));
          }
          bar.update(Math.min(value, Math.max(total, 1)), { phase: label ?? phase, amount: amount(), status: "" });
        },
        done: (detail) => finish(detail ? `done (${detail})` : "done"),
        fail: (detail) => {
          if (finished) return;
          finished = true;
          bar.update(value, { phase: label ?? phase, amount: amount(), status: `failed: ${detail}` });
          active -= 1;
          release();
        },
      };
    },
    stop() {
      active = 0;
      release();
    },
  };
}
