"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/trpc/react";

/**
 * For the model's author: withdraw it from the board with a reason (kept in the audit log and shown on this page).
 * Its history stays readable; it gets no new tasks.
 */
export function WithdrawForm({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isOpen, setIsOpen] = useState(false);
  const [reason, setReason] = useState("");
  const withdraw = useMutation(
    trpc.moderation.model.mutationOptions({
      onSuccess: async () => {
        setIsOpen(false);
        await queryClient.invalidateQueries();
      },
    }),
  );
  if (!isOpen) {
    return (
      <button
        type="button"
        onClick={() => setIsOpen(true)}
        className="rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-800 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950"
      >
        Withdraw this model
      </button>
    );
  }
  return (
    <form
      aria-label="Withdraw this model"
      className="w-full max-w-md space-y-2 rounded-md border border-red-300 p-3 dark:border-red-800"
      onSubmit={(event) => {
        event.preventDefault();
        withdraw.mutate({ modelId, action: "withdraw", reason });
      }}
    >
      <label className="block text-sm font-medium" htmlFor="withdraw-reason">
        Why are you withdrawing it?
      </label>
      <textarea
        id="withdraw-reason"
        required
        minLength={3}
        maxLength={500}
        value={reason}
        onChange={(event) => setReason(event.target.value)}
        aria-describedby="withdraw-help"
        className="block w-full rounded-md border border-zinc-300 bg-transparent px-2 py-1.5 text-sm dark:border-zinc-700"
      />
      <p id="withdraw-help" className="text-xs text-zinc-600 dark:text-zinc-400">
        It leaves the board and gets no new tasks; its history stays readable here, with your reason. Only an admin can
        bring it back.
      </p>
      {withdraw.error ? (
        <p role="alert" className="text-sm text-red-800 dark:text-red-300">
          {withdraw.error.message}
        </p>
      ) : null}
      <div className="flex gap-2">
        <button type="submit" disabled={withdraw.isPending} className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50">
          {withdraw.isPending ? "Withdrawing…" : "Withdraw"}
        </button>
        <button type="button" onClick={() => setIsOpen(false)} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm dark:border-zinc-700">
          Cancel
        </button>
      </div>
    </form>
  );
}
