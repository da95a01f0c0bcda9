import Link from "next/link";
import { getCaller } from "@/trpc/server";

export const dynamic = "force-dynamic";

export default async function LeaderboardPage() {
  const caller = await getCaller();
  const board = await caller.leaderboard.get();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Leaderboard</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Open checkpoints scored by independent volunteer runners; a score appears once three of them agree.
        </p>
      </div>
      {board.entries.length === 0 ? (
        <section aria-label="Getting started" className="rounded-lg border border-dashed border-zinc-300 p-8 dark:border-zinc-700">
          <h2 className="text-lg font-medium">No models yet</h2>
          <ol className="mt-3 list-decimal space-y-2 pl-5 text-sm text-zinc-700 dark:text-zinc-300">
            <li>
              <Link className="underline" href="/submit">
                Register a model
              </Link>{" "}
              by its Hugging Face repo and commit.
            </li>
            <li>
              Start a runner to evaluate it: create a token on your{" "}
              <Link className="underline" href="/account">
                account page
              </Link>
              , then run <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">pnpm runner login --server URL --token TOKEN</code> and{" "}
              <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">pnpm runner start</code>.
            </li>
          </ol>
        </section>
      ) : (
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left">
              <th scope="col">Rank</th>
              <th scope="col">Model</th>
              {board.benchmarks.map((benchmark) => (
                <th scope="col" key={benchmark.id}>
                  {benchmark.name}
                </th>
              ))}
              <th scope="col">Overall</th>
            </tr>
          </thead>
          <tbody>
            {board.entries.map((entry) => (
              <tr key={entry.modelId}>
                <td>{entry.rank ?? "—"}</td>
                <td>
                  <Link href={`/models/${entry.modelId}`}>{entry.repo}</Link>
                </td>
                {board.benchmarks.map((benchmark) => {
                  const score = entry.scores[benchmark.id]?.[benchmark.primaryMetric];
                  return <td key={benchmark.id}>{score ? score.mean.toFixed(3) : "pending"}</td>;
                })}
                <td>{entry.overall ? entry.overall.mean.toFixed(3) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
