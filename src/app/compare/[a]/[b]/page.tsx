import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { compareModels } from "@/server/services/compare/compare-models";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Head to head" };

function fmt(value: number | null): string {
  return value === null ? "–" : Number(value.toPrecision(3)).toString();
}

export default async function ComparePage({ params }: { params: Promise<{ a: string; b: string }> }) {
  const { a, b } = await params;
  const comparison = await compareModels({ db: getDb(), a, b }).catch((error: unknown) => {
    if (error instanceof AppError && (error.code === "NOT_FOUND" || error.code === "VALIDATION")) notFound();
    throw error;
  });
  const nameA = comparison.a.repo;
  const nameB = comparison.b.repo;
  return (
    <div className="space-y-8">
      <header className="space-y-1">
        <h1 className="text-2xl font-semibold">
          <Link href={`/models/${comparison.a.id}`} className="underline">{nameA}</Link> vs{" "}
          <Link href={`/models/${comparison.b.id}`} className="underline">{nameB}</Link>
        </h1>
        {[comparison.a, comparison.b].map((model) =>
          model.duplicateOfId ? (
            <p key={model.id} className="text-sm text-amber-700 dark:text-amber-400">
              {model.repo} is a near-duplicate of{" "}
              <Link href={`/models/${model.duplicateOfId}`} className="underline">
                an earlier model
              </Link>{" "}
              (weight fingerprint): it takes no place in competitions.
            </p>
          ) : null,
        )}
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Paired on the items both were evaluated on (same epoch, same items). Differences are A − B, oriented so that
          positive means A is better; 95% paired bootstrap interval, 10,000 resamples, seeded by the comparison (see
          docs/api.md). Also as <a className="underline" href={`/api/v0/compare/${a}/${b}.json`}>JSON</a>.
        </p>
      </header>
      {comparison.benchmarks.length === 0 ? <p>Neither model has a decided evaluation yet.</p> : null}
      {comparison.benchmarks.map((bench) => (
        <section key={bench.benchmark} aria-labelledby={`h-${bench.benchmark}`} className="space-y-3">
          <h2 id={`h-${bench.benchmark}`} className="text-lg font-semibold">
            {bench.name} <span className="text-sm font-normal text-zinc-500">({bench.metric}, {bench.higherIsBetter ? "higher is better" : "lower is better"})</span>
          </h2>
          <p data-testid="compare-sentence" className="font-medium">{bench.sentence}</p>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4">
            <dt className="text-zinc-500">Shared items</dt>
            <dd>{bench.sharedItems}</dd>
            <dt className="text-zinc-500">Epochs</dt>
            <dd>{bench.sharedEpochs.join(", ") || "–"}</dd>
            <dt className="text-zinc-500">Mean A / B</dt>
            <dd>
              {fmt(bench.meanA)} / {fmt(bench.meanB)}
            </dd>
            <dt className="text-zinc-500">Paired difference</dt>
            <dd data-testid="paired-interval">
              {fmt(bench.difference)}
              {bench.interval ? ` [${fmt(bench.interval.lo)}, ${fmt(bench.interval.hi)}]` : ""}
            </dd>
          </dl>
          {bench.differing.length > 0 ? (
            <details open={bench.differing.length <= 10}>
              <summary className="cursor-pointer text-sm">
                {bench.differingTotal} item{bench.differingTotal === 1 ? "" : "s"} where they differ
                {bench.differingTotal > bench.differing.length ? ` (first ${bench.differing.length} shown)` : ""}
              </summary>
              <table className="mt-2 w-full table-fixed text-left text-xs">
                <thead>
                  <tr className="border-b border-zinc-200 dark:border-zinc-800">
                    <th className="w-32 py-1">Item</th>
                    <th className="py-1">A: {nameA}</th>
                    <th className="py-1">B: {nameB}</th>
                  </tr>
                </thead>
                <tbody>
                  {bench.differing.map((d) => (
                    <tr key={`${d.epoch}/${d.item}`} className="border-b border-zinc-100 align-top dark:border-zinc-900">
                      <td className="py-1 font-mono">
                        {d.item}
                        <br />
                        epoch {d.epoch}
                      </td>
                      {[d.a, d.b].map((s, i) => (
                        <td key={i} className="py-1 pr-2">
                          <div>score {fmt(s.score)} · {Object.entries(s.extracted).map(([k, v]) => `${k}: ${v}`).join(", ")}</div>
                          <pre className="max-h-40 overflow-auto whitespace-pre-wrap">{s.output}</pre>
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          ) : null}
        </section>
      ))}
    </div>
  );
}
