"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { z } from "zod";
import { describedBy, firstErrors, FormAlert, FormField, inputClass, serverFieldErrors } from "@/app/_components/form-field";
import type { RouterOutputs } from "@/app/_lib/router-types";
import { ZSaveBenchmarkRequestSchema } from "@/server/services/benchmarks/benchmark-input";
import { useTRPC } from "@/trpc/react";

type Catalog = RouterOutputs["benchmark"]["list"];

interface Values {
  key: string;
  itemsPerTask: string;
  quorum: string;
  minAgreement: string;
  maxResults: string;
  isActive: boolean;
}

function valuesFor(key: string, catalog: Pick<Catalog, "definitions" | "benchmarks">): Values {
  const stored = catalog.benchmarks.find((benchmark) => benchmark.id === key);
  const settings = stored ?? catalog.definitions.find((definition) => definition.key === key)?.defaults;
  return {
    key,
    itemsPerTask: String(settings?.itemsPerTask ?? 5),
    quorum: String(settings?.quorum ?? 3),
    minAgreement: String(settings?.minAgreement ?? 0.8),
    maxResults: String(settings?.maxResults ?? 7),
    isActive: stored?.isActive ?? true,
  };
}

/** Adds a registry benchmark to the database, or changes an existing one's consensus settings (admins). */
export function BenchmarkForm({ definitions, benchmarks }: Pick<Catalog, "definitions" | "benchmarks">) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const firstKey = definitions.find((definition) => !definition.isStored)?.key ?? definitions[0]?.key ?? "";
  const [values, setValues] = useState<Values>(() => valuesFor(firstKey, { definitions, benchmarks }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const isStored = definitions.find((definition) => definition.key === values.key)?.isStored ?? false;

  const save = useMutation(
    trpc.benchmark.create.mutationOptions({
      onSuccess: (result) => {
        setMessage(
          result.isCreated
            ? `Added ${result.id}: the scheduler creates its tasks from the next epoch.`
            : `Saved ${result.id}: the new settings apply to tasks created from now on.`,
        );
        void queryClient.invalidateQueries(trpc.benchmark.list.queryFilter());
      },
      onError: (error) => {
        const fields = serverFieldErrors(error);
        if (fields) setErrors(fields);
        else setFormError(error.message);
      },
    }),
  );

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    setFormError(null);
    const number = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));
    const parsed = ZSaveBenchmarkRequestSchema.safeParse({
      key: values.key,
      itemsPerTask: number(values.itemsPerTask),
      quorum: number(values.quorum),
      minAgreement: number(values.minAgreement),
      maxResults: number(values.maxResults),
      isActive: values.isActive,
    });
    if (!parsed.success) {
      setErrors(firstErrors(z.flattenError(parsed.error).fieldErrors));
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  };

  const numberField = (key: "itemsPerTask" | "quorum" | "minAgreement" | "maxResults", label: string, hint: string, step = "1") => (
    <FormField id={`benchmark-${key}`} label={label} hint={hint} error={errors[key]}>
      <input
        id={`benchmark-${key}`}
        type="number"
        inputMode={step === "1" ? "numeric" : "decimal"}
        step={step}
        value={values[key]}
        onChange={(event) => setValues({ ...values, [key]: event.target.value })}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={describedBy(`benchmark-${key}`, errors[key], true)}
        className={inputClass}
      />
    </FormField>
  );

  return (
    <section aria-labelledby="benchmark-form-heading" className="space-y-3">
      <h2 id="benchmark-form-heading" className="text-lg font-semibold">
        Add a benchmark or change its settings
      </h2>
      <p className="max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">
        Benchmarks come from the registry in the code (their data, prompts and scoring are versioned there). Here you
        choose which ones run and how strict consensus is. Tasks keep the settings they were created with.
      </p>
      <form noValidate onSubmit={onSubmit} aria-label="Benchmark settings" className="max-w-2xl space-y-4 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
        <FormField id="benchmark-key" label="Benchmark" error={errors.key}>
          <select
            id="benchmark-key"
            value={values.key}
            onChange={(event) => {
              setValues(valuesFor(event.target.value, { definitions, benchmarks }));
              setErrors({});
              setMessage(null);
            }}
            aria-invalid={errors.key ? true : undefined}
            className={`${inputClass} bg-white dark:bg-zinc-950`}
          >
            {definitions.map((definition) => (
              <option key={definition.key} value={definition.key}>
                {definition.name} ({definition.key}, {definition.itemCount} items){definition.isStored ? "" : ": not added yet"}
              </option>
            ))}
          </select>
        </FormField>
        <div className="grid gap-4 sm:grid-cols-2">
          {numberField("itemsPerTask", "Items per task", "Sampled items each task scores.")}
          {numberField("quorum", "Quorum", "Independent results needed before consensus.")}
          {numberField("minAgreement", "Item agreement", "Share of items on which two results must match to agree (0.5–1).", "0.05")}
          {numberField("maxResults", "Maximum results", "How many results a disputed task may collect.")}
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={values.isActive} onChange={(event) => setValues({ ...values, isActive: event.target.checked })} />
          Active (the scheduler creates tasks for it)
        </label>
        {formError ? <FormAlert>{formError}</FormAlert> : null}
        {message ? (
          <p role="status" className="text-sm text-emerald-800 dark:text-emerald-300">
            {message}
          </p>
        ) : null}
        <button
          type="submit"
          disabled={save.isPending}
          className="rounded-md bg-zinc-900 px-4 py-2 text-sm font-medium text-white hover:bg-zinc-700 disabled:opacity-50 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
        >
          {save.isPending ? "Saving…" : isStored ? "Save settings" : "Add benchmark"}
        </button>
      </form>
    </section>
  );
}
