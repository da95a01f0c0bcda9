"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent, type ReactNode } from "react";
import { describedBy, FormAlert, FormField, inputClass } from "@/app/_components/form-field";
import { COMMUNITY_FAMILIES, COMMUNITY_METRICS, parseCommunityBenchmark } from "@/lib/benchmarks/community/definition";
import { useTRPC } from "@/trpc/react";

type Family = (typeof COMMUNITY_FAMILIES)[number];

interface Values {
  slug: string;
  name: string;
  description: string;
  family: Family;
  promptTemplate: string;
  fewshotCount: string;
  fewshotSeparator: string;
  metric: string;
  itemsPerTask: string;
  datasetUrl: string;
  datasetSha256: string;
  datasetLicence: string;
}

const INITIAL: Values = {
  slug: "",
  name: "",
  description: "",
  family: "generate_until_exact_match",
  promptTemplate: "Question: {{input}}\nAnswer:",
  fewshotCount: "0",
  fewshotSeparator: "\\n\\n",
  metric: "exact_match",
  itemsPerTask: "5",
  datasetUrl: "",
  datasetSha256: "",
  datasetLicence: "",
};

const FORMATS: Record<Family, string> = {
  generate_until_exact_match: '{"input": "...", "target": "..."} per line',
  loglikelihood_multiple_choice: '{"input": "...", "choices": ["...", "..."], "label": 0} per line',
  loglikelihood_rolling: '{"text": "..."} per line',
};

/** `\n` and `\t` typed as two characters mean a line break and a tab (a separator is usually a blank line). */
function unescape(text: string): string {
  return text.replace(/\\n/g, "\n").replace(/\\t/g, "\t");
}

function toDefinition(values: Values) {
  const number = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));
  return {
    slug: values.slug.trim(),
    name: values.name,
    description: values.description,
    family: values.family,
    promptTemplate: values.promptTemplate,
    fewshot: { count: number(values.fewshotCount), separator: unescape(values.fewshotSeparator) },
    metric: values.metric,
    itemsPerTask: number(values.itemsPerTask),
    dataset: { url: values.datasetUrl.trim(), sha256: values.datasetSha256.trim(), licence: values.datasetLicence },
  };
}

function byField(errors: readonly { field: string; message: string }[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const error of errors) result[error.field] ??= error.message;
  return result;
}

/** Creates a community benchmark: a definition of an existing family, its dataset by URL + sha256 (admins). */
export function CommunityBenchmarkForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Values>(INITIAL);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ id: string; canaries: number; references: string[] } | null>(null);

  const create = useMutation(
    trpc.benchmark.createCommunity.mutationOptions({
      onSuccess: (result) => {
        setCreated({ id: result.id, canaries: result.canaryTaskIds.length, references: result.referenceModels.map((model) => model.repo) });
        void queryClient.invalidateQueries(trpc.benchmark.list.queryFilter());
      },
      onError: (error) => {
        const fieldErrors = error.data?.fieldErrors;
        if (fieldErrors && fieldErrors.length > 0) {
          const mapped = byField(fieldErrors);
          setErrors(mapped);
          if (mapped["(definition)"]) setFormError(mapped["(definition)"]);
        } else setFormError(error.message);
      },
    }),
  );

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    setCreated(null);
    const definition = toDefinition(values);
    // The same validation as the server's, so most mistakes show at once; the server checks again (and the dataset).
    const parsed = parseCommunityBenchmark(definition);
    if (!parsed.ok) {
      setErrors(byField(parsed.errors));
      return;
    }
    setErrors({});
    create.mutate(definition);
  };

  const text = (key: keyof Values, field: string, label: string, hint: ReactNode, options: { multiline?: boolean; placeholder?: string } = {}) => {
    const id = `community-${field.replace(/\./g, "-")}`;
    const props = {
      id,
      value: values[key],
      placeholder: options.placeholder,
      "aria-invalid": errors[field] ? true : undefined,
      "aria-describedby": describedBy(id, errors[field], Boolean(hint)),
      className: inputClass,
    };
    return (
      <FormField id={id} label={label} hint={hint} error={errors[field]}>
        {options.multiline ? (
          <textarea {...props} rows={3} onChange={(event) => setValues({ ...values, [key]: event.target.value })} />
        ) : (
          <input {...props} type="text" onChange={(event) => setValues({ ...values, [key]: event.target.value })} />
        )}
      </FormField>
    );
  };

  return (
    <section aria-labelledby="community-form-heading" className="space-y-3">
      <h1 id="community-form-heading" className="text-2xl font-semibold">
        New community benchmark
      </h1>
      <p className="max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">
        A benchmark of an existing family, defined as data: no code change. Quorum stores the definition and the
        dataset&apos;s URL and sha256, never the file: the server and every runner download it and use it only if its bytes
        hash to the sha256 you pin. A definition is never edited; submitting the same slug again creates its next version.
        The benchmark starts in probation: canary tasks on two reference models must be accepted by consensus before the
        scheduler gives it to every model and the board shows it.
      </p>
      <form noValidate onSubmit={onSubmit} aria-label="Community benchmark" className="max-w-2xl space-y-4 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
        <div className="grid gap-4 sm:grid-cols-2">
          {text("slug", "slug", "Slug", "3–40 characters: a-z, 0-9 and _. The key is slug@version.", { placeholder: "arith_small" })}
          {text("name", "name", "Name", "Shown on the board and the benchmarks page.")}
        </div>
        {text("description", "description", "Description", "What it measures (at most 2,000 characters).", { multiline: true })}
        <FormField id="community-family" label="Family" hint={`Dataset format: JSON Lines, ${FORMATS[values.family]}.`} error={errors.family}>
          <select
            id="community-family"
            value={values.family}
            onChange={(event) => {
              const family = event.target.value as Family;
              setValues({
                ...values,
                family,
                metric: COMMUNITY_METRICS[family][0],
                ...(family === "loglikelihood_rolling" ? { fewshotCount: "0", promptTemplate: "Text:\n{{input}}" } : {}),
              });
            }}
            aria-describedby="community-family-hint"
            className={`${inputClass} bg-white dark:bg-zinc-950`}
          >
            {COMMUNITY_FAMILIES.map((family) => (
              <option key={family} value={family}>
                {family}
              </option>
            ))}
          </select>
        </FormField>
        {text(
          "promptTemplate",
          "promptTemplate",
          "Prompt template",
          <>
            <code>{"{{input}}"}</code> is replaced by each record&apos;s input (once; nothing else is interpreted). Rolling:
            the text before it is the first window&apos;s context, nothing after it.
          </>,
          { multiline: true },
        )}
        <div className="grid gap-4 sm:grid-cols-3">
          {text("fewshotCount", "fewshot.count", "Few-shot examples", "0–10: the first lines of the dataset, never scored.")}
          {text("fewshotSeparator", "fewshot.separator", "Separator", "Between examples; \\n is a line break.")}
          <FormField id="community-metric" label="Metric" hint="The primary metric: ranks and consensus." error={errors.metric}>
            <select
              id="community-metric"
              value={values.metric}
              onChange={(event) => setValues({ ...values, metric: event.target.value })}
              aria-invalid={errors.metric ? true : undefined}
              aria-describedby={describedBy("community-metric", errors.metric, true)}
              className={`${inputClass} bg-white dark:bg-zinc-950`}
            >
              {COMMUNITY_METRICS[values.family].map((metric) => (
                <option key={metric} value={metric}>
                  {metric}
                </option>
              ))}
            </select>
          </FormField>
        </div>
        {text("itemsPerTask", "itemsPerTask", "Items per task", "1–50 sampled items per task, at most the dataset's items.")}
        {text("datasetUrl", "dataset.url", "Dataset URL", "A public http(s) URL of the file itself (no redirects, at most 64 MiB).", {
          placeholder: "https://huggingface.co/datasets/…/resolve/<commit>/data.jsonl",
        })}
        <div className="grid gap-4 sm:grid-cols-2">
          {text("datasetSha256", "dataset.sha256", "Dataset sha256", "64 lower-case hex digits: sha256sum of the file.")}
          {text("datasetLicence", "dataset.licence", "Licence", "The dataset's licence, as an SPDX identifier (CC-BY-4.0).")}
        </div>
        {formError ? <FormAlert>{formError}</FormAlert> : null}
        {created ? (
          <p role="status" className="text-sm text-emerald-800 dark:text-emerald-300">
            Created {created.id}, in probation: {created.canaries} canary tasks on {created.references.join(" and ")}. It joins the
            schedule once they are accepted. <Link href="/benchmarks" className="underline">See it on the benchmarks page</Link>.
          </p>
        ) : null}
        <button
          type="submit"
          disabled={create.isPending}
          className="rounded-md bg-zinc-900 px-4 py-2 text-sm font-medium text-white hover:bg-zinc-700 disabled:opacity-50 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
        >
          {create.isPending ? "Checking the dataset…" : "Create benchmark"}
        </button>
      </form>
    </section>
  );
}
