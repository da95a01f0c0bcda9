import { formatInterval, formatPercent } from "@/app/_lib/format";

export interface ScoreSummary {
  mean: number;
  n: number;
  lo: number;
  hi: number;
}

/**
 * A score with its n and 95% interval, drawn inline: a track for [0, 100%], the interval as a band, the mean as a
 * dot. The numbers are always in the text too, so the drawing is decoration for screen readers.
 */
export function ScoreInterval({
  summary,
  width = 88,
  unit = "percent",
}: {
  summary: ScoreSummary | null | undefined;
  width?: number;
  /** number: an unbounded value (perplexity, bits per byte), drawn on a track from 0 to its upper bound. */
  unit?: "percent" | "number";
}) {
  if (!summary) {
    return (
      <span className="text-zinc-400 dark:text-zinc-500" title="No accepted task yet">
        —
      </span>
    );
  }
  const scale = unit === "number" ? Math.max(summary.hi, 1e-9) : 1;
  const x = (value: number) => Math.min(width - 2, Math.max(2, 2 + (value / scale) * (width - 4)));
  const show = (value: number) => (unit === "number" ? value.toFixed(3) : formatPercent(value));
  const range = unit === "number" ? `[${show(summary.lo)}, ${show(summary.hi)}]` : formatInterval(summary.lo, summary.hi);
  const description = `${show(summary.mean)}, 95% interval ${range}, n = ${summary.n}`;
  return (
    <span className="inline-flex min-w-[5.5rem] flex-col gap-0.5" title={description}>
      <span className="font-mono text-sm font-medium tabular-nums">{show(summary.mean)}</span>
      <svg width={width} height={8} aria-hidden="true" className="overflow-visible">
        <rect x={2} y={3.25} width={width - 4} height={1.5} rx={0.75} className="fill-zinc-200 dark:fill-zinc-700" />
        <rect
          x={x(summary.lo)}
          y={1}
          width={Math.max(1.5, x(summary.hi) - x(summary.lo))}
          height={6}
          rx={3}
          className="fill-sky-300/80 dark:fill-sky-700/80"
        />
        <circle cx={x(summary.mean)} cy={4} r={2.5} className="fill-sky-700 dark:fill-sky-300" />
      </svg>
      <span className="whitespace-nowrap font-mono text-[11px] leading-tight text-zinc-500 tabular-nums dark:text-zinc-400">
        n={summary.n} · {range}
      </span>
    </span>
  );
}
