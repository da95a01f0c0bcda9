import type { Metadata } from "next";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { ModerationPanel } from "@/app/admin/_components/moderation-panel";
import { getSessionUser } from "@/server/auth/session";
import { getQueryClient, trpc } from "@/trpc/server";

export const metadata: Metadata = { title: "Moderation" };
export const dynamic = "force-dynamic";

export default async function AdminPage() {
  const user = await getSessionUser();
  if (user?.role !== "ADMIN") {
    return (
      <p role="alert" className="text-sm">
        Moderation is for admins. {user ? "Your account is not an admin." : "Sign in first."}
      </p>
    );
  }
  await Promise.all([
    getQueryClient().fetchQuery(trpc.runner.list.queryOptions()),
    getQueryClient().fetchQuery(trpc.moderation.auditLog.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <ModerationPanel />
    </HydrateClient>
  );
}
