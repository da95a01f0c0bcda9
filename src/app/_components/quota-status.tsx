import Link from "next/link";
import type { ReactNode } from "react";
import type { RouterOutputs } from "@/app/_lib/router-types";

type Quota = RouterOutputs["model"]["quota"];

/** Earn your submit: where the user stands, and exactly what to do when they cannot submit yet. */
export function QuotaStatus({
  quota,
  serverUrl,
  isOnAccountPage = false,
}: {
  quota: Quota;
  serverUrl: string;
  /** On the account page the token form is right below, so the first step points there instead of linking. */
  isOnAccountPage?: boolean;
}) {
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  if (quota.isExempt) {
    return (
      <StatusBox tone="ok" title="You can register models">
        You are an admin: the earn-your-submit rule does not apply to you.
      </StatusBox>
    );
  }
  if (quota.canSubmit && quota.earned >= quota.required) {
    return (
      <StatusBox tone="ok" title="You have earned your submit">
        Your runners made {plural(quota.earned, "valid evaluation")} in the last {quota.windowHours} h (
        {quota.required} needed). Thank you for evaluating other people&apos;s models.
      </StatusBox>
    );
  }
  if (quota.canSubmit) {
    return (
      <StatusBox tone="ok" title="You can register a model now (cold start)">
        Quorum asks every submitter to first evaluate {plural(quota.required, "task")} of other people&apos;s models. The rule
        is waived while fewer than {quota.required} tasks are waiting for your runners (now{" "}
        {quota.claimable}), so a new community can get started.
      </StatusBox>
    );
  }
  return (
    <StatusBox tone="todo" title={`Evaluate ${plural(quota.remaining, "more task")} to unlock submitting`}>
      <p>
        Quorum asks every submitter to evaluate other people&apos;s models first: {quota.required} results by your runners
        that consensus judged valid, in the last {quota.windowHours} h. You have {quota.earned}; {quota.claimable} tasks are
        waiting. Here is how:
      </p>
      <ol className="mt-2 list-decimal space-y-1 pl-5">
        <li>
          Create a token with the <code>task:pull</code> and <code>task:submit</code> scopes{" "}
          {isOnAccountPage ? (
            "in the API tokens section below"
          ) : (
            <>
              on your{" "}
              <Link href="/account" className="font-medium underline">
                account page
              </Link>
            </>
          )}
          .
        </li>
        <li>
          On a machine with a GPU and Docker, in a checkout of Quorum, run:
          <pre className="mt-1 rounded bg-white/70 p-2 font-mono text-xs whitespace-pre-wrap [overflow-wrap:anywhere] dark:bg-black/30">
            {`pnpm runner login --server ${serverUrl} --token <token>\npnpm runner start`}
          </pre>
        </li>
        <li>
          The runner claims tasks, evaluates them and submits signed results. Submitting unlocks once{" "}
          {plural(quota.remaining, "more result")} {quota.remaining === 1 ? "is" : "are"} judged valid; this page
          updates by itself.
        </li>
      </ol>
    </StatusBox>
  );
}

function StatusBox({ tone, title, children }: { tone: "ok" | "todo"; title: string; children: ReactNode }) {
  return (
    <section
      aria-label="Earn-your-submit status"
      className={
        tone === "ok"
          ? "rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm text-emerald-950 dark:border-emerald-800 dark:bg-emerald-950/60 dark:text-emerald-100"
          : "rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950/60 dark:text-amber-100"
      }
    >
      <h2 className="mb-1 font-semibold">{title}</h2>
      <div>{children}</div>
    </section>
  );
}
