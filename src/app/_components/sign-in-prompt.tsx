import Link from "next/link";

/** What signed-out visitors see instead of a form: why they need to sign in, and a link that brings them back. */
export function SignInPrompt({ title, reason, callbackUrl }: { title: string; reason: string; callbackUrl: string }) {
  return (
    <div className="mx-auto max-w-xl space-y-4 py-6">
      <h1 className="text-2xl font-semibold">{title}</h1>
      <section
        aria-label="Sign in required"
        className="space-y-3 rounded-lg border border-dashed border-zinc-300 p-6 dark:border-zinc-700"
      >
        <p className="text-sm text-zinc-700 dark:text-zinc-300">{reason}</p>
        <Link
          href={`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`}
          className="inline-block rounded-md bg-zinc-900 px-4 py-2 text-sm font-medium text-white hover:bg-zinc-700 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
        >
          Sign in to continue
        </Link>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Everything public — the leaderboard, models, tasks, runners and benchmarks — can be browsed without an account.
        </p>
      </section>
    </div>
  );
}
