"use client";

import { useId, useState } from "react";
import { RelativeTime } from "@/app/_components/relative-time";
import { Badge, TaskStatusBadge, VerdictBadge } from "@/app/_components/status-badge";
import { formatDuration, formatMetric, formatPercent, metricLabel } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/router-types";
import { ItemOutputs } from "@/app/models/[id]/_components/item-outputs";

export type ModelTask = RouterOutputs["model"]["get"]["tasks"][number];

const ASSIGNMENT_TEXT: Record<string, string> = {
  ACTIVE: "evaluating now",
  EXPIRED: "lease expired",
  RELEASED: "gave the task back",
  FAILED: "could not evaluate",
};

export function TaskCard({ task }: { task: ModelTask }) {
  const [isOpen, setIsOpen] = useState(false);
  const panelId = useId();
  const headingId = useId();
  const isPublished =
    task.status === "ACCEPTED" || task.status === "FAILED" || (task.status === "DISPUTED" && task.finishedAt !== null);
  const isWaiting = ["QUEUED", "RUNNING", "VALIDATING"].includes(task.status) || (task.status === "DISPUTED" && !task.finishedAt);

  return (
    <article aria-labelledby={headingId} className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
      <header className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <h3 id={headingId} className="font-medium">
          {task.benchmark.name} <span className="font-normal text-zinc-500 dark:text-zinc-400">· epoch {task.epoch}</span>
        </h3>
        <TaskStatusBadge status={task.status} />
        <span className="text-xs text-zinc-600 dark:text-zinc-400">
          {task.results.length} of {task.targetResults} results
          {task.targetResults < task.maxResults ? ` (up to ${task.maxResults} if disputed)` : ""}
        </span>
        {task.acceptedScore !== null ? (
          <span className="text-xs">
            accepted score <span className="font-mono font-medium">{formatPercent(task.acceptedScore)}</span>
          </span>
        ) : null}
        {task.itemAgreement !== null ? (
          <span className="text-xs" title="Share of items on which every runner extracted the same answers">
            item agreement <span className="font-mono font-medium">{formatPercent(task.itemAgreement)}</span>
          </span>
        ) : null}
        <span className="ml-auto text-xs text-zinc-500 dark:text-zinc-400">
          created <RelativeTime date={new Date(task.createdAt)} />
        </span>
      </header>

      {task.reason ? (
        <p
          role="note"
          className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
        >
          <span className="font-medium">Why: </span>
          {task.reason}
        </p>
      ) : null}

      {task.results.length > 0 ? (
        <div className="overflow-x-auto">
          <table className="w-full min-w-[720px] text-sm">
            <thead className="text-left text-xs text-zinc-500 dark:text-zinc-400">
              <tr>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Runner
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Recomputed score
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Verdict
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Outputs sha256
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Engine
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  GPU
                </th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  Runtime
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800/70">
              {task.results.map((result) => {
                const score = result.score as Record<string, number> | null;
                return (
                  <tr key={result.id} className="align-top">
                    <td className="py-1.5 pr-3">
                      <span className="font-medium">{result.runner.name}</span>{" "}
                      <span className="text-xs text-zinc-500 dark:text-zinc-400">({result.runner.owner.name})</span>
                      {result.id === task.acceptedResultId ? (
                        <span className="ml-1">
                          <Badge tone="success">accepted</Badge>
                        </span>
                      ) : null}
                    </td>
                    <td className="py-1.5 pr-3 font-mono text-xs tabular-nums">
                      {score ? (
                        Object.entries(score).map(([metric, value]) => (
                          <span key={metric} className="mr-3 whitespace-nowrap">
                            {metricLabel(metric)} {formatMetric(metric, value)}
                          </span>
                        ))
                      ) : (
                        <span className="font-sans text-zinc-500 dark:text-zinc-400">hidden until the task is decided</span>
                      )}
                    </td>
                    <td className="py-1.5 pr-3">
                      <VerdictBadge verdict={result.verdict} />
                    </td>
                    <td className="py-1.5 pr-3 font-mono text-xs" title={result.outputsSha256 ?? undefined}>
                      {result.outputsSha256 ? `${result.outputsSha256.slice(0, 12)}…` : "—"}
                    </td>
                    <td className="py-1.5 pr-3 text-xs">
                      {result.engineName} {result.engineVersion}
                    </td>
                    <td className="py-1.5 pr-3 text-xs">{result.gpu ?? "—"}</td>
                    <td className="py-1.5 pr-3 text-xs whitespace-nowrap">{formatDuration(result.runtimeSeconds)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {task.status === "QUEUED" ? "Waiting for a runner to claim it." : "No result submitted yet."}
        </p>
      )}

      {task.assignments.length > 0 ? (
        <ul className="space-y-1 text-xs text-zinc-600 dark:text-zinc-400">
          {task.assignments.map((assignment, index) => (
            <li key={index}>
              <span className="font-medium text-zinc-800 dark:text-zinc-200">{assignment.runner.name}</span>:{" "}
              {ASSIGNMENT_TEXT[assignment.status] ?? assignment.status.toLowerCase()} (claimed{" "}
              <RelativeTime date={new Date(assignment.createdAt)} />)
              {assignment.failureCause ? ` — ${assignment.failureCause.replaceAll("_", " ")}` : ""}
            </li>
          ))}
        </ul>
      ) : null}

      {isPublished && task.results.length > 0 ? (
        <div className="space-y-3">
          <button
            type="button"
            aria-expanded={isOpen}
            aria-controls={panelId}
            onClick={() => setIsOpen((value) => !value)}
            className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            {isOpen ? "Hide per-item outputs" : "Show per-item outputs"}
          </button>
          {isOpen ? (
            <div id={panelId}>
              <ItemOutputs task={task} />
            </div>
          ) : null}
        </div>
      ) : isWaiting ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Per-item outputs are published once the task is decided, so that runners cannot copy each other&apos;s answers.
        </p>
      ) : null}
    </article>
  );
}
