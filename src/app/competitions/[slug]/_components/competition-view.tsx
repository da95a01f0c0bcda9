"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import type { RouterOutputs } from "@/app/_lib/router-types";
import { useTRPC } from "@/trpc/react";

type State = RouterOutputs["competition"]["get"];
type Figures = NonNullable<State["decisions"][number]["figures"]>;

const RULE_NAMES: Record<string, string> = {
  board: "Board",
  king: "King of the hill",
  roster: "Sticky roster",
  band: "Best within a resolution band",
};

function fmt(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : Number(value.toPrecision(3)).toString();
}

function FiguresText({ figures }: { figures: Figures | null }) {
  if (!figures) return null;
  return (
    <span>
      {figures.sharedItems} shared items, mean difference {fmt(figures.mean)}
      {figures.lcb !== null ? `, lower bound ${fmt(figures.lcb)} (95% interval ${fmt(figures.lo)} to ${fmt(figures.hi)})` : ""}
    </span>
  );
}

/** A competition's page: the standing, the king chain (or roster shifts), pending duels and the contract. Refreshes every 2 s. */
export function CompetitionView({ initial, onboarding, version }: { initial: State; onboarding: string; version?: number }) {
  const trpc = useTRPC();
  const { data } = useQuery({
    ...trpc.competition.get.queryOptions({ slug: initial.slug, version }),
    initialData: initial,
    refetchInterval: version === undefined ? 2000 : false,
  });
  const state = data ?? initial;
  const name = (id: string | null) => {
    if (!id) return "–";
    const model = state.models[id];
    return model ? model.repo : id;
  };
  const ModelLink = ({ id }: { id: string | null }) =>
    id ? (
      <Link href={`/models/${id}`} className="underline">
        {name(id)}
      </Link>
    ) : (
      <span>–</span>
    );
  const title = state.rule === "king" ? "King" : state.rule === "roster" ? "Roster" : state.rule === "band" ? "Best" : "Leader";
  const chain = state.decisions.filter((d) => d.outcome === "crowned" || d.outcome === "won").reverse();
  const others = state.decisions.filter((d) => d.outcome === "lost" || d.outcome === "refused").reverse();
  const ranked = [...state.snapshot.means].sort((a, b) => {
    const higher = state.benchmarks[0]?.higherIsBetter ?? true;
    return higher ? b.mean - a.mean : a.mean - b.mean;
  });
  const [lead] = state.snapshot.standing;

  return (
    <div className="space-y-8">
      <header className="space-y-2">
        <h1 className="text-2xl font-semibold">{state.title}</h1>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          {RULE_NAMES[state.rule] ?? state.rule} · {state.benchmarks.map((b) => `${b.name} (${b.higherIsBetter ? "higher is better" : "lower is better"})`).join(", ")} · version{" "}
          {state.version}
          {state.versions.length > 1 ? (
            <>
              {" "}
              (versions:{" "}
              {state.versions.map((v) => (
                <Link key={v.version} href={`/competitions/${state.slug}?version=${v.version}`} className="underline">
                  {v.version}{" "}
                </Link>
              ))}
              )
            </>
          ) : null}
        </p>
        {state.description ? <p className="max-w-3xl text-sm">{state.description}</p> : null}
      </header>

      {state.rule !== "board" ? (
        <section aria-labelledby="standing-heading" className="space-y-2">
          <h2 id="standing-heading" className="text-lg font-semibold">
            {title}
          </h2>
          {state.snapshot.standing.length === 0 ? (
            <p className="text-sm">No model has enough evaluations yet.</p>
          ) : (
            <ol aria-label={title} className="list-decimal space-y-1 pl-6">
              {state.snapshot.standing.map((id) => (
                <li key={id} data-testid={id === lead ? "current-leader" : undefined}>
                  <ModelLink id={id} />
                </li>
              ))}
            </ol>
          )}
        </section>
      ) : null}

      {state.rule !== "board" ? (
        <section aria-labelledby="chain-heading" className="space-y-2">
          <h2 id="chain-heading" className="text-lg font-semibold">
            {state.rule === "king" ? "King chain" : state.rule === "roster" ? "Roster changes" : "Best history"}
          </h2>
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-zinc-200 dark:border-zinc-800">
                <th className="py-1 pr-3">Model</th>
                <th className="py-1 pr-3">From</th>
                <th className="py-1 pr-3">Took over from</th>
                <th className="py-1">Figures</th>
              </tr>
            </thead>
            <tbody>
              {chain.map((d) => (
                <tr key={d.seq} className="border-b border-zinc-100 align-top dark:border-zinc-900">
                  <td className="py-1 pr-3">
                    <ModelLink id={d.challengerId} />
                  </td>
                  <td className="py-1 pr-3">{new Date(d.createdAt).toISOString().slice(0, 16).replace("T", " ")}</td>
                  <td className="py-1 pr-3">{d.incumbentId ? <ModelLink id={d.incumbentId} /> : "first eligible model"}</td>
                  <td className="py-1">
                    <FiguresText figures={d.figures} /> {d.figures ? "" : d.reason}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      {state.snapshot.pending.length > 0 ? (
        <section aria-labelledby="pending-heading" className="space-y-2">
          <h2 id="pending-heading" className="text-lg font-semibold">
            Pending
          </h2>
          <ul className="space-y-1 text-sm">
            {state.snapshot.pending.map((p) => (
              <li key={p.challengerId}>
                <ModelLink id={p.challengerId} /> {p.incumbentId ? <>vs <ModelLink id={p.incumbentId} /></> : null}: {p.reason}
                {p.figures ? (
                  <>
                    {" "}
                    (<FiguresText figures={p.figures} />)
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {others.length > 0 ? (
        <section aria-labelledby="duels-heading" className="space-y-2">
          <h2 id="duels-heading" className="text-lg font-semibold">
            Challenges that did not change the standing
          </h2>
          <ul className="space-y-1 text-sm">
            {others.slice(0, 50).map((d) => (
              <li key={d.seq}>
                <ModelLink id={d.challengerId} /> vs <ModelLink id={d.incumbentId} />: {d.outcome}, {d.reason}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="models-heading" className="space-y-2">
        <h2 id="models-heading" className="text-lg font-semibold">
          Models
        </h2>
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="border-b border-zinc-200 dark:border-zinc-800">
              <th className="py-1 pr-3">Model</th>
              <th className="py-1 pr-3">Mean</th>
              <th className="py-1 pr-3">Items</th>
              <th className="py-1 pr-3">Evaluations</th>
              <th className="py-1">Compare</th>
            </tr>
          </thead>
          <tbody>
            {ranked.map((m) => {
              const model = state.models[m.modelId];
              return (
                <tr key={m.modelId} className="border-b border-zinc-100 dark:border-zinc-900">
                  <td className="py-1 pr-3">
                    <ModelLink id={m.modelId} />
                    {model?.duplicateOfId ? (
                      <span className="ml-2 text-xs text-amber-700 dark:text-amber-400">
                        near-duplicate of <ModelLink id={model.duplicateOfId} />
                      </span>
                    ) : null}
                  </td>
                  <td className="py-1 pr-3">{fmt(m.mean)}</td>
                  <td className="py-1 pr-3">{m.items}</td>
                  <td className="py-1 pr-3">{m.evaluations}</td>
                  <td className="py-1">
                    {lead && lead !== m.modelId ? (
                      <Link href={`/compare/${m.modelId}/${lead}`} className="underline">
                        vs {state.rule === "king" ? "king" : "leader"}
                      </Link>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="onboarding-heading" className="space-y-2">
        <h2 id="onboarding-heading" className="text-lg font-semibold">
          Onboarding
        </h2>
        <p className="text-sm">
          As Markdown: <a className="underline" href={`/api/v0/competitions/${state.slug}/onboard.md`}>onboard.md</a> · current best:{" "}
          <a className="underline" href={`/api/v0/competitions/${state.slug}/best.json`}>best.json</a>
        </p>
        <pre className="max-h-96 overflow-auto whitespace-pre-wrap rounded-md border border-zinc-200 p-3 text-xs dark:border-zinc-800">{onboarding}</pre>
      </section>
    </div>
  );
}
