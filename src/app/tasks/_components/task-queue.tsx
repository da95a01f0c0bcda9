"use client";

import { useSuspenseQueries, useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LiveStatus } from "@/app/_components/live-status";
import { RelativeTime } from "@/app/_components/relative-time";
import { TaskStatusBadge } from "@/app/_components/status-badge";
import { formatDuration, formatPercent, shortCommit } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/router-types";
import { TASK_SECTIONS } from "@/app/tasks/_components/task-sections";
import { useTRPC } from "@/trpc/react";
import { ColumnHeaders } from "@/app/_components/column-headers";

type Task = RouterOutputs["task"]["list"][number];


const LIST_LIMIT = 200;

export function TaskQueue() {
  const trpc = useTRPC();
  const lists = useSuspenseQueries({
    queries: TASK_SECTIONS.map((section) => trpc.task.list.queryOptions({ status: section.status })),
  });
  const { data: runners } = useSuspenseQuery(trpc.runner.list.queryOptions());
  const online = runners.filter((runner) => runner.isOnline).length;
  const total = lists.reduce((sum, list) => sum + list.data.length, 0);

  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="max-w-3xl">
          <h1 className="text-2xl font-semibold">Tasks</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            The evaluation queue. A task is one model × benchmark × epoch: 5 sampled items that several runners of
            different volunteers evaluate independently. Runners take the oldest task first and never their owner&apos;s
            own models. {online === 0 ? "No runner is online right now." : `${online} runner${online === 1 ? " is" : "s are"} online.`}
          </p>
        </div>
        <LiveStatus />
      </div>

      <nav aria-label="Task sections" className="flex flex-wrap gap-2 text-sm">
        {TASK_SECTIONS.map((section, index) => (
          <a
            key={section.status}
            href={`#${section.status.toLowerCase()}`}
            className="rounded-full border border-zinc-300 px-3 py-1 hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            {section.title}{" "}
            <span className="font-mono text-xs tabular-nums text-zinc-500 dark:text-zinc-400">
              {lists[index]!.data.length >= LIST_LIMIT ? `${LIST_LIMIT}+` : lists[index]!.data.length}
            </span>
          </a>
        ))}
      </nav>

      {total === 0 ? (
        <section aria-label="No open tasks" className="rounded-lg border border-dashed border-zinc-300 p-6 text-sm dark:border-zinc-700">
          <h2 className="font-medium">Nothing to evaluate</h2>
          <p className="mt-1 text-zinc-600 dark:text-zinc-400">
            Tasks appear here when someone{" "}
            <Link href="/submit" className="underline">
              registers a model
            </Link>{" "}
            and at the start of every epoch. Accepted tasks are listed on each model&apos;s page.
          </p>
        </section>
      ) : null}

      {TASK_SECTIONS.map((section, index) => (
        <Section key={section.status} section={section} tasks={lists[index]!.data} onlineRunners={online} />
      ))}
    </div>
  );
}

function Section({
  section,
  tasks,
  onlineRunners,
}: {
  section: (typeof TASK_SECTIONS)[number];
  tasks: Task[];
  onlineRunners: number;
}) {
  const headingId = section.status.toLowerCase();
  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <h2 id={headingId} className="scroll-mt-4 text-lg font-semibold">
        {section.title} <span className="font-mono text-sm font-normal text-zinc-500 dark:text-zinc-400">{tasks.length}</span>
      </h2>
      {tasks.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">{section.empty}</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="w-full min-w-[760px] text-sm">
            <thead className="bg-zinc-50 text-left text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
              <tr>
                <ColumnHeaders labels={["Model", "Benchmark", "Status", "Results", "Why / what is happening", "Age"]} />
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {tasks.map((task) => (
                <tr key={task.id} className="align-top">
                  <td className="min-w-[14rem] px-3 py-2">
                    <Link href={`/models/${task.model.id}`} className="font-medium [overflow-wrap:anywhere] text-sky-700 hover:underline dark:text-sky-400">
                      {task.model.repo}
                    </Link>
                    <span className="ml-1 font-mono text-xs text-zinc-500 dark:text-zinc-400">@{shortCommit(task.model.revision)}</span>
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {task.benchmark.name}
                    <span className="block text-xs text-zinc-500 dark:text-zinc-400">epoch {task.epoch}</span>
                  </td>
                  <td className="px-3 py-2">
                    <TaskStatusBadge status={task.status} />
                  </td>
                  <td className="px-3 py-2 font-mono text-xs whitespace-nowrap tabular-nums">
                    {task.results} / {task.targetResults}
                    {task.status === "DISPUTED" ? <span className="block text-zinc-500 dark:text-zinc-400">max {task.maxResults}</span> : null}
                  </td>
                  <td className="px-3 py-2 text-sm">
                    <Explanation task={task} onlineRunners={onlineRunners} />
                  </td>
                  <td className="px-3 py-2 text-xs whitespace-nowrap text-zinc-600 dark:text-zinc-400">
                    <RelativeTime date={new Date(task.createdAt)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {tasks.length >= LIST_LIMIT ? (
            <p className="border-t border-zinc-200 p-2 text-xs text-zinc-500 dark:text-zinc-400 dark:border-zinc-800">
              Showing the {LIST_LIMIT} oldest.
            </p>
          ) : null}
        </div>
      )}
    </section>
  );
}

/** Says, for every task, why it is where it is: nothing should look stuck without a reason. */
function Explanation({ task, onlineRunners }: { task: Task; onlineRunners: number }) {
  const missing = Math.max(0, task.targetResults - task.results - task.activeRunners.length);
  const runners = task.activeRunners.length > 0 ? (
    <ul className="mt-1 space-y-0.5 text-xs text-zinc-600 dark:text-zinc-400">
      {task.activeRunners.map((runner, index) => (
        <li key={index}>
          <span className="font-medium text-zinc-800 dark:text-zinc-200">{runner.runner}</span>: lease held for{" "}
          {formatDuration(runner.leaseAgeSeconds)}
          {runner.lastHeartbeatAt ? (
            <>
              , last heartbeat <RelativeTime date={new Date(runner.lastHeartbeatAt)} />
            </>
          ) : (
            ", no heartbeat yet"
          )}
          ; the slot frees itself if the lease expires (<RelativeTime date={new Date(runner.leaseExpiresAt)} />)
        </li>
      ))}
    </ul>
  ) : null;

  switch (task.status) {
    case "QUEUED":
      return (
        <span className="text-zinc-700 dark:text-zinc-300">
          Waiting for a runner.{" "}
          {onlineRunners === 0
            ? "No runner is online: start one with pnpm runner start (see your account page)."
            : "Online runners take older tasks first, and never their owner's own models."}
        </span>
      );
    case "RUNNING":
      return (
        <div>
          <span>
            {task.activeRunners.length} runner{task.activeRunners.length === 1 ? "" : "s"} evaluating
            {missing > 0 ? `; ${missing} more slot${missing === 1 ? "" : "s"} open for other volunteers` : ""}.
          </span>
          {runners}
        </div>
      );
    case "VALIDATING":
      return (
        <div>
          <span>
            {task.results} of {task.targetResults} results in; consensus is decided when all {task.targetResults} are in
            {missing > 0 ? ` (${missing} slot${missing === 1 ? "" : "s"} waiting for a runner)` : ""}.
          </span>
          {runners}
        </div>
      );
    case "DISPUTED":
    case "FAILED":
      return (
        <div>
          <span className="text-red-800 dark:text-red-300">{task.reason ?? "No reason was recorded."}</span>
          {task.acceptedScore !== null ? <span> Accepted {formatPercent(task.acceptedScore)}.</span> : null}
          {runners}
        </div>
      );
    default:
      return null;
  }
}
