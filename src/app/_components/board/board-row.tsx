/**
 * One model on the board: a table row on wide screens, a card on a phone (each cell labels itself there, and
 * secondary columns stay on the model page). Cells are chosen by column kind (board-columns.ts); a feature that
 * adds a cell (a selection checkbox, say) adds a column kind and a case here.
 */
import { clsx } from "clsx";
import Link from "next/link";
import type { BoardColumn } from "@/app/_components/board/board-columns";
import { CompareCheckbox } from "@/app/_components/board/board-compare";
import { RelativeTime } from "@/app/_components/relative-time";
import { ScoreInterval } from "@/app/_components/score-interval";
import { Badge } from "@/app/_components/status-badge";
import { hubUrl, PRECISION_LABELS, shortCommit, WEIGHT_TYPE_LABELS } from "@/app/_lib/format";
import { formatGrams, formatWh } from "@/lib/leaderboard/green";
import { toIntervalSummary, type TPublicModel } from "@/lib/leaderboard/public-board";

export function BoardRow({ entry, columns }: { entry: TPublicModel; columns: BoardColumn[] }) {
  return (
    <tr className="block border-b border-zinc-200 p-3 align-top last:border-b-0 md:table-row md:p-0 dark:border-zinc-800 md:hover:bg-zinc-50 md:dark:hover:bg-zinc-900/60">
      {columns.map((column) => (
        <td
          key={column.key}
          className={clsx(
            "md:table-cell md:px-3 md:py-3",
            column.isOnPhone ? "block py-1" : "hidden",
            column.kind === "rank" && "float-left mr-3 font-mono text-sm tabular-nums md:float-none md:mr-0",
            column.kind === "model" && "md:max-w-xs",
          )}
        >
          {column.kind !== "rank" && column.kind !== "model" ? (
            <span className="mr-2 inline-block min-w-24 align-top text-xs text-zinc-500 md:hidden dark:text-zinc-400">
              {column.label}
              {column.sublabel && column.kind === "metric" ? ` ${column.sublabel}` : ""}
            </span>
          ) : null}
          <Cell entry={entry} column={column} />
        </td>
      ))}
    </tr>
  );
}

function Cell({ entry, column }: { entry: TPublicModel; column: BoardColumn }) {
  switch (column.kind) {
    case "rank":
      return <RankCell entry={entry} />;
    case "model":
      return <ModelCell entry={entry} />;
    case "metric":
      return (
        <ScoreInterval
          summary={toIntervalSummary(entry.scores[column.benchmarkId!]?.[column.metric!])}
          unit={column.defaultOrder === "asc" ? "number" : "percent"}
        />
      );
    case "overall":
      return <ScoreInterval summary={toIntervalSummary(entry.overall)} />;
    case "energy":
      return entry.energy ? (
        <span className="text-sm tabular-nums">
          {formatWh(entry.energy.whPerItem)}
          {entry.energy.declared ? <DeclaredMark /> : null}
        </span>
      ) : (
        <NotMeasured />
      );
    case "co2":
      return entry.energy ? (
        <span className="text-sm tabular-nums">
          {formatGrams(entry.energy.co2gPerItem)}
          {entry.energy.declared ? <DeclaredMark /> : null}
        </span>
      ) : (
        <NotMeasured />
      );
    case "score_per_kwh":
      return entry.scorePerKwh === null ? (
        <NotMeasured />
      ) : (
        <span className="font-mono text-sm tabular-nums">{entry.scorePerKwh.toFixed(1)}</span>
      );
    case "updated":
      return (
        <span className="text-xs whitespace-nowrap text-zinc-600 dark:text-zinc-400">
          {entry.updatedAt ? (
            <RelativeTime date={new Date(entry.updatedAt)} />
          ) : (
            <>
              not scored yet
              <span className="block text-zinc-500 dark:text-zinc-400">
                registered <RelativeTime date={new Date(entry.registeredAt)} />
              </span>
            </>
          )}
        </span>
      );
    case "work":
      return <WorkCell entry={entry} />;
  }
}

function RankCell({ entry }: { entry: TPublicModel }) {
  if (entry.rank === null) {
    return (
      <span className="text-zinc-500 dark:text-zinc-400" title="Ranked once every benchmark has an accepted score">
        —<span className="sr-only">not ranked yet</span>
      </span>
    );
  }
  return entry.isTied ? (
    <span title="Tied: 95% intervals overlap with another model of this rank">
      ={entry.rank}
      <span className="sr-only"> (tied)</span>
    </span>
  ) : (
    <span>{entry.rank}</span>
  );
}

function ModelCell({ entry }: { entry: TPublicModel }) {
  const weightType = entry.weightType.toUpperCase() as keyof typeof WEIGHT_TYPE_LABELS;
  const precision = entry.precision.toUpperCase() as keyof typeof PRECISION_LABELS;
  return (
    <div className="min-w-0">
      <CompareCheckbox model={entry} />
      <Link href={`/models/${entry.id}`} className="font-medium break-all text-sky-700 hover:underline dark:text-sky-400">
        {entry.repo}
      </Link>
      <div className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-400">
        <a href={hubUrl(entry.repo, entry.revision)} className="font-mono hover:underline" title={entry.revision}>
          @{shortCommit(entry.revision)}
          <span className="sr-only"> on the Hugging Face Hub</span>
        </a>
        <Badge>{WEIGHT_TYPE_LABELS[weightType] ?? entry.weightType}</Badge>
        <Badge>{PRECISION_LABELS[precision] ?? entry.precision}</Badge>
        <span>by {entry.submitter}</span>
      </div>
      {entry.longContext ? (
        <div
          className="mt-1 text-xs text-zinc-600 dark:text-zinc-300"
          title="Long context: the largest tier passed (accuracy ≥ 85%) and the best QUASAR reward, min(accuracy × multiplier, 1)"
        >
          long context: {entry.longContext.highestTierPassed ? `passes ${entry.longContext.highestTierPassed}` : "no tier passed"} · reward{" "}
          {entry.longContext.score.toFixed(2)}
        </div>
      ) : null}
      {entry.baseModel ? (
        <div className="mt-1 truncate text-xs text-zinc-600 dark:text-zinc-400" title={entry.baseModel}>
          base: {entry.baseModel.split("@")[0]}
        </div>
      ) : null}
    </div>
  );
}

function WorkCell({ entry }: { entry: TPublicModel }) {
  return (
    <span className="inline-flex flex-wrap items-start gap-1 md:flex-col">
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
        <span className="text-xs text-zinc-600 dark:text-zinc-400">up to date</span>
      ) : null}
    </span>
  );
}

function NotMeasured() {
  return (
    <span className="text-xs text-zinc-600 dark:text-zinc-400" title="No runner that evaluated this model could measure its energy">
      not measured
    </span>
  );
}

function DeclaredMark() {
  return (
    <span className="ml-1 text-xs text-amber-800 dark:text-amber-300" title="From a runner's declared GPU watts, not power readings">
      (declared)
    </span>
  );
}
