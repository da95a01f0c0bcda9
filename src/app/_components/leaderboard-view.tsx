"use client";

import { useQuery } from "@tanstack/react-query";
import { clsx } from "clsx";
import Link from "next/link";
import { useMemo, useState } from "react";
import { LiveStatus } from "@/app/_components/live-status";
import { BOARD_EVENT_KINDS } from "@/lib/live-events";
import { RelativeTime } from "@/app/_components/relative-time";
import { ScoreInterval } from "@/app/_components/score-interval";
import { Badge } from "@/app/_components/status-badge";
import {
  benchmarkShortName,
  hubUrl,
  metricLabel,
  PRECISION_LABELS,
  shortCommit,
  WEIGHT_TYPE_LABELS,
} from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/router-types";
import { useTRPC } from "@/trpc/react";

type Board = RouterOutputs["leaderboard"]["get"];
type Entry = Board["entries"][number];
type SortDirection = "asc" | "desc";

interface Column {
  key: string;
  label: string;
  sublabel?: string;
  /** The value sorted by; null sorts last in either direction. */
  value: (entry: Entry) => number | string | null;
  defaultDirection: SortDirection;
}

const PAGE_SIZE = 50;

export function LeaderboardView({ initial, isPartial, total }: { initial: Board; isPartial: boolean; total: number }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.leaderboard.get.queryOptions(),
    initialData: isPartial ? undefined : initial,
    initialDataUpdatedAt: isPartial ? undefined : new Date(initial.generatedAt).getTime(),
    placeholderData: isPartial ? initial : undefined,
  });
  const board = query.data ?? initial;
  const isLoadingAll = isPartial && query.isPlaceholderData;

  const [search, setSearch] = useState("");
  const [weightType, setWeightType] = useState("");
  const [precision, setPrecision] = useState("");
  const [sort, setSort] = useState<{ key: string; direction: SortDirection }>({ key: "rank", direction: "asc" });
  const [page, setPage] = useState(0);

  const columns = useMemo<Column[]>(() => {
    const metricColumns = board.benchmarks.flatMap((benchmark) =>
      benchmark.metrics.map<Column>((metric) => {
        const lower = benchmark.lowerIsBetter?.includes(metric) ?? false;
        return {
          key: `${benchmark.id}:${metric}`,
          label: benchmarkShortName(benchmark.name),
          sublabel: lower ? `${metricLabel(metric)} ↓ lower is better` : metricLabel(metric),
          value: (entry) => entry.scores[benchmark.id]?.[metric]?.mean ?? null,
          defaultDirection: lower ? "asc" : "desc",
        };
      }),
    );
    return [
      { key: "rank", label: "Rank", value: (entry) => entry.rank, defaultDirection: "asc" },
      { key: "model", label: "Model", value: (entry) => entry.repo.toLowerCase(), defaultDirection: "asc" },
      ...metricColumns,
      { key: "overall", label: "Overall", value: (entry) => entry.overall?.mean ?? null, defaultDirection: "desc" },
      {
        key: "updated",
        label: "Updated",
        value: (entry) => (entry.updatedAt ? new Date(entry.updatedAt).getTime() : null),
        defaultDirection: "desc",
      },
    ];
  }, [board.benchmarks]);

  const tieCounts = useMemo(() => {
    const counts = new Map<number, number>();
    for (const entry of board.entries) if (entry.rank !== null) counts.set(entry.rank, (counts.get(entry.rank) ?? 0) + 1);
    return counts;
  }, [board.entries]);

  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const filtered = board.entries.filter(
      (entry) =>
        (!weightType || entry.weightType === weightType) &&
        (!precision || entry.precision === precision) &&
        (!needle ||
          entry.repo.toLowerCase().includes(needle) ||
          entry.submitter.toLowerCase().includes(needle) ||
          entry.revision.startsWith(needle) ||
          (entry.baseModel ?? "").toLowerCase().includes(needle)),
    );
    const column = columns.find((candidate) => candidate.key === sort.key) ?? columns[0]!;
    const sign = sort.direction === "asc" ? 1 : -1;
    return filtered
      .map((entry, index) => ({ entry, index }))
      .sort((a, b) => {
        const x = column.value(a.entry);
        const y = column.value(b.entry);
        if (x === null || y === null) return x === y ? a.index - b.index : x === null ? 1 : -1;
        const order = typeof x === "string" || typeof y === "string" ? String(x).localeCompare(String(y)) : x - y;
        return order * sign || a.index - b.index;
      })
      .map(({ entry }) => entry);
  }, [board.entries, columns, search, weightType, precision, sort]);

  const pageCount = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const currentPage = Math.min(page, pageCount - 1);
  const visible = rows.slice(currentPage * PAGE_SIZE, (currentPage + 1) * PAGE_SIZE);
  const isFiltered = search !== "" || weightType !== "" || precision !== "";

  const onSort = (column: Column) => {
    setSort((current) =>
      current.key === column.key
        ? { key: column.key, direction: current.direction === "asc" ? "desc" : "asc" }
        : { key: column.key, direction: column.defaultDirection },
    );
    setPage(0);
  };

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="max-w-3xl">
          <h1 className="text-2xl font-semibold">Leaderboard</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Open checkpoints scored by independent volunteer runners; a score appears once three of them agree. Every
            score shows its n (distinct items scored) and its 95% interval: the band is the interval, the dot the mean.
          </p>
          <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
            Unlike the harness, which scores every item of a benchmark&apos;s split, each Quorum task scores 5 sampled
            items, and scores pool the tasks accepted so far; intervals narrow as epochs add items.{" "}
            <Link href="/benchmarks" className="underline">
              How each benchmark is scored
            </Link>
            . Ranks are tied where 95% intervals overlap.
          </p>
        </div>
        <LiveStatus kinds={BOARD_EVENT_KINDS} />
      </div>

      {total === 0 && board.entries.length === 0 ? (
        <EmptyState />
      ) : (
        <>
          <div role="search" aria-label="Filter models" className="flex flex-wrap items-end gap-3">
            <label className="flex flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
              Search models
              <input
                type="search"
                value={search}
                onChange={(event) => {
                  setSearch(event.target.value);
                  setPage(0);
                }}
                placeholder="repo, submitter or base model"
                className="w-64 rounded-md border border-zinc-300 bg-transparent px-3 py-1.5 text-sm font-normal text-zinc-900 dark:border-zinc-700 dark:text-zinc-100"
              />
            </label>
            <FilterSelect
              label="Weight type"
              value={weightType}
              onChange={(value) => {
                setWeightType(value);
                setPage(0);
              }}
              options={WEIGHT_TYPE_LABELS}
            />
            <FilterSelect
              label="Precision"
              value={precision}
              onChange={(value) => {
                setPrecision(value);
                setPage(0);
              }}
              options={PRECISION_LABELS}
            />
            <p className="ml-auto text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
              {isLoadingAll
                ? `Loading all ${total} models…`
                : `${rows.length} of ${board.entries.length} model${board.entries.length === 1 ? "" : "s"}`}
            </p>
          </div>

          <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
            <table className="w-full min-w-[960px] text-sm">
              <caption className="sr-only">
                Models ranked by their overall score; select a column heading to sort by it.
              </caption>
              <thead className="bg-zinc-50 text-left text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
                <tr>
                  {columns.map((column) => {
                    const isSorted = sort.key === column.key;
                    return (
                      <th
                        key={column.key}
                        scope="col"
                        aria-sort={isSorted ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}
                        className="px-3 py-2 align-bottom font-medium"
                      >
                        <button
                          type="button"
                          onClick={() => onSort(column)}
                          className="inline-flex items-end gap-1 text-left hover:text-zinc-900 dark:hover:text-white"
                        >
                          <span>
                            {column.label}
                            {column.sublabel ? (
                              <span className="block font-normal text-zinc-500 dark:text-zinc-400">{column.sublabel}</span>
                            ) : null}
                          </span>
                          <span aria-hidden="true" className={clsx("text-[10px]", !isSorted && "opacity-30")}>
                            {isSorted && sort.direction === "asc" ? "▲" : "▼"}
                          </span>
                        </button>
                      </th>
                    );
                  })}
                  <th scope="col" className="px-3 py-2 align-bottom font-medium">
                    Work
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
                {visible.map((entry) => (
                  <Row key={entry.modelId} entry={entry} board={board} isTied={(tieCounts.get(entry.rank ?? -1) ?? 0) > 1} />
                ))}
              </tbody>
            </table>
            {rows.length === 0 ? (
              <div className="space-y-2 p-6 text-center text-sm text-zinc-600 dark:text-zinc-400">
                <p>No models match these filters.</p>
                {isFiltered ? (
                  <button
                    type="button"
                    className="underline"
                    onClick={() => {
                      setSearch("");
                      setWeightType("");
                      setPrecision("");
                    }}
                  >
                    Clear the filters
                  </button>
                ) : null}
              </div>
            ) : null}
          </div>

          {pageCount > 1 ? (
            <nav aria-label="Pages" className="flex items-center justify-between text-sm">
              <button
                type="button"
                disabled={currentPage === 0}
                onClick={() => setPage(currentPage - 1)}
                className="rounded-md border border-zinc-300 px-3 py-1.5 disabled:opacity-40 dark:border-zinc-700"
              >
                Previous
              </button>
              <span className="text-zinc-600 dark:text-zinc-400">
                Page {currentPage + 1} of {pageCount} · models {currentPage * PAGE_SIZE + 1}–
                {Math.min(rows.length, (currentPage + 1) * PAGE_SIZE)} of {rows.length}
              </span>
              <button
                type="button"
                disabled={currentPage >= pageCount - 1}
                onClick={() => setPage(currentPage + 1)}
                className="rounded-md border border-zinc-300 px-3 py-1.5 disabled:opacity-40 dark:border-zinc-700"
              >
                Next
              </button>
            </nav>
          ) : null}
        </>
      )}
    </div>
  );
}

function FilterSelect({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: Record<string, string>;
}) {
  return (
    <label className="flex flex-col gap-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
      {label}
      <select
        value={value}
        onChange={(event) => onChange(event.target.value)}
        className="rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm font-normal text-zinc-900 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100"
      >
        <option value="">All</option>
        {Object.entries(options).map(([key, text]) => (
          <option key={key} value={key}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

function Row({ entry, board, isTied }: { entry: Entry; board: Board; isTied: boolean }) {
  return (
    <tr className="align-top hover:bg-zinc-50 dark:hover:bg-zinc-900/60">
      <td className="px-3 py-3 font-mono text-sm tabular-nums">
        {entry.rank === null ? (
          <span className="text-zinc-400 dark:text-zinc-500" title="Ranked once every benchmark has an accepted score">
            —
          </span>
        ) : isTied ? (
          <span title="Tied: 95% intervals overlap with another model of this rank">
            ={entry.rank}
            <span className="sr-only"> (tied)</span>
          </span>
        ) : (
          entry.rank
        )}
      </td>
      <td className="max-w-xs px-3 py-3">
        <Link href={`/models/${entry.modelId}`} className="font-medium break-all text-sky-700 hover:underline dark:text-sky-400">
          {entry.repo}
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
          <a href={hubUrl(entry.repo, entry.revision)} className="font-mono hover:underline" title={entry.revision}>
            @{shortCommit(entry.revision)}
            <span className="sr-only"> on the Hugging Face Hub</span>
          </a>
          <Badge>{WEIGHT_TYPE_LABELS[entry.weightType]}</Badge>
          <Badge>{PRECISION_LABELS[entry.precision as keyof typeof PRECISION_LABELS] ?? entry.precision}</Badge>
          <span>by {entry.submitter}</span>
        </div>
        {entry.longContext ? (
          <div className="mt-1 text-xs text-zinc-600 dark:text-zinc-300" title="Long context: the largest tier passed (accuracy ≥ 85%) and the best QUASAR reward, min(accuracy × multiplier, 1)">
            long context: {entry.longContext.highestTierPassed ? `passes ${entry.longContext.highestTierPassed}` : "no tier passed"} · reward{" "}
            {entry.longContext.score.toFixed(2)}
          </div>
        ) : null}
        {entry.baseModel ? (
          <div className="mt-1 truncate text-xs text-zinc-500 dark:text-zinc-400" title={entry.baseModel}>
            base: {entry.baseModel.split("@")[0]}
          </div>
        ) : null}
      </td>
      {board.benchmarks.flatMap((benchmark) =>
        benchmark.metrics.map((metric) => (
          <td key={`${benchmark.id}:${metric}`} className="px-3 py-3">
            <ScoreInterval
              summary={entry.scores[benchmark.id]?.[metric]}
              unit={benchmark.lowerIsBetter?.includes(metric) ? "number" : "percent"}
            />
          </td>
        )),
      )}
      <td className="px-3 py-3">
        <ScoreInterval summary={entry.overall} />
      </td>
      <td className="px-3 py-3 text-xs whitespace-nowrap text-zinc-600 dark:text-zinc-400">
        {entry.updatedAt ? (
          <RelativeTime date={new Date(entry.updatedAt)} />
        ) : (
          <span>
            not scored yet
            <span className="block text-zinc-400 dark:text-zinc-500">
              registered <RelativeTime date={new Date(entry.createdAt)} />
            </span>
          </span>
        )}
      </td>
      <td className="px-3 py-3">
        <div className="flex flex-col items-start gap-1">
          {entry.disputedTasks > 0 ? (
            <Badge tone="danger" title="Runners disagreed on these tasks; see the model page for why">
              {entry.disputedTasks} disputed
            </Badge>
          ) : null}
          {entry.pendingTasks > 0 ? (
            <Badge tone="warning" title="Tasks queued or being evaluated">
              {entry.pendingTasks} pending
            </Badge>
          ) : null}
          {entry.disputedTasks === 0 && entry.pendingTasks === 0 ? (
            <span className="text-xs text-zinc-400 dark:text-zinc-500">up to date</span>
          ) : null}
        </div>
      </td>
    </tr>
  );
}

function EmptyState() {
  return (
    <section aria-label="Getting started" className="rounded-lg border border-dashed border-zinc-300 p-8 dark:border-zinc-700">
      <h2 className="text-lg font-medium">No models yet</h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
        Quorum is new here. Two steps put the first score on this page:
      </p>
      <ol className="mt-3 list-decimal space-y-2 pl-5 text-sm text-zinc-700 dark:text-zinc-300">
        <li>
          <Link className="font-medium underline" href="/submit">
            Register a model
          </Link>{" "}
          by its Hugging Face repo and commit.
        </li>
        <li>
          Start a runner to evaluate it: create a token on your{" "}
          <Link className="underline" href="/account">
            account page
          </Link>
          , then run{" "}
          <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">pnpm runner login --server URL --token TOKEN</code>{" "}
          and <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">pnpm runner start</code>.
        </li>
      </ol>
    </section>
  );
}
