"use client";

import { useQuery } from "@tanstack/react-query";
import { clsx } from "clsx";
import { useState } from "react";
import { formatPercent, metricLabel } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/router-types";
import type { ModelTask } from "@/app/models/[id]/_components/task-card";
import { useTRPC } from "@/trpc/react";

type ResultDetail = RouterOutputs["result"]["get"];
type Item = ResultDetail["items"][number];

/** One decided task's per-item outputs: what the model answered, what was extracted, and each item's scores. */
export function ItemOutputs({ task }: { task: ModelTask }) {
  const trpc = useTRPC();
  const [selected, setSelected] = useState(task.acceptedResultId ?? task.results[0]?.id ?? "");
  const query = useQuery({ ...trpc.result.get.queryOptions({ id: selected }), enabled: selected !== "" });

  return (
    <div className="space-y-3 rounded-md bg-zinc-50 p-3 dark:bg-zinc-900">
      {task.results.length > 1 ? (
        <fieldset className="flex flex-wrap items-center gap-2 text-sm">
          <legend className="sr-only">Whose outputs to show</legend>
          <span className="text-xs text-zinc-500 dark:text-zinc-400">Outputs of</span>
          {task.results.map((result) => (
            <label
              key={result.id}
              className={clsx(
                "cursor-pointer rounded-full border px-2.5 py-0.5 text-xs",
                selected === result.id
                  ? "border-sky-500 bg-sky-50 text-sky-900 dark:bg-sky-950 dark:text-sky-100"
                  : "border-zinc-300 dark:border-zinc-700",
              )}
            >
              <input
                type="radio"
                name={`outputs-${task.id}`}
                value={result.id}
                checked={selected === result.id}
                onChange={() => setSelected(result.id)}
                className="sr-only"
              />
              {result.runner.name}
              {result.id === task.acceptedResultId ? " (accepted)" : ""}
            </label>
          ))}
        </fieldset>
      ) : null}
      {query.isPending ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400" role="status">
          Loading outputs…
        </p>
      ) : query.isError ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {query.error.message}
        </p>
      ) : (
        <ol aria-label="Per-item outputs" className="space-y-3">
          {query.data.items.map((item) => (
            <ItemRecord key={item.item} item={item} metrics={query.data.benchmark.metrics} />
          ))}
        </ol>
      )}
    </div>
  );
}

function ItemRecord({ item, metrics }: { item: Item; metrics: string[] }) {
  return (
    <li className="space-y-2 rounded-md border border-zinc-200 bg-white p-3 text-sm dark:border-zinc-800 dark:bg-zinc-950">
      <div className="flex flex-wrap items-center gap-2">
        <h4 className="font-mono text-xs font-semibold">Item {item.item}</h4>
        {metrics.map((metric) => {
          const value = item.scores[metric];
          return (
            <span
              key={metric}
              className={clsx(
                "rounded px-1.5 py-0.5 font-mono text-[11px]",
                value === 1
                  ? "bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200"
                  : value === 0
                    ? "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200"
                    : "bg-zinc-100 dark:bg-zinc-800",
              )}
            >
              {metricLabel(metric)}: {value === undefined ? "—" : value === 0 || value === 1 ? value : formatPercent(value)}
            </span>
          );
        })}
        {item.tokens !== null ? (
          <span
            className="ml-auto font-mono text-[11px] text-zinc-500 dark:text-zinc-400"
            title={
              item.output !== null
                ? "The prompt's length in the model's own tokens, as this runner's engine reported it (not used to score)"
                : "Tokens whose log-likelihood was scored, as this runner's engine reported them (not used to score)"
            }
          >
            {item.tokens.toLocaleString("en-US")} tokens (reported)
          </span>
        ) : null}
        <span
          className={clsx("font-mono text-[11px] text-zinc-400", item.tokens === null && "ml-auto")}
          title={`prompt sha256 ${item.promptSha256}`}
        >
          prompt {item.promptSha256.slice(0, 10)}…
        </span>
      </div>
      {item.question ? (
        <p className="whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">
          <span className="text-xs font-medium text-zinc-500 dark:text-zinc-400">Question: </span>
          {item.question}
        </p>
      ) : null}
      {item.output !== null ? (
        <div>
          <div className="text-xs font-medium text-zinc-500 dark:text-zinc-400">Model output</div>
          <pre className="mt-1 max-h-48 overflow-auto rounded bg-zinc-100 p-2 font-mono text-xs whitespace-pre-wrap dark:bg-zinc-900">
            {item.output}
          </pre>
        </div>
      ) : null}
      {item.choices && item.loglikelihoods ? <Choices item={item} /> : null}
      {item.detail && Object.values(item.detail).some((value) => value !== "") ? (
        <dl aria-label="Details" className="space-y-1 text-xs">
          {Object.entries(item.detail)
            .filter(([, value]) => value !== "")
            .map(([key, value]) => (
              <div key={key}>
                <dt className="font-medium text-zinc-500 dark:text-zinc-400">{detailLabel(key)}</dt>
                <dd className="whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{value}</dd>
              </div>
            ))}
        </dl>
      ) : null}
      <div className="flex flex-wrap gap-x-4 gap-y-1 text-xs">
        {item.reference !== null ? (
          <span>
            <span className="text-zinc-500 dark:text-zinc-400">Reference: </span>
            <span className="font-mono">{item.reference}</span>
          </span>
        ) : null}
        {Object.entries(item.extracted).map(([filter, value]) => (
          <span key={filter}>
            <span className="text-zinc-500 dark:text-zinc-400">Extracted ({filter}): </span>
            <span className="font-mono">{value}</span>
          </span>
        ))}
      </div>
    </li>
  );
}

/** `r0.justification` -> "Record r0: justification"; `reason` -> "Why it failed". */
function detailLabel(key: string): string {
  if (key === "reason") return "Why it failed";
  const [record, field] = key.split(".");
  if (!field) return key;
  return `Record ${record}: ${field === "cites_evidence" ? "quotes the evidence" : field}`;
}

function Choices({ item }: { item: Item }) {
  return (
    <div className="grid gap-3 md:grid-cols-2">
      {Object.entries(item.choices ?? {}).map(([target, choices]) => {
        const lls = item.loglikelihoods?.[target] ?? [];
        const chosen = Number(item.extracted[target]);
        return (
          <table key={target} className="w-full text-xs">
            <caption className="text-left font-medium text-zinc-500 dark:text-zinc-400">
              {metricLabel(target)} choices (log-likelihood)
            </caption>
            <tbody>
              {choices.map((choice, index) => (
                <tr key={index} className={clsx(index === chosen && "font-semibold")}>
                  <td className="w-6 py-0.5 align-top" aria-label={choice.isTrue ? "true answer" : "false answer"}>
                    {choice.isTrue ? "✓" : "✗"}
                  </td>
                  <td className="py-0.5 pr-2 align-top">
                    {choice.text}
                    {index === chosen ? <span className="text-sky-700 dark:text-sky-400"> ← model&apos;s choice</span> : null}
                  </td>
                  <td className="py-0.5 text-right align-top font-mono tabular-nums">{lls[index]?.toFixed(2) ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
    </div>
  );
}
