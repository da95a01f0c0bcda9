import type { Metadata } from "next";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { SignInPrompt } from "@/app/_components/sign-in-prompt";
import { AccountView } from "@/app/account/_components/account-view";
import { publicServerUrl } from "@/app/_lib/server-url";
import { getSessionUser } from "@/server/auth/session";
import { getQueryClient, trpc } from "@/trpc/server";

export const metadata: Metadata = { title: "Your account" };
export const dynamic = "force-dynamic";

export default async function AccountPage() {
  const user = await getSessionUser();
  if (!user) {
    return (
      <SignInPrompt
        title="Your account"
        reason="Sign in to create runner tokens, see your runners and models, and check your earn-your-submit status."
        callbackUrl="/account"
      />
    );
  }
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.fetchQuery(trpc.account.get.queryOptions()),
    queryClient.fetchQuery(trpc.token.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <AccountView serverUrl={await publicServerUrl()} />
    </HydrateClient>
  );
}
