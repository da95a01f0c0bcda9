import { getServerSession } from "next-auth";
import { authOptions } from "@/server/auth/options";
import type { SessionUser } from "@/server/auth/users";

/** The signed-in user in a Server Component or route handler, or null. */
export async function getSessionUser(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions);
  return session?.user?.id ? session.user : null;
}
