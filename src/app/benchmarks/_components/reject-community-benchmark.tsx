"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { describedBy, FormField, inputClass } from "@/app/_components/form-field";
import { useTRPC } from "@/trpc/react";

/** Admins: reject a community benchmark with a reason (it leaves the schedule and the board; results stay). */
export function RejectCommunityBenchmark({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>();
  const reject = useMutation(
    trpc.benchmark.rejectCommunity.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries(trpc.benchmark.list.queryFilter()),
      onError: (failure) => setError(failure.data?.zodError ? "a reason of 3 to 500 characters" : failure.message),
    }),
  );
  const fieldId = `reject-${id.replace(/[^a-z0-9_]/g, "-")}`;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim().length < 3) {
      setError("a reason of 3 to 500 characters");
      return;
    }
    setError(undefined);
    reject.mutate({ id, reason });
  };
  return (
    <form noValidate onSubmit={onSubmit} aria-label={`Reject ${id}`} className="flex flex-wrap items-end gap-2 text-sm">
      <div className="min-w-64 flex-1">
        <FormField id={fieldId} label="Reject with a reason (admins)" error={error}>
          <input
            id={fieldId}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={describedBy(fieldId, error, false)}
            className={inputClass}
          />
        </FormField>
      </div>
      <button type="submit" disabled={reject.isPending} className="rounded-md border border-red-300 px-3 py-2 font-medium text-red-800 hover:bg-red-50 disabled:opacity-50 dark:border-red-800 dark:text-red-200 dark:hover:bg-red-950">
        Reject
      </button>
    </form>
  );
}
