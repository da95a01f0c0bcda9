/**
 * Users from sign-in identities. The first sign-in with an identity creates the user; QUORUM_ADMINS (user names or
 * e-mails) become admins.
 */
import type { Db } from "@/server/db";

export interface SignInIdentity {
  provider: string;
  providerAccountId: string;
  name: string;
  email?: string | null;
  image?: string | null;
}

export interface SessionUser {
  id: string;
  name: string;
  role: "USER" | "ADMIN";
  image: string | null;
}

export async function upsertUserFromIdentity(
  db: Db,
  identity: SignInIdentity,
  admins: readonly string[],
): Promise<SessionUser> {
  const isAdmin =
    admins.includes(identity.name.toLowerCase()) || (!!identity.email && admins.includes(identity.email.toLowerCase()));
  const account = await db.account.findUnique({
    where: { provider_providerAccountId: { provider: identity.provider, providerAccountId: identity.providerAccountId } },
    include: { user: true },
  });
  if (account) {
    const user =
      isAdmin && account.user.role !== "ADMIN"
        ? await db.user.update({ where: { id: account.user.id }, data: { role: "ADMIN" } })
        : account.user;
    return { id: user.id, name: user.name, role: user.role, image: user.image };
  }
  const user = await db.user.create({
    data: {
      name: identity.name,
      email: identity.email ?? null,
      image: identity.image ?? null,
      role: isAdmin ? "ADMIN" : "USER",
      accounts: { create: { provider: identity.provider, providerAccountId: identity.providerAccountId } },
    },
  });
  return { id: user.id, name: user.name, role: user.role, image: user.image };
}
