"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { Badge } from "@/app/_components/status-badge";
import { BenchmarkForm } from "@/app/benchmarks/_components/benchmark-form";
import { RejectCommunityBenchmark } from "@/app/benchmarks/_components/reject-community-benchmark";
import { RetryCanaries } from "@/app/benchmarks/_components/retry-canaries";
import { metricLabel } from "@/app/_lib/format";
import { useTRPC } from "@/trpc/react";

export function BenchmarksView({ canEdit, isSignedIn, viewerId = null }: { canEdit: boolean; isSignedIn: boolean; viewerId?: string | null }) {
  const trpc = useTRPC();
  const { data } = useSuspenseQuery(trpc.benchmark.list.queryOptions());
  return (
    <div className="space-y-8">
      <div className="max-w-3xl">
        <h1 className="text-2xl font-semibold">Benchmarks</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          What Quorum measures and exactly how. Each benchmark is pinned by version and by the sha256 of its data; runners
          and the server score with the same code, and the server recomputes every score from the raw outputs.
        </p>
        <p className="mt-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950/60 dark:text-amber-100">
          <span className="font-medium">Where Quorum departs from the harness: </span>
          lm-evaluation-harness scores the full split; each Quorum task scores a few sampled items (the same items for
          every model in an epoch), and a model&apos;s score pools its accepted tasks. Read every score with its n and
          95% interval.
        </p>
      </div>

      {data.benchmarks.length === 0 ? (
        <p className="rounded-lg border border-dashed border-zinc-300 p-6 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
          No benchmark is set up yet. {canEdit ? "Add one from the registry with the form below." : "An admin adds them from the registry."}
        </p>
      ) : (
        <div className="space-y-6">
          {data.benchmarks.map((benchmark) => (
            <article
              key={benchmark.id}
              aria-labelledby={`benchmark-${benchmark.id}`}
              className="space-y-4 rounded-lg border border-zinc-200 p-5 dark:border-zinc-800"
            >
              <header className="flex flex-wrap items-center gap-2">
                <h2 id={`benchmark-${benchmark.id}`} className="text-lg font-semibold">
                  {benchmark.name}
                </h2>
                <code className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800">{benchmark.id}</code>
                {benchmark.community?.status === "PROBATION" ? (
                  <Badge tone="warning">probation: canary tasks on reference models first</Badge>
                ) : benchmark.community?.status === "REJECTED" ? (
                  <Badge tone="danger">rejected</Badge>
                ) : benchmark.isActive ? (
                  <Badge tone="success">active</Badge>
                ) : (
                  <Badge>inactive: no new tasks</Badge>
                )}
                {benchmark.community ? <Badge tone="info">community ({benchmark.community.family})</Badge> : null}
              </header>
              {benchmark.community?.status === "PROBATION" ? (
                <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950/60 dark:text-amber-100">
                  In probation: not scheduled for other models and not on the board until its {benchmark.community.canaryTaskIds.length} canary
                  tasks are accepted by consensus.
                  {benchmark.community.reason ? <span className="mt-1 block font-medium">Why it is still waiting: {benchmark.community.reason}</span> : null}
                </p>
              ) : null}
              {benchmark.community?.status === "REJECTED" && benchmark.community.reason ? (
                <p role="status" className="text-sm text-red-800 dark:text-red-300">
                  {benchmark.community.reason}
                </p>
              ) : null}
              {benchmark.community?.status === "PROBATION" && benchmark.community.reason && (canEdit || viewerId === benchmark.community.createdById) ? (
                <RetryCanaries id={benchmark.id} />
              ) : null}
              {canEdit && benchmark.community && benchmark.community.status !== "REJECTED" ? <RejectCommunityBenchmark id={benchmark.id} /> : null}
              <p className="text-sm text-zinc-700 dark:text-zinc-300">{benchmark.description}</p>
              <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-3 lg:grid-cols-6">
                <Fact term="Version">{benchmark.version}</Fact>
                <Fact term="Items in the split">{benchmark.itemCount.toLocaleString("en")}</Fact>
                <Fact term="Items per task">{benchmark.itemsPerTask}</Fact>
                <Fact term="Quorum">{benchmark.quorum} runners</Fact>
                <Fact term="Item agreement">{Math.round(benchmark.minAgreement * 100)}% of items</Fact>
                <Fact term="Max results if disputed">{benchmark.maxResults}</Fact>
              </dl>
              <div className="text-sm">
                <h3 className="font-medium">Metrics</h3>
                <ul className="mt-1 flex flex-wrap gap-2">
                  {benchmark.metrics.map((metric) => (
                    <li key={metric.name}>
                      <code className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs dark:bg-zinc-800">{metric.name}</code>{" "}
                      <span className="text-xs text-zinc-500 dark:text-zinc-400">
                        ({metricLabel(metric.name)}, {metric.kind === "binary" ? "0/1 per item, Wilson interval" : "continuous, t interval"}
                        {metric.name === benchmark.primaryMetric ? ", primary: ranks and consensus" : ""})
                      </span>
                    </li>
                  ))}
                </ul>
              </div>
              <div className="text-sm">
                <h3 className="font-medium">Scoring</h3>
                <p className="mt-1 text-zinc-700 dark:text-zinc-300">{benchmark.scoringSummary}</p>
                {benchmark.reference ? (
                  <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">Reference: {benchmark.reference}</p>
                ) : null}
              </div>
              <div className="overflow-x-auto text-sm">
                <table className="w-full min-w-[560px]">
                  <caption className="text-left font-medium">Pinned data</caption>
                  <thead className="text-left text-xs text-zinc-500 dark:text-zinc-400">
                    <tr>
                      <th scope="col" className="py-1 pr-3 font-medium">
                        File
                      </th>
                      <th scope="col" className="py-1 pr-3 font-medium">
                        sha256
                      </th>
                      <th scope="col" className="py-1 font-medium">
                        Licence
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {benchmark.datasets.map((dataset) => (
                      <tr key={dataset.file} className="align-top">
                        <td className="py-1 pr-3 font-mono text-xs">{dataset.file}</td>
                        <td className="py-1 pr-3 font-mono text-xs break-all">{dataset.sha256}</td>
                        <td className="py-1 text-xs">{dataset.licence}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <p className="text-xs text-zinc-500 dark:text-zinc-400">
                Consensus: two results agree when they match on at least {Math.round(benchmark.minAgreement * 100)}% of the
                items and their scores differ by at most one item; a task is accepted when at least {benchmark.quorum}{" "}
                results, a strict majority including an established runner, all agree. Otherwise it collects up to{" "}
                {benchmark.maxResults} results. Scores stay hidden until the task is decided.
              </p>
            </article>
          ))}
        </div>
      )}

      {canEdit ? (
        <p className="text-sm">
          <Link href="/benchmarks/new" className="font-medium underline">
            Create a community benchmark
          </Link>{" "}
          <span className="text-zinc-600 dark:text-zinc-400">(a definition of an existing family and a dataset by URL + sha256, no code change).</span>
        </p>
      ) : null}
      {canEdit ? (
        <BenchmarkForm definitions={data.definitions} benchmarks={data.benchmarks} />
      ) : (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">
          Admins (and API tokens with the <code>benchmark:create</code> scope) add benchmarks from the registry and tune
          their consensus settings{isSignedIn ? "." : "; sign in if you are one."}
        </p>
      )}
    </div>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{term}</dt>
      <dd className="font-medium">{children}</dd>
    </div>
  );
}
