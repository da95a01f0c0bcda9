"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { QuotaStatus } from "@/app/_components/quota-status";
import { RelativeTime } from "@/app/_components/relative-time";
import { Badge } from "@/app/_components/status-badge";
import { shortCommit } from "@/app/_lib/format";
import { TokensPanel } from "@/app/account/_components/tokens-panel";
import { useTRPC } from "@/trpc/react";
import { ColumnHeaders } from "@/app/_components/column-headers";

export function AccountView({ serverUrl }: { serverUrl: string }) {
  const trpc = useTRPC();
  const { data: account } = useSuspenseQuery(trpc.account.get.queryOptions());
  return (
    <div className="space-y-10">
      <div>
        <h1 className="text-2xl font-semibold">Your account</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Signed in as <span className="font-medium text-zinc-900 dark:text-zinc-100">{account.user.name}</span>
          {account.user.role === "ADMIN" ? " (admin)" : ""}.
        </p>
      </div>

      <QuotaStatus quota={account.quota} serverUrl={serverUrl} isOnAccountPage />

      <TokensPanel serverUrl={serverUrl} isAdmin={account.user.role === "ADMIN"} />

      <section aria-labelledby="my-runners" className="space-y-3">
        <h2 id="my-runners" className="text-lg font-semibold">
          Your runners
        </h2>
        {account.runners.length === 0 ? (
          <div className="rounded-lg border border-dashed border-zinc-300 p-4 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
            <p>No runners yet. On a machine with a GPU and Docker, in a checkout of Quorum:</p>
            <pre className="mt-2 overflow-x-auto rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-900">
              {`pnpm runner login --server ${serverUrl} --token <a token with task:pull and task:submit>\npnpm runner start`}
            </pre>
          </div>
        ) : (
          <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
            <table className="w-full min-w-[600px] text-sm">
              <thead className="bg-zinc-50 text-left text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
                <tr>
                  <ColumnHeaders labels={["Runner", "Valid / invalid", "Trust", "GPU", "Last seen"]} />
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
                {account.runners.map((runner) => (
                  <tr key={runner.id}>
                    <td className="px-3 py-2 font-medium">
                      {runner.name}
                      {runner.activeTasks > 0 ? (
                        <span className="ml-2">
                          <Badge tone="info">evaluating {runner.activeTasks}</Badge>
                        </span>
                      ) : null}
                    </td>
                    <td className="px-3 py-2 font-mono tabular-nums">
                      {runner.validCount} / {runner.invalidCount}
                    </td>
                    <td className="px-3 py-2 font-mono tabular-nums">{runner.consecutiveValid}</td>
                    <td className="px-3 py-2 text-xs">{runner.gpu ?? "unknown"}</td>
                    <td className="px-3 py-2 text-xs">
                      {runner.isOnline ? "online · " : ""}
                      {runner.lastSeenAt ? <RelativeTime date={new Date(runner.lastSeenAt)} /> : "never"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="my-models" className="space-y-3">
        <h2 id="my-models" className="text-lg font-semibold">
          Your models
        </h2>
        {account.models.length === 0 ? (
          <p className="rounded-lg border border-dashed border-zinc-300 p-4 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
            You have not registered a model yet.{" "}
            <Link href="/submit" className="font-medium underline">
              Register a model
            </Link>
          </p>
        ) : (
          <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
            {account.models.map((model) => {
              const open = model.tasks.QUEUED + model.tasks.RUNNING + model.tasks.VALIDATING;
              return (
                <li key={model.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm">
                  <Link href={`/models/${model.id}`} className="font-medium break-all text-sky-700 hover:underline dark:text-sky-400">
                    {model.repo}
                  </Link>
                  <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">@{shortCommit(model.revision)}</span>
                  {model.status !== "ACTIVE" ? <Badge tone="danger">{model.status.toLowerCase()}</Badge> : null}
                  {model.hasScore ? <Badge tone="success">on the leaderboard</Badge> : null}
                  <span className="ml-auto text-xs text-zinc-600 dark:text-zinc-400">
                    {model.tasks.ACCEPTED} accepted · {open} pending
                    {model.tasks.DISPUTED ? ` · ${model.tasks.DISPUTED} disputed` : ""}
                    {model.tasks.FAILED ? ` · ${model.tasks.FAILED} failed` : ""} · registered{" "}
                    <RelativeTime date={new Date(model.createdAt)} />
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </div>
  );
}
