"use client";

/**
 * Search, filters, the view (scores or green) and, on a phone where there are no column headings, the sort. The
 * search box applies after a short pause in typing; everything else applies at once. Plain form controls with
 * labels: usable with a keyboard alone.
 */
import { useEffect, useRef, useState } from "react";
import type { BoardColumn, BoardView } from "@/app/_components/board/board-columns";
import { PRECISION_LABELS, WEIGHT_TYPE_LABELS } from "@/app/_lib/format";
import type { TSortOrder } from "@/lib/leaderboard/board-query";

const SEARCH_DELAY_MS = 250;

export function BoardFilters({
  q,
  weightType,
  precision,
  view,
  sort,
  order,
  columns,
  summary,
  onChange,
}: {
  q: string;
  weightType: string;
  precision: string;
  view: BoardView;
  sort: string;
  order: TSortOrder;
  columns: BoardColumn[];
  summary: string;
  onChange: (change: {
    q?: string;
    weightType?: string;
    precision?: string;
    view?: BoardView;
    sort?: { sort: string; order: TSortOrder };
    isTyping?: boolean;
  }) => void;
}) {
  const [text, setText] = useState(q);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The URL may change under the box (Back, a link): follow it unless the reader is typing.
  useEffect(() => {
    if (!timer.current) setText(q);
  }, [q]);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const sortable = columns.filter((column) => column.sort !== null && column.key !== "co2");
  return (
    <div role="search" aria-label="Filter models" className="flex flex-wrap items-end gap-3">
      <label className="flex w-full flex-col gap-1 text-xs font-medium text-zinc-600 sm:w-auto dark:text-zinc-400">
        Search models
        <input
          type="search"
          value={text}
          onChange={(event) => {
            const value = event.target.value;
            setText(value);
            if (timer.current) clearTimeout(timer.current);
            timer.current = setTimeout(() => {
              timer.current = null;
              onChange({ q: value, isTyping: true });
            }, SEARCH_DELAY_MS);
          }}
          // Leaving the box applies a pending search at once: a reader who types and then follows a link (focus
          // leaves on mousedown, before the click) must not be pulled back to the board by the delayed URL update.
          onBlur={(event) => {
            if (!timer.current) return;
            clearTimeout(timer.current);
            timer.current = null;
            onChange({ q: event.target.value, isTyping: true });
          }}
          placeholder="repo, submitter or base model"
          className="w-full rounded-md border border-zinc-300 bg-transparent px-3 py-1.5 text-sm font-normal text-zinc-900 sm:w-64 dark:border-zinc-700 dark:text-zinc-100"
        />
      </label>
      <Select label="Weight type" value={weightType} onChange={(value) => onChange({ weightType: value })} options={lowerKeys(WEIGHT_TYPE_LABELS)} />
      <Select label="Precision" value={precision} onChange={(value) => onChange({ precision: value })} options={lowerKeys(PRECISION_LABELS)} />
      <Select
        label="View"
        value={view}
        onChange={(value) => onChange({ view: value === "green" ? "green" : "scores" })}
        options={{ scores: "Scores", green: "Green (energy, CO₂, score per kWh)" }}
        hasAll={false}
      />
      <label className="flex w-full min-w-0 flex-col gap-1 text-xs font-medium text-zinc-600 md:hidden dark:text-zinc-400">
        Sort by
        <select
          value={`${sort} ${order}`}
          onChange={(event) => {
            const [nextSort, nextOrder] = event.target.value.split(" ");
            onChange({ sort: { sort: nextSort!, order: nextOrder === "asc" ? "asc" : "desc" } });
          }}
          className="w-full min-w-0 rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm font-normal text-zinc-900 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100"
        >
          {sortable.flatMap((column) => {
            const name = `${column.label}${column.sublabel ? ` ${column.sublabel}` : ""}`;
            const best = column.defaultOrder;
            const worst: TSortOrder = best === "asc" ? "desc" : "asc";
            return [
              <option key={`${column.sort} ${best}`} value={`${column.sort} ${best}`}>
                {name} {best === "asc" ? "↑" : "↓"}
              </option>,
              <option key={`${column.sort} ${worst}`} value={`${column.sort} ${worst}`}>
                {name} {worst === "asc" ? "↑" : "↓"}
              </option>,
            ];
          })}
        </select>
      </label>
      <p className="text-xs text-zinc-600 md:ml-auto dark:text-zinc-400" aria-live="polite">
        {summary}
      </p>
    </div>
  );
}

function lowerKeys(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([key, label]) => [key.toLowerCase(), label]));
}

function Select({
  label,
  value,
  onChange,
  options,
  hasAll = true,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: Record<string, string>;
  hasAll?: boolean;
}) {
  return (
    <label className="flex max-w-full min-w-0 flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
      {label}
      <select
        value={value}
        onChange={(event) => onChange(event.target.value)}
        className="max-w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm font-normal text-zinc-900 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100"
      >
        {hasAll ? <option value="">All</option> : null}
        {Object.entries(options).map(([key, text]) => (
          <option key={key} value={key}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
