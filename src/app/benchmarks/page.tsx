import type { Metadata } from "next";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { BenchmarksView } from "@/app/benchmarks/_components/benchmarks-view";
import { getSessionUser } from "@/server/auth/session";
import { getQueryClient, trpc } from "@/trpc/server";

export const metadata: Metadata = { title: "Benchmarks" };
export const dynamic = "force-dynamic";

export default async function BenchmarksPage() {
  const [user] = await Promise.all([getSessionUser(), getQueryClient().fetchQuery(trpc.benchmark.list.queryOptions())]);
  return (
    <HydrateClient>
      <BenchmarksView canEdit={user?.role === "ADMIN"} isSignedIn={!!user} />
    </HydrateClient>
  );
}
