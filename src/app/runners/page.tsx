import type { Metadata } from "next";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { RunnerTable } from "@/app/runners/_components/runner-table";
import { getQueryClient, trpc } from "@/trpc/server";

export const metadata: Metadata = { title: "Runners" };
export const dynamic = "force-dynamic";

export default async function RunnersPage() {
  await getQueryClient().fetchQuery(trpc.runner.list.queryOptions());
  return (
    <HydrateClient>
      <RunnerTable />
    </HydrateClient>
  );
}
