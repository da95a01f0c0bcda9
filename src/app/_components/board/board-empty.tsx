import Link from "next/link";

/** What a newcomer sees before any model is registered: the two steps to a first score. */
export function BoardEmpty() {
  return (
    <section aria-label="Getting started" className="rounded-lg border border-dashed border-zinc-300 p-8 dark:border-zinc-700">
      <h2 className="text-lg font-medium">No models yet</h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">Quorum is new here. Two steps put the first score on this page:</p>
      <ol className="mt-3 list-decimal space-y-2 pl-5 text-sm text-zinc-700 dark:text-zinc-300">
        <li>
          <Link className="font-medium underline" href="/submit">
            Register a model
          </Link>{" "}
          by its Hugging Face repo and commit.
        </li>
        <li>
          Start a runner to evaluate it: create a token on your{" "}
          <Link className="underline" href="/account">
            account page
          </Link>
          , then run{" "}
          <code className="rounded bg-zinc-100 px-1 break-all dark:bg-zinc-800">pnpm runner login --server URL --token TOKEN</code>{" "}
          and <code className="rounded bg-zinc-100 px-1 dark:bg-zinc-800">pnpm runner start</code>.
        </li>
      </ol>
    </section>
  );
}
