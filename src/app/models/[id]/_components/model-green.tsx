"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { formatGrams, formatWh } from "@/lib/leaderboard/green";
import { useTRPC } from "@/trpc/react";

/** The model's green score: energy per item and estimated CO2, or "not measured" (never a zero). */
export function ModelGreen({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const { data } = useSuspenseQuery(trpc.model.green.queryOptions({ id: modelId }));
  const { energy, grid } = data;
  return (
    <section aria-labelledby="green-heading" className="space-y-3">
      <h2 id="green-heading" className="text-lg font-semibold">
        Energy
      </h2>
      {energy ? (
        <dl className="grid grid-cols-1 gap-x-8 gap-y-3 text-sm sm:grid-cols-3">
          <div>
            <dt className="text-xs text-zinc-600 dark:text-zinc-400">Energy per item</dt>
            <dd className="mt-0.5 font-medium tabular-nums">
              {formatWh(energy.whPerItem)}
              {energy.declared ? <span className="ml-1 text-xs font-normal text-amber-800 dark:text-amber-300">(declared)</span> : null}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-zinc-600 dark:text-zinc-400">Estimated CO₂ per item</dt>
            <dd className="mt-0.5 font-medium tabular-nums">{formatGrams(energy.co2gPerItem)}</dd>
          </div>
          <div>
            <dt className="text-xs text-zinc-600 dark:text-zinc-400">Results measured</dt>
            <dd className="mt-0.5 font-medium tabular-nums">{energy.results}</dd>
          </div>
        </dl>
      ) : (
        <p className="rounded-lg border border-dashed border-zinc-300 p-4 text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
          Not measured: no runner that evaluated this model could read its GPUs&apos; power.
        </p>
      )}
      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        Averaged over the valid results of accepted tasks. CO₂ is estimated at {grid.gramsCo2PerKwh} g CO₂/kWh ({grid.source}).
        {energy?.declared ? " Declared energy comes from the GPU watts a runner's owner declared (--gpu-watts), not from power readings." : ""}
      </p>
    </section>
  );
}
