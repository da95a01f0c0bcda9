import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { ModelView } from "@/app/models/[id]/_components/model-view";
import { getSessionUser } from "@/server/auth/session";
import { getCaller, getQueryClient, trpc } from "@/trpc/server";

export const dynamic = "force-dynamic";

/** The model, or null when no model has this id (an id the API would refuse is not a model either). */
const loadModel = cache(async (id: string) => {
  try {
    return await (await getCaller()).model.get({ id });
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) return null;
    throw error;
  }
});

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const model = await loadModel((await params).id);
  if (!model) return { title: "Model not found" };
  // The image itself comes from ./opengraph-image.tsx (Next adds it to og:image).
  return {
    title: model.repo,
    description: `${model.repo}@${model.revision.slice(0, 7)} on Quorum: scores cross-checked by independent volunteer runners.`,
    openGraph: { title: `${model.repo} · Quorum`, type: "article" },
  };
}

export default async function ModelPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ registered?: string }>;
}) {
  const { id } = await params;
  const registered = Number((await searchParams).registered);
  const model = await loadModel(id);
  if (!model) notFound();
  const queryClient = getQueryClient();
  queryClient.setQueryData(trpc.model.get.queryKey({ id }), model);
  const [viewer] = await Promise.all([
    getSessionUser(),
    queryClient.fetchQuery(trpc.result.listEpochScores.queryOptions({ modelId: id })),
    queryClient.fetchQuery(trpc.model.lineage.queryOptions({ id })),
    queryClient.fetchQuery(trpc.model.green.queryOptions({ id })),
    queryClient.fetchQuery(trpc.model.depth.queryOptions({ id })),
  ]);
  return (
    <HydrateClient>
      <ModelView modelId={id} registeredTasks={Number.isInteger(registered) ? registered : null} viewerId={viewer?.id ?? null} />
    </HydrateClient>
  );
}
