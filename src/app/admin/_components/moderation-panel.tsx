"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";

/** Pause or resume runners, pause, resume or withdraw models by id; every action needs a reason and is audited. */
export function ModerationPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: runners } = useSuspenseQuery(trpc.runner.list.queryOptions());
  const { data: log } = useSuspenseQuery(trpc.moderation.auditLog.queryOptions());
  const [reason, setReason] = useState("");
  const [modelId, setModelId] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.runner.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.moderation.auditLog.queryKey() });
  };
  const onError = (error: { message: string }) => setMessage(error.message);
  const runnerAction = useMutation(trpc.moderation.runner.mutationOptions({ onSuccess: async (r) => { setMessage(`Runner ${r.isPaused ? "paused" : "resumed"}.`); await refresh(); }, onError }));
  const modelAction = useMutation(trpc.moderation.model.mutationOptions({ onSuccess: async (m) => { setMessage(`Model is now ${m.status.toLowerCase()}.`); await refresh(); }, onError }));

  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-semibold">Moderation</h1>
      <label className="block text-sm">
        Reason (kept in the audit log)
        <input className="mt-1 block w-full rounded border border-zinc-300 px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900" value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      {message ? <p role="status" className="text-sm">{message}</p> : null}

      <section aria-labelledby="mod-models" className="space-y-2">
        <h2 id="mod-models" className="text-lg font-semibold">Models</h2>
        <div className="flex flex-wrap items-end gap-2">
          <label className="text-sm">
            Model id
            <input className="mt-1 block rounded border border-zinc-300 px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900" value={modelId} onChange={(e) => setModelId(e.target.value)} />
          </label>
          {(["pause", "resume", "withdraw"] as const).map((action) => (
            <button key={action} type="button" className="rounded border border-zinc-300 px-3 py-1 text-sm dark:border-zinc-700" onClick={() => modelAction.mutate({ modelId, action, reason })}>
              {action[0]!.toUpperCase() + action.slice(1)} model
            </button>
          ))}
        </div>
      </section>

      <section aria-labelledby="mod-runners" className="space-y-2">
        <h2 id="mod-runners" className="text-lg font-semibold">Runners</h2>
        <ul className="divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
          {runners.map((runner) => (
            <li key={runner.id} className="flex flex-wrap items-center justify-between gap-2 py-1.5">
              <span>
                {runner.name} <span className="text-zinc-500 dark:text-zinc-400">by {runner.owner}</span> · {runner.validCount} valid, {runner.invalidCount} invalid
                {runner.isEstablished ? " · established" : ""}
                {runner.pauseReason ? ` · paused: ${runner.pauseReason}` : ""}
                {runner.suspension ? ` · suspended: ${runner.suspension.reason}` : ""}
              </span>
              <button type="button" className="rounded border border-zinc-300 px-3 py-1 dark:border-zinc-700" onClick={() => runnerAction.mutate({ runnerId: runner.id, action: runner.pauseReason ? "resume" : "pause", reason })}>
                {runner.pauseReason ? `Resume ${runner.name}` : `Pause ${runner.name}`}
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="mod-log" className="space-y-2">
        <h2 id="mod-log" className="text-lg font-semibold">Audit log</h2>
        <ul className="text-sm">
          {log.map((entry) => (
            <li key={entry.id}>
              {new Date(entry.createdAt).toISOString()} · {entry.actorName} · {entry.action} {entry.targetType} {entry.targetId} · {entry.reason}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
