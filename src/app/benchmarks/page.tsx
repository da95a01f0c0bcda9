import type { Metadata } from "next";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { BenchmarksView } from "@/app/benchmarks/_components/benchmarks-view";
import { EpochSeeds } from "@/app/benchmarks/_components/epoch-seeds";
import { env } from "@/env";
import { getSessionUser } from "@/server/auth/session";
import { getDb } from "@/server/db";
import { listEpochSeeds } from "@/server/services/tasks/epoch-seeds";
import { epochOf } from "@/server/services/tasks/epochs";
import { getQueryClient, trpc } from "@/trpc/server";

export const metadata: Metadata = { title: "Benchmarks" };
export const dynamic = "force-dynamic";

export default async function BenchmarksPage() {
  const now = new Date();
  const [user, , seeds] = await Promise.all([
    getSessionUser(),
    getQueryClient().fetchQuery(trpc.benchmark.list.queryOptions()),
    listEpochSeeds({ db: getDb(), now, epochMinutes: env.EPOCH_MINUTES, limit: 6 }),
  ]);
  return (
    <HydrateClient>
      <BenchmarksView canEdit={user?.role === "ADMIN"} isSignedIn={!!user} viewerId={user?.id ?? null} />
      <div className="mt-10">
        <EpochSeeds seeds={seeds} currentEpoch={epochOf(now, env.EPOCH_MINUTES)} />
      </div>
    </HydrateClient>
  );
}
