import type { Metadata } from "next";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { SignInPrompt } from "@/app/_components/sign-in-prompt";
import { SubmitView } from "@/app/submit/_components/submit-view";
import { publicServerUrl } from "@/app/_lib/server-url";
import { getSessionUser } from "@/server/auth/session";
import { getQueryClient, trpc } from "@/trpc/server";

export const metadata: Metadata = { title: "Register a model" };
export const dynamic = "force-dynamic";

export default async function SubmitPage() {
  const user = await getSessionUser();
  if (!user) {
    return (
      <SignInPrompt
        title="Register a model"
        reason="Sign in to register a model for evaluation. Quorum records who submitted each checkpoint, and asks submitters to evaluate other people's models first."
        callbackUrl="/submit"
      />
    );
  }
  await getQueryClient().fetchQuery(trpc.model.quota.queryOptions());
  return (
    <HydrateClient>
      <SubmitView serverUrl={await publicServerUrl()} />
    </HydrateClient>
  );
}
