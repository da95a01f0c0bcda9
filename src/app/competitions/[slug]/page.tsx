import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { publicServerUrl } from "@/app/_lib/server-url";
import { CompetitionView } from "@/app/competitions/[slug]/_components/competition-view";
import { getDb } from "@/server/db";
import { AppError } from "@/server/errors";
import { getCompetition } from "@/server/services/competitions/get-competition";
import { onboardingMarkdown } from "@/server/services/competitions/onboarding";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  return { title: `Competition ${(await params).slug}` };
}

export default async function CompetitionPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<{ version?: string }>;
}) {
  const { slug } = await params;
  const { version: rawVersion } = await searchParams;
  const version = rawVersion && /^\d{1,6}$/.test(rawVersion) ? Number(rawVersion) : undefined;
  const state = await getCompetition({ db: getDb(), slug, version }).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "NOT_FOUND") notFound();
    throw error;
  });
  const onboarding = onboardingMarkdown(state, await publicServerUrl());
  return <CompetitionView initial={state} onboarding={onboarding} version={version} />;
}
