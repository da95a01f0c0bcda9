"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { z } from "zod";
import { describedBy, FieldError, firstErrors, FormAlert, FormField, inputClass } from "@/app/_components/form-field";
import { QuotaStatus } from "@/app/_components/quota-status";
import { PRECISION_LABELS } from "@/app/_lib/format";
import { useLiveUpdates } from "@/trpc/live";
import { ZRegisterModelRequestSchema } from "@/server/services/models/model-input";
import { useTRPC } from "@/trpc/react";

interface Values {
  repo: string;
  revision: string;
  weightType: "ORIGINAL" | "ADAPTER" | "DELTA";
  baseModel: string;
  precision: keyof typeof PRECISION_LABELS;
}

const WEIGHT_TYPES = [
  { value: "ORIGINAL", label: "Original weights", hint: "a full checkpoint" },
  { value: "ADAPTER", label: "Adapter", hint: "LoRA or another adapter on a base model" },
  { value: "DELTA", label: "Delta", hint: "weights to add to a base model" },
] as const;

function parse(values: Values) {
  return ZRegisterModelRequestSchema.safeParse({
    ...values,
    baseModel: values.weightType === "ORIGINAL" ? undefined : values.baseModel,
  });
}

export function SubmitView({ serverUrl }: { serverUrl: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const { data: quota } = useSuspenseQuery(trpc.model.quota.queryOptions());
  // The earn-your-submit status changes as the user's runners' results are judged.
  useLiveUpdates();
  const [values, setValues] = useState<Values>({
    repo: "",
    revision: "",
    weightType: "ORIGINAL",
    baseModel: "",
    precision: "BFLOAT16",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [formError, setFormError] = useState<string | null>(null);
  const [existingModelId, setExistingModelId] = useState<string | null>(null);

  const register = useMutation(
    trpc.model.register.mutationOptions({
      onSuccess: (result) => {
        void queryClient.invalidateQueries();
        router.push(`/models/${result.id}?registered=${result.tasksCreated}`);
      },
      onError: (error) => {
        const data = error.data;
        if (data?.quorumCode === "CONFLICT" && data.existingModelId) {
          setExistingModelId(data.existingModelId);
          setErrors({ revision: error.message });
          return;
        }
        if (data?.quorumCode === "QUOTA") void queryClient.invalidateQueries(trpc.model.quota.queryFilter());
        if (data?.zodError) {
          setErrors(firstErrors(data.zodError.fieldErrors));
          setFormError("Some fields need attention: see the messages next to them.");
        } else if (data?.field) {
          setErrors({ [data.field]: error.message });
        } else if (data?.code === "UNAUTHORIZED") {
          setFormError("Your session has ended. Sign in again, then register the model.");
        } else {
          setFormError(error.message);
        }
      },
    }),
  );

  const update = <K extends keyof Values>(key: K, value: Values[K]) => {
    const next = { ...values, [key]: value };
    setValues(next);
    setExistingModelId(null);
    if (touched.has(key) || errors[key]) {
      const result = parse(next);
      const fieldErrors = result.success ? {} : firstErrors(z.flattenError(result.error).fieldErrors);
      setErrors((current) => ({ ...current, [key]: fieldErrors[key] ?? "" }));
    }
  };
  const onBlur = (key: keyof Values) => {
    setTouched((current) => new Set(current).add(key));
    const result = parse(values);
    const fieldErrors = result.success ? {} : firstErrors(z.flattenError(result.error).fieldErrors);
    setErrors((current) => ({ ...current, [key]: values[key] === "" && key !== "baseModel" ? "" : (fieldErrors[key] ?? "") }));
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    setExistingModelId(null);
    const result = parse(values);
    if (!result.success) {
      setErrors(firstErrors(z.flattenError(result.error).fieldErrors));
      setTouched(new Set(Object.keys(values)));
      setFormError("Some fields need attention: see the messages next to them.");
      return;
    }
    setErrors({});
    register.mutate(result.data);
  };

  const field = (key: keyof Values, hasHint = true) => ({
    id: key,
    "aria-invalid": errors[key] ? true : undefined,
    "aria-describedby": describedBy(key, errors[key] || undefined, hasHint),
    onBlur: () => onBlur(key),
  });

  return (
    <div className="space-y-6">
      <div className="max-w-3xl">
        <h1 className="text-2xl font-semibold">Register a model</h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Point Quorum at a pinned checkpoint on the Hugging Face Hub. Quorum stores the reference, never the weights;
          volunteers&apos; runners download it at exactly this commit and evaluate it.
        </p>
      </div>
      <div className="grid gap-8 lg:grid-cols-[minmax(0,1fr)_minmax(0,24rem)]">
        <form noValidate onSubmit={onSubmit} aria-label="Register a model" className="max-w-xl space-y-5">
          <FormField
            id="repo"
            label="Hugging Face repository"
            hint="The repo id as on huggingface.co, for example mistralai/Mistral-7B-v0.1."
            error={errors.repo || undefined}
          >
            <input
              {...field("repo")}
              name="repo"
              value={values.repo}
              onChange={(event) => update("repo", event.target.value)}
              placeholder="org/model-name"
              autoComplete="off"
              spellCheck={false}
              className={inputClass}
            />
          </FormField>
          <FormField
            id="revision"
            label="Commit"
            hint="The full 40-character commit hash (Files and versions → History), not a branch: Quorum evaluates exactly this snapshot."
            error={undefined}
          >
            <input
              {...field("revision")}
              name="revision"
              value={values.revision}
              onChange={(event) => update("revision", event.target.value)}
              placeholder="0123456789abcdef0123456789abcdef01234567"
              autoComplete="off"
              spellCheck={false}
              className={`${inputClass} font-mono`}
            />
          </FormField>
          {errors.revision ? (
            <div className="-mt-4">
              <FieldError id="revision-error" message={errors.revision}>
                {existingModelId ? (
                  <>
                    {" "}
                    <Link href={`/models/${existingModelId}`} className="font-medium underline">
                      View the existing entry
                    </Link>
                  </>
                ) : null}
              </FieldError>
            </div>
          ) : null}

          <fieldset className="space-y-2">
            <legend className="text-sm font-medium">Weight type</legend>
            <div className="grid gap-2 sm:grid-cols-3">
              {WEIGHT_TYPES.map((type) => (
                <label
                  key={type.value}
                  className="flex cursor-pointer gap-2 rounded-md border border-zinc-300 p-2 text-sm has-[:checked]:border-sky-500 has-[:checked]:bg-sky-50 dark:border-zinc-700 dark:has-[:checked]:bg-sky-950"
                >
                  <input
                    type="radio"
                    name="weightType"
                    value={type.value}
                    checked={values.weightType === type.value}
                    onChange={() => update("weightType", type.value)}
                    className="mt-0.5"
                  />
                  <span>
                    <span className="block font-medium">{type.label}</span>
                    <span className="block text-xs text-zinc-500 dark:text-zinc-400">{type.hint}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>

          {values.weightType !== "ORIGINAL" ? (
            <FormField
              id="baseModel"
              label="Base model"
              hint="The checkpoint this applies to, pinned: org/repo@<40-character commit>."
              error={errors.baseModel || undefined}
            >
              <input
                {...field("baseModel")}
                name="baseModel"
                value={values.baseModel}
                onChange={(event) => update("baseModel", event.target.value)}
                placeholder="org/base-model@0123456789abcdef0123456789abcdef01234567"
                autoComplete="off"
                spellCheck={false}
                className={`${inputClass} font-mono`}
              />
            </FormField>
          ) : null}

          <FormField
            id="precision"
            label="Precision"
            hint="The dtype runners load the weights in."
            error={errors.precision || undefined}
          >
            <select
              {...field("precision")}
              name="precision"
              value={values.precision}
              onChange={(event) => update("precision", event.target.value as Values["precision"])}
              className={`${inputClass} bg-white dark:bg-zinc-950`}
            >
              {Object.entries(PRECISION_LABELS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </FormField>

          {formError ? <FormAlert>{formError}</FormAlert> : null}

          <button
            type="submit"
            disabled={register.isPending}
            className="rounded-md bg-zinc-900 px-4 py-2 text-sm font-medium text-white hover:bg-zinc-700 disabled:opacity-50 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
          >
            {register.isPending ? "Registering…" : "Register model"}
          </button>
        </form>
        <aside className="space-y-4">
          <QuotaStatus quota={quota} serverUrl={serverUrl} />
          <section className="rounded-lg border border-zinc-200 p-4 text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
            <h2 className="mb-1 font-semibold text-zinc-900 dark:text-zinc-100">What happens next</h2>
            <p>
              Each epoch, Quorum creates one task per benchmark with 5 sampled items. Three runners of different volunteers
              evaluate each task; when their recomputed scores agree, the score reaches the leaderboard. A repo and commit
              can be registered once.
            </p>
          </section>
        </aside>
      </div>
    </div>
  );
}
