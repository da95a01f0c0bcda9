import type { PublicEpochSeed } from "@/server/services/tasks/epoch-seeds";

/** The epoch seeds' commitments and revealed seeds, so anyone can check that items were not chosen after the fact. */
export function EpochSeeds({ seeds, currentEpoch }: { seeds: PublicEpochSeed[]; currentEpoch: number }) {
  return (
    <section aria-labelledby="epoch-seeds" className="space-y-2">
      <h2 id="epoch-seeds" className="text-lg font-semibold">
        Epoch seeds
      </h2>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Each epoch&apos;s items are drawn with a secret seed. Its commitment (sha256 of the seed) is published before the
        epoch begins and the seed when it starts: check with <code>printf %s SEED | sha256sum</code>, and recompute the
        items with the sampler in docs/benchmarks.md. Also at <a className="underline" href="/api/v0/epochs.json">/api/v0/epochs.json</a>.
      </p>
      <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
        <table className="w-full text-xs">
          <thead className="bg-zinc-50 text-left text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
            <tr>
              <th scope="col" className="px-3 py-2">Epoch</th>
              <th scope="col" className="px-3 py-2">Commitment (sha256)</th>
              <th scope="col" className="px-3 py-2">Seed</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-200 font-mono dark:divide-zinc-800">
            {seeds.map((seed) => (
              <tr key={seed.epoch}>
                <td className="px-3 py-1.5">
                  {seed.epoch}
                  {seed.epoch === currentEpoch ? " (current)" : ""}
                </td>
                <td className="px-3 py-1.5 break-all">{seed.commitment}</td>
                <td className="px-3 py-1.5 break-all">{seed.seed ?? "revealed when the epoch starts"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
