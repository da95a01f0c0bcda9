import type { Metadata } from "next";
import { CompetitionForm } from "@/app/competitions/_components/competition-form";
import { SignInPrompt } from "@/app/_components/sign-in-prompt";
import { listBenchmarks } from "@/lib/benchmarks/registry";
import { getSessionUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "New competition" };
export const dynamic = "force-dynamic";

export default async function NewCompetitionPage() {
  const user = await getSessionUser();
  if (!user) return <SignInPrompt title="New competition" reason="Sign in as an admin to create a competition." callbackUrl="/competitions/new" />;
  if (user.role !== "ADMIN") {
    return (
      <p className="text-sm">
        Only admins create competitions here; holders of an API token with the <code>benchmark:create</code> scope can use{" "}
        <code>competition.save</code> through the API (see docs/api.md).
      </p>
    );
  }
  const benchmarks = listBenchmarks().map((d) => ({ key: d.key, name: d.name }));
  return <CompetitionForm benchmarks={benchmarks} />;
}
