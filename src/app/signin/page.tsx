import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { enabledProviders } from "@/server/auth/options";
import { safeCallbackUrl } from "@/server/auth/safe-callback-url";
import { getSessionUser } from "@/server/auth/session";
import { SignInForm } from "@/app/signin/sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string }> }) {
  const { callbackUrl, error } = await searchParams;
  const safeCallback = safeCallbackUrl(callbackUrl);
  if (await getSessionUser()) redirect(safeCallback);
  const providers = enabledProviders();
  return (
    <div className="mx-auto max-w-sm space-y-6 py-10">
      <h1 className="text-2xl font-semibold">Sign in to Quorum</h1>
      {error ? (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {error === "CredentialsSignin" ? "That user name is not valid: use 2-32 lowercase letters, digits or '-'." : "Sign-in failed. Please try again."}
        </p>
      ) : null}
      {providers.length === 0 ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          No sign-in method is configured. An operator sets GITHUB_ID/GITHUB_SECRET or OIDC_* (see the README), or
          AUTH_DEV_LOGIN=true for local development.
        </p>
      ) : (
        <SignInForm providers={providers} callbackUrl={safeCallback} />
      )}
    </div>
  );
}
