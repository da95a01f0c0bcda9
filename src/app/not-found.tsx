import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <div className="mx-auto max-w-xl space-y-4 py-12 text-center">
      <p className="font-mono text-sm text-zinc-500 dark:text-zinc-400">404</p>
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        There is nothing here. A model link may be mistyped, or the model was never registered.
      </p>
      <div className="flex justify-center gap-3 text-sm">
        <Link href="/" className="rounded-md bg-zinc-900 px-4 py-2 font-medium text-white dark:bg-white dark:text-zinc-900">
          Back to the leaderboard
        </Link>
        <Link href="/submit" className="rounded-md border border-zinc-300 px-4 py-2 font-medium dark:border-zinc-700">
          Register a model
        </Link>
      </div>
    </div>
  );
}
