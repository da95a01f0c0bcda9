"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { LiveStatus } from "@/app/_components/live-status";
import { RelativeTime } from "@/app/_components/relative-time";
import { ScoreInterval, type ScoreSummary } from "@/app/_components/score-interval";
import { Badge } from "@/app/_components/status-badge";
import {
  hubUrl,
  isUnboundedMetric,
  metricLabel,
  parseModelRef,
  PRECISION_LABELS,
  WEIGHT_TYPE_LABELS,
} from "@/app/_lib/format";
import { EpochChart } from "@/app/models/[id]/_components/epoch-chart";
import { ModelGreen } from "@/app/models/[id]/_components/model-green";
import { ModelLineage } from "@/app/models/[id]/_components/model-lineage";
import { WithdrawForm } from "@/app/models/[id]/_components/withdraw-form";
import Link from "next/link";
import { TaskCard } from "@/app/models/[id]/_components/task-card";
import { useTRPC } from "@/trpc/react";
import { ColumnHeaders } from "@/app/_components/column-headers";

const FIRST_TASKS = 20;

const STATUS_TEXT = {
  PAUSED: { badge: "Paused", note: "Paused by the moderators: it gets no new tasks and is off the board for now." },
  REJECTED: { badge: "Rejected", note: "Rejected by the moderators." },
  WITHDRAWN: { badge: "Withdrawn", note: "Withdrawn: it has left the board and gets no new tasks; its history stays readable." },
} as const;

export function ModelView({
  modelId,
  registeredTasks,
  viewerId,
}: {
  modelId: string;
  registeredTasks: number | null;
  /** The signed-in user's id, to offer the author a withdrawal. */
  viewerId: string | null;
}) {
  const trpc = useTRPC();
  const { data: model } = useSuspenseQuery(trpc.model.get.queryOptions({ id: modelId }));
  const { data: lineage } = useSuspenseQuery(trpc.model.lineage.queryOptions({ id: modelId }));
  const { data: depth } = useSuspenseQuery(trpc.model.depth.queryOptions({ id: modelId }));
  const canWithdraw = viewerId !== null && viewerId === model.submitterId && model.status !== "WITHDRAWN";
  const { data: series } = useSuspenseQuery(trpc.result.listEpochScores.queryOptions({ modelId }));
  const [isShowingAllTasks, setIsShowingAllTasks] = useState(false);

  const benchmarkNames = new Map(model.tasks.map((task) => [task.benchmark.id, task.benchmark.name]));
  const baseRef = model.baseModel ? parseModelRef(model.baseModel) : null;
  const tasks = isShowingAllTasks ? model.tasks : model.tasks.slice(0, FIRST_TASKS);
  const disputed = model.tasks.filter((task) => task.status === "DISPUTED").length;
  const pending = model.tasks.filter((task) => ["QUEUED", "RUNNING", "VALIDATING"].includes(task.status)).length;

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0 space-y-2">
          <p className="text-xs font-medium tracking-wide text-zinc-500 uppercase dark:text-zinc-400">Model</p>
          <h1 className="text-2xl font-semibold break-all">{model.repo}</h1>
          <p className="text-sm">
            <a
              href={hubUrl(model.repo, model.revision)}
              className="font-mono break-all text-sky-700 hover:underline dark:text-sky-400"
            >
              {model.repo}@{model.revision}
            </a>{" "}
            <span className="text-zinc-500 dark:text-zinc-400">on the Hugging Face Hub</span>
          </p>
          <div className="flex flex-wrap gap-2">
            {model.status !== "ACTIVE" ? (
              <Badge tone="danger" title={model.statusReason ?? undefined}>
                {STATUS_TEXT[model.status].badge}
              </Badge>
            ) : null}
            {model.duplicateOf ? <Badge tone="warning">Near-duplicate</Badge> : null}
            {disputed > 0 ? <Badge tone="danger">{disputed} disputed</Badge> : null}
            {pending > 0 ? <Badge tone="warning">{pending} pending</Badge> : null}
          </div>
        </div>
        <div className="flex flex-col items-end gap-2">
          <LiveStatus />
          {canWithdraw ? <WithdrawForm modelId={modelId} /> : null}
        </div>
      </div>

      {registeredTasks !== null ? (
        <p
          role="status"
          className="rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
        >
          Registered. {registeredTasks} task{registeredTasks === 1 ? " is" : "s are"} queued for volunteers&apos; runners;
          this page updates by itself as results arrive.
        </p>
      ) : null}

      {model.status !== "ACTIVE" ? (
        <p role="note" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {STATUS_TEXT[model.status].note}
          {model.statusReason ? <> Reason: {model.statusReason}</> : null}
        </p>
      ) : null}

      {model.duplicateOf ? (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          Near-duplicate: its weight fingerprint matches{" "}
          <Link href={`/models/${model.duplicateOf.id}`} className="font-medium underline">
            {model.duplicateOf.repo}
          </Link>
          , registered earlier by another author
          {model.duplicateSimilarity !== null ? ` (cosine similarity ${model.duplicateSimilarity.toFixed(3)})` : ""}. Its scores
          stay visible, but it takes no place in a competition&apos;s king, roster or best.
        </p>
      ) : null}

      <dl className="grid grid-cols-1 gap-x-8 gap-y-3 text-sm sm:grid-cols-2 lg:grid-cols-5">
        <Fact term="Weight type">{WEIGHT_TYPE_LABELS[model.weightType]}</Fact>
        <Fact term="Base model">
          {lineage?.base ? (
            <Link href={`/models/${lineage.base.id}`} className="[overflow-wrap:anywhere] text-sky-700 hover:underline dark:text-sky-400">
              {lineage.base.repo}
              <wbr />@{lineage.base.revision.slice(0, 7)}
            </Link>
          ) : baseRef ? (
            <a href={hubUrl(baseRef.repo, baseRef.revision)} className="[overflow-wrap:anywhere] text-sky-700 hover:underline dark:text-sky-400">
              {baseRef.repo}
              <wbr />@{baseRef.revision.slice(0, 7)}
            </a>
          ) : (
            (model.baseModel ?? "none (original weights)")
          )}
        </Fact>
        <Fact term="Precision">{PRECISION_LABELS[model.precision]}</Fact>
        <Fact term="Submitter">{model.submitter.name}</Fact>
        <Fact term="Registered">
          <RelativeTime date={new Date(model.createdAt)} />
        </Fact>
      </dl>

      <section aria-labelledby="scores-heading" className="space-y-3">
        <h2 id="scores-heading" className="text-lg font-semibold">
          Scores
        </h2>
        {model.leaderboard.length === 0 ? (
          <p className="rounded-lg border border-dashed border-zinc-300 p-4 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
            No accepted score yet. A score appears here once three independent runners agree on a task; the tasks below
            show how far they are.
          </p>
        ) : (
          <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
            <table className="w-full text-sm">
              <thead className="bg-zinc-50 text-left text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
                <tr>
                  <ColumnHeaders labels={["Benchmark", "Scores (95% interval, n items)", "Accepted tasks", "Updated"]} />
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
                {model.leaderboard.map((row) => {
                  const metrics = row.metrics as unknown as Record<string, ScoreSummary>;
                  return (
                    <tr key={row.benchmarkId} className="align-top">
                      <th scope="row" className="px-3 py-3 text-left font-medium">
                        {benchmarkNames.get(row.benchmarkId) ?? row.benchmarkId}
                      </th>
                      <td className="px-3 py-3">
                        <div className="flex flex-wrap gap-6">
                          {Object.entries(metrics).map(([metric, summary]) => (
                            <div key={metric}>
                              <div className="text-xs text-zinc-500 dark:text-zinc-400">
                                {metricLabel(metric)}
                                {isUnboundedMetric(metric) ? " ↓ lower is better" : ""}
                              </div>
                              <ScoreInterval summary={summary} unit={isUnboundedMetric(metric) ? "number" : "percent"} />
                            </div>
                          ))}
                        </div>
                      </td>
                      <td className="px-3 py-3 tabular-nums">{row.acceptedTasks}</td>
                      <td className="px-3 py-3 text-xs text-zinc-600 dark:text-zinc-400">
                        <RelativeTime date={new Date(row.updatedAt)} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {depth.length > 0 ? (
        <section aria-labelledby="depth-heading" className="space-y-2">
          <h2 id="depth-heading" className="text-lg font-semibold">
            Depth
          </h2>
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Items per task this epoch: deeper where the rank is not yet sure, the minimum once it is settled. Deeper tasks
            extend the item window every model of the epoch shares.
          </p>
          <ul aria-label="Depth per benchmark" className="space-y-1 text-sm">
            {depth.map((plan) => (
              <li key={plan.benchmarkId}>
                <span className="font-medium">{benchmarkNames.get(plan.benchmarkId) ?? plan.benchmarkId}</span>:{" "}
                {plan.isSkipped ? "no task this epoch" : `${plan.items} items`} (epoch {plan.epoch}) — {plan.reason}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <ModelGreen modelId={modelId} />

      <ModelLineage modelId={modelId} />

      <section aria-labelledby="chart-heading" className="space-y-3">
        <h2 id="chart-heading" className="text-lg font-semibold">
          Score per epoch
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Each point is one accepted task: the primary metric over that epoch&apos;s 5 sampled items, with its 95%
          interval as the band.
        </p>
        {series.length === 0 ? (
          <p className="rounded-lg border border-dashed border-zinc-300 p-4 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
            The chart fills in as tasks are accepted, one point per epoch.
          </p>
        ) : (
          <div className="grid gap-6 lg:grid-cols-2">
            {series.map((entry) => (
              <EpochChart key={entry.benchmarkId} series={entry} />
            ))}
          </div>
        )}
      </section>

      <section aria-labelledby="tasks-heading" className="space-y-3">
        <h2 id="tasks-heading" className="text-lg font-semibold">
          Tasks
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Every task with each runner&apos;s score as the server recomputed it from the submitted outputs, whether consensus
          judged it valid, and its outputs hash. Outputs of decided tasks can be read item by item.
        </p>
        {model.tasks.length === 0 ? (
          <p className="rounded-lg border border-dashed border-zinc-300 p-4 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
            No tasks yet: the scheduler creates one per benchmark each epoch.
          </p>
        ) : (
          <div className="space-y-4">
            {tasks.map((task) => (
              <TaskCard key={task.id} task={task} />
            ))}
            {model.tasks.length > FIRST_TASKS && !isShowingAllTasks ? (
              <button
                type="button"
                onClick={() => setIsShowingAllTasks(true)}
                className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm dark:border-zinc-700"
              >
                Show all {model.tasks.length} tasks
              </button>
            ) : null}
          </div>
        )}
      </section>
    </div>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{term}</dt>
      <dd className="mt-0.5 font-medium">{children}</dd>
    </div>
  );
}
