"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";

/**
 * The creator of a community benchmark in probation, or an admin: run its failed or disputed canary tasks again
 * (in a later epoch; at most three times per version). The server's refusal, if any, is shown as it says it.
 */
export function RetryCanaries({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const retry = useMutation(
    trpc.benchmark.retryCanaries.mutationOptions({
      onSuccess: (result) => {
        setMessage({ tone: "ok", text: `New canary tasks are queued (retry ${result.retries} of 3).` });
        void queryClient.invalidateQueries(trpc.benchmark.list.queryFilter());
      },
      onError: (failure) => setMessage({ tone: "error", text: failure.message }),
    }),
  );
  return (
    <div className="flex flex-wrap items-center gap-3 text-sm">
      <button
        type="button"
        disabled={retry.isPending}
        onClick={() => retry.mutate({ id })}
        className="rounded-md border border-zinc-300 px-3 py-2 font-medium hover:bg-zinc-50 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-900"
      >
        Retry the canary tasks
      </button>
      {message ? (
        <span role={message.tone === "error" ? "alert" : "status"} className={message.tone === "error" ? "text-red-800 dark:text-red-300" : "text-emerald-800 dark:text-emerald-300"}>
          {message.text}
        </span>
      ) : null}
    </div>
  );
}
