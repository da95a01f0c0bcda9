"use client";

import Link from "next/link";
import { useEffect } from "react";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div role="alert" className="mx-auto max-w-xl space-y-4 py-12 text-center">
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        This page could not be loaded. Try again; if it keeps failing, report it with the reference below.
      </p>
      {error.digest ? <p className="font-mono text-xs text-zinc-500 dark:text-zinc-400">Reference: {error.digest}</p> : null}
      <div className="flex justify-center gap-3 text-sm">
        <button
          type="button"
          onClick={reset}
          className="rounded-md bg-zinc-900 px-4 py-2 font-medium text-white dark:bg-white dark:text-zinc-900"
        >
          Try again
        </button>
        <Link href="/" className="rounded-md border border-zinc-300 px-4 py-2 font-medium dark:border-zinc-700">
          Back to the leaderboard
        </Link>
      </div>
    </div>
  );
}
