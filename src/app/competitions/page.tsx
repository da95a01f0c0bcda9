import type { Metadata } from "next";
import Link from "next/link";
import { getSessionUser } from "@/server/auth/session";
import { getDb } from "@/server/db";
import { listCompetitions } from "@/server/services/competitions/get-competition";

export const metadata: Metadata = { title: "Competitions" };
export const dynamic = "force-dynamic";

const RULE_NAMES: Record<string, string> = {
  board: "Board",
  king: "King of the hill",
  roster: "Sticky roster",
  band: "Best within a resolution band",
};

export default async function CompetitionsPage() {
  const [user, competitions] = await Promise.all([getSessionUser(), listCompetitions({ db: getDb() })]);
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-baseline justify-between gap-3">
        <h1 className="text-2xl font-semibold">Competitions</h1>
        {user?.role === "ADMIN" ? (
          <Link href="/competitions/new" className="text-sm underline">
            New competition
          </Link>
        ) : null}
      </div>
      <p className="max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">
        A competition is a benchmark (or a weighted set) plus a ranking rule. The leaderboard stays the default view;
        each competition decides its winners by its own published rules, from the same cross-checked results.
      </p>
      {competitions.length === 0 ? (
        <p className="text-sm">No competitions yet.</p>
      ) : (
        <ul className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
          {competitions.map((c) => (
            <li key={c.slug} className="flex flex-wrap items-baseline justify-between gap-2 p-3">
              <Link href={`/competitions/${c.slug}`} className="font-medium underline">
                {c.title}
              </Link>
              <span className="text-sm text-zinc-600 dark:text-zinc-400">
                {RULE_NAMES[c.rule] ?? c.rule} · {c.benchmarks.join(", ")} · version {c.version}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
