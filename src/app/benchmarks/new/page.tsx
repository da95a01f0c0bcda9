import type { Metadata } from "next";
import { SignInPrompt } from "@/app/_components/sign-in-prompt";
import { CommunityBenchmarkForm } from "@/app/benchmarks/_components/community-benchmark-form";
import { getSessionUser } from "@/server/auth/session";

export const metadata: Metadata = { title: "New benchmark" };
export const dynamic = "force-dynamic";

export default async function NewBenchmarkPage() {
  const user = await getSessionUser();
  if (!user) return <SignInPrompt title="New benchmark" reason="Sign in as an admin to create a benchmark." callbackUrl="/benchmarks/new" />;
  if (user.role !== "ADMIN") {
    return (
      <div className="max-w-3xl space-y-2">
        <h1 className="text-2xl font-semibold">New benchmark</h1>
        <p role="alert" className="text-sm">
          Not allowed: only admins create benchmarks here. Holders of an API token with the <code>benchmark:create</code> scope
          can use <code>POST /api/v0/benchmarks</code> (see docs/api.md).
        </p>
      </div>
    );
  }
  return <CommunityBenchmarkForm />;
}
