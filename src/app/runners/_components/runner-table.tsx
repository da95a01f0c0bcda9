"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LiveStatus } from "@/app/_components/live-status";
import { RelativeTime } from "@/app/_components/relative-time";
import { Badge } from "@/app/_components/status-badge";
import { useTRPC } from "@/trpc/react";
import { ColumnHeaders } from "@/app/_components/column-headers";

export function RunnerTable() {
  const trpc = useTRPC();
  const { data: runners } = useSuspenseQuery(trpc.runner.list.queryOptions());
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="max-w-3xl">
          <h1 className="text-2xl font-semibold">Runners</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Volunteers&apos; machines, ranked by evaluations that consensus judged valid. Trust is the number of valid
            results in a row: one result outside the consensus resets it to zero.
          </p>
        </div>
        <LiveStatus />
      </div>
      {runners.length === 0 ? (
        <section aria-label="No runners yet" className="rounded-lg border border-dashed border-zinc-300 p-6 text-sm dark:border-zinc-700">
          <h2 className="font-medium">No runners yet</h2>
          <p className="mt-1 text-zinc-600 dark:text-zinc-400">
            Be the first: create a token on your{" "}
            <Link href="/account" className="underline">
              account page
            </Link>
            , then run <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">pnpm runner login</code> and{" "}
            <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">pnpm runner start</code> on a machine with a GPU
            and Docker.
          </p>
        </section>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="w-full min-w-[720px] text-sm">
            <thead className="bg-zinc-50 text-left text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
              <tr>
                <ColumnHeaders labels={["#", "Runner", "Valid evaluations", "Invalid", "Trust", "GPU", "Last seen"]} />
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {runners.map((runner, index) => (
                <tr key={runner.id}>
                  <td className="px-3 py-2 font-mono tabular-nums">{index + 1}</td>
                  <td className="px-3 py-2">
                    <span className="font-medium">{runner.name}</span>{" "}
                    <span className="text-xs text-zinc-500 dark:text-zinc-400">by {runner.owner}</span>
                    {runner.activeTasks > 0 ? (
                      <span className="ml-2">
                        <Badge tone="info">evaluating {runner.activeTasks}</Badge>
                      </span>
                    ) : null}
                    {runner.isEstablished ? (
                      <span className="ml-2" title={`agreed with ${runner.agreedOwners} other volunteers`}>
                        <Badge tone="success">established</Badge>
                      </span>
                    ) : null}
                    {runner.pauseReason ? <p className="text-xs text-amber-700 dark:text-amber-400">Paused: {runner.pauseReason}</p> : null}
                    {runner.suspension ? (
                      <p className="text-xs text-red-700 dark:text-red-400">Suspended: {runner.suspension.reason}</p>
                    ) : null}
                  </td>
                  <td className="px-3 py-2 font-mono tabular-nums">{runner.validCount}</td>
                  <td className="px-3 py-2 font-mono tabular-nums" title={`spot checks: ${runner.spotChecksPassed} passed, ${runner.spotChecksFailed} failed`}>
                    {runner.invalidCount}
                  </td>
                  <td className="px-3 py-2 font-mono tabular-nums" title="Consecutive valid results">
                    {runner.consecutiveValid}
                  </td>
                  <td className="px-3 py-2 text-xs">{runner.gpu ?? "unknown"}</td>
                  <td className="px-3 py-2 text-xs whitespace-nowrap">
                    <span className="inline-flex items-center gap-1.5">
                      <span
                        aria-hidden="true"
                        className={runner.isOnline ? "size-2 rounded-full bg-emerald-500" : "size-2 rounded-full bg-zinc-300 dark:bg-zinc-600"}
                      />
                      {runner.isOnline ? "online · " : ""}
                      {runner.lastSeenAt ? <RelativeTime date={new Date(runner.lastSeenAt)} /> : "never"}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
