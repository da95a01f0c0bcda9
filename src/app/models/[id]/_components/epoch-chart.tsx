"use client";

import { Area, CartesianGrid, ComposedChart, ErrorBar, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDateTime, formatInterval, formatPercent, metricLabel } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/router-types";

type Series = RouterOutputs["result"]["listEpochScores"][number];

interface Datum {
  label: string;
  epoch: number;
  mean: number;
  band: [number, number];
  whisker: [number, number];
  n: number;
  lo: number;
  hi: number;
}

/** Accepted score per epoch (the line) with each task's 95% interval (the band and whiskers), 0-100%. */
export function EpochChart({ series }: { series: Series }) {
  const data: Datum[] = series.points.map((point) => ({
    label: formatDateTime(new Date(point.startsAt)).slice(5, 16),
    epoch: point.epoch,
    mean: point.mean * 100,
    band: [point.lo * 100, point.hi * 100],
    whisker: [(point.mean - point.lo) * 100, (point.hi - point.mean) * 100],
    n: point.n,
    lo: point.lo,
    hi: point.hi,
  }));
  const title = `${series.name}: ${metricLabel(series.primaryMetric)} per epoch`;
  return (
    <figure className="space-y-2 rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <figcaption className="text-sm font-medium">{title}</figcaption>
      <div className="h-56 text-zinc-500 dark:text-zinc-400">
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 520, height: 224 }}>
          <ComposedChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: -12 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} />
            <XAxis dataKey="label" tick={{ fill: "currentColor", fontSize: 11 }} stroke="currentColor" />
            <YAxis
              domain={[0, 100]}
              ticks={[0, 25, 50, 75, 100]}
              unit="%"
              tick={{ fill: "currentColor", fontSize: 11 }}
              stroke="currentColor"
            />
            <Tooltip content={<ChartTooltip />} />
            <Area
              type="linear"
              dataKey="band"
              name="95% interval"
              stroke="none"
              fill="#38bdf8"
              fillOpacity={0.25}
              isAnimationActive={false}
            />
            <Line
              type="linear"
              dataKey="mean"
              name="Accepted score"
              stroke="#0284c7"
              strokeWidth={2}
              dot={{ r: 3, fill: "#0284c7" }}
              isAnimationActive={false}
            >
              <ErrorBar dataKey="whisker" width={6} stroke="#0284c7" strokeOpacity={0.7} direction="y" isAnimationActive={false} />
            </Line>
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <details className="text-xs">
        <summary className="cursor-pointer text-zinc-600 dark:text-zinc-400">Show the data as a table</summary>
        <table className="mt-2 w-full">
          <caption className="sr-only">{title}</caption>
          <thead className="text-left text-zinc-500 dark:text-zinc-400">
            <tr>
              <th scope="col">Epoch start</th>
              <th scope="col">Score</th>
              <th scope="col">95% interval</th>
              <th scope="col">n</th>
            </tr>
          </thead>
          <tbody className="font-mono tabular-nums">
            {data.map((datum) => (
              <tr key={datum.epoch}>
                <td>{datum.label}</td>
                <td>{formatPercent(datum.mean / 100)}</td>
                <td>{formatInterval(datum.lo, datum.hi)}</td>
                <td>{datum.n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function ChartTooltip({ active, payload }: { active?: boolean; payload?: { payload: Datum }[] }) {
  const datum = payload?.[0]?.payload;
  if (!active || !datum) return null;
  return (
    <div className="rounded-md border border-zinc-200 bg-white px-3 py-2 text-xs shadow-sm dark:border-zinc-700 dark:bg-zinc-900">
      <div className="font-medium">epoch {datum.epoch}</div>
      <div>{datum.label} UTC</div>
      <div className="font-mono">
        {formatPercent(datum.mean / 100)} [{formatInterval(datum.lo, datum.hi)}], n = {datum.n}
      </div>
    </div>
  );
}
