"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { z } from "zod";
import { describedBy, firstErrors, FormAlert, FormField, inputClass, serverFieldErrors } from "@/app/_components/form-field";
import { RULE_KINDS, SEED_LOCK_KEYS, ZSaveCompetitionRequestSchema } from "@/server/services/competitions/competition-input";
import { useTRPC } from "@/trpc/react";

const RULE_LABELS: Record<(typeof RULE_KINDS)[number], string> = {
  board: "Board (mean with a 95% interval, ties where intervals overlap)",
  king: "King of the hill (win margin + paired bootstrap lower bound)",
  roster: "Sticky roster (only a challenger that beats #1 enters)",
  band: "Best within a resolution band (smaller model wins ties)",
};

type NumberKey = "minEvaluations" | "minSharedItems" | "winMargin" | "rosterSize" | "band";

/** Creates a competition or changes one (same slug): a change of rules starts a new version. Admins. */
export function CompetitionForm({ benchmarks }: { benchmarks: { key: string; name: string }[] }) {
  const trpc = useTRPC();
  const [slug, setSlug] = useState("");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [rule, setRule] = useState<(typeof RULE_KINDS)[number]>("king");
  const [weights, setWeights] = useState<Record<string, string>>({ [benchmarks[0]?.key ?? ""]: "1" });
  const [numbers, setNumbers] = useState<Record<NumberKey, string>>({
    minEvaluations: "3",
    minSharedItems: "30",
    winMargin: "0.02",
    rosterSize: "3",
    band: "0.02",
  });
  const [lockKeys, setLockKeys] = useState("");
  const [refuseQuantized, setRefuseQuantized] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<{ slug: string; version: number; isNewVersion: boolean } | null>(null);

  const save = useMutation(
    trpc.competition.save.mutationOptions({
      onSuccess: (result) => setSaved(result),
      onError: (error) => {
        const fields = serverFieldErrors(error);
        if (fields) setErrors(fields);
        else setFormError(error.message);
      },
    }),
  );

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    setSaved(null);
    const number = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));
    const parsed = ZSaveCompetitionRequestSchema.safeParse({
      slug,
      title,
      description,
      rule,
      settings: {
        benchmarks: Object.entries(weights).map(([key, weight]) => ({ key, weight: number(weight) })),
        minEvaluations: number(numbers.minEvaluations),
        minSharedItems: number(numbers.minSharedItems),
        winMargin: number(numbers.winMargin),
        rosterSize: number(numbers.rosterSize),
        band: number(numbers.band),
        lockKeys: lockKeys.split(/[\s,]+/).filter(Boolean),
        refuseQuantized,
      },
    });
    if (!parsed.success) {
      const flat = z.flattenError(parsed.error);
      const nested: Record<string, string> = {};
      for (const issue of parsed.error.issues) nested[issue.path.join(".")] ??= issue.message;
      setErrors({ ...firstErrors(flat.fieldErrors), ...nested });
      return;
    }
    setErrors({});
    save.mutate(parsed.data);
  };

  const errorOf = (key: string) => errors[key] ?? errors[`settings.${key}`];
  const numberField = (key: NumberKey, label: string, hint: string) => (
    <FormField id={`competition-${key}`} label={label} hint={hint} error={errorOf(key)}>
      <input
        id={`competition-${key}`}
        type="number"
        step="any"
        value={numbers[key]}
        onChange={(event) => setNumbers({ ...numbers, [key]: event.target.value })}
        aria-invalid={errorOf(key) ? true : undefined}
        aria-describedby={describedBy(`competition-${key}`, errorOf(key), true)}
        className={inputClass}
      />
    </FormField>
  );

  return (
    <form noValidate onSubmit={onSubmit} aria-label="Competition" className="max-w-2xl space-y-4">
      <h1 className="text-2xl font-semibold">New competition (or a new version of one)</h1>
      <FormField id="competition-slug" label="Slug" hint="Its address: /competitions/<slug>. Reusing a slug changes that competition." error={errorOf("slug")}>
        <input id="competition-slug" value={slug} onChange={(e) => setSlug(e.target.value)} aria-invalid={errorOf("slug") ? true : undefined} className={inputClass} />
      </FormField>
      <FormField id="competition-title" label="Title" error={errorOf("title")}>
        <input id="competition-title" value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={errorOf("title") ? true : undefined} className={inputClass} />
      </FormField>
      <FormField id="competition-description" label="Description" error={errorOf("description")}>
        <textarea id="competition-description" value={description} onChange={(e) => setDescription(e.target.value)} className={inputClass} />
      </FormField>
      <FormField id="competition-rule" label="Ranking rule" error={errorOf("rule")}>
        <select id="competition-rule" value={rule} onChange={(e) => setRule(e.target.value as typeof rule)} className={`${inputClass} bg-white dark:bg-zinc-950`}>
          {RULE_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {RULE_LABELS[kind]}
            </option>
          ))}
        </select>
      </FormField>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Benchmarks and weights</legend>
        {benchmarks.map((b) => (
          <div key={b.key} className="flex items-center gap-3 text-sm">
            <label className="flex items-center gap-2">
              <input
                type="checkbox"
                checked={b.key in weights}
                onChange={(e) => {
                  const next = { ...weights };
                  if (e.target.checked) next[b.key] = "1";
                  else delete next[b.key];
                  setWeights(next);
                }}
              />
              {b.name} ({b.key})
            </label>
            {b.key in weights ? (
              <input
                aria-label={`Weight of ${b.key}`}
                type="number"
                step="any"
                value={weights[b.key]}
                onChange={(e) => setWeights({ ...weights, [b.key]: e.target.value })}
                className={`${inputClass} w-24`}
              />
            ) : null}
          </div>
        ))}
        {errorOf("benchmarks") ? <p className="text-sm text-red-700">{errorOf("benchmarks")}</p> : null}
      </fieldset>
      <div className="grid gap-4 sm:grid-cols-2">
        {numberField("minEvaluations", "Minimum evaluations", "Accepted tasks a model needs before it takes part.")}
        {numberField("minSharedItems", "Minimum shared items", "Items both models were evaluated on before a duel is decided.")}
        {numberField("winMargin", "Win margin", "King/roster: mean improvement needed, in the metric's units (0.02 = 2 points of 100).")}
        {numberField("rosterSize", "Roster size", "Roster: places.")}
        {numberField("band", "Resolution band", "Band: improvement a new best needs, in the metric's units.")}
      </div>
      <FormField id="competition-lockKeys" label="Locked config.json keys" hint="Must equal the incumbent's (the size class). Separate with commas." error={errorOf("lockKeys")}>
        <input id="competition-lockKeys" value={lockKeys} onChange={(e) => setLockKeys(e.target.value)} className={inputClass} />
      </FormField>
      <button type="button" className="text-sm underline" onClick={() => setLockKeys(SEED_LOCK_KEYS.join(", "))}>
        Use the Albedo seed&apos;s size-class keys
      </button>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={refuseQuantized} onChange={(e) => setRefuseQuantized(e.target.checked)} />
        Refuse quantized models (quantization_config present)
      </label>
      {formError ? <FormAlert>{formError}</FormAlert> : null}
      {saved ? (
        <p role="status" className="text-sm text-emerald-800 dark:text-emerald-300">
          Saved <Link href={`/competitions/${saved.slug}`} className="underline">{saved.slug}</Link>, version {saved.version}
          {saved.isNewVersion ? "" : " (no rule changed: same version)"}.
        </p>
      ) : null}
      <button type="submit" disabled={save.isPending} className="rounded-md bg-zinc-900 px-4 py-2 text-sm font-medium text-white disabled:opacity-50 dark:bg-white dark:text-zinc-900">
        {save.isPending ? "Saving…" : "Save competition"}
      </button>
    </form>
  );
}
