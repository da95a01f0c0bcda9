/**
 * Users from sign-in identities. A user is found by the provider's immutable account id (GitHub's numeric user id,
 * the OIDC `sub`), never by a display name or an e-mail. The role is decided afresh at every sign-in from
 * QUORUM_ADMINS (docs/security.md, "Who is an admin"):
 * - an entry without '@' matches a GitHub login (the immutable-per-account handle GitHub returns as `login`, not the
 *   free-form display name) or a development sign-in name;
 * - an entry with '@' matches an e-mail the provider marked verified (OIDC `email_verified: true`).
 * Removing someone from QUORUM_ADMINS demotes them at their next sign-in.
 */
import type { Db } from "@/server/db";
import { prismaErrorCode } from "@/server/errors";

export interface SignInIdentity {
  provider: string;
  providerAccountId: string;
  /** Shown on the site: the GitHub login, the OIDC preferred name, or the dev user name. */
  name: string;
  /** The provider's stable handle that admins are matched on (GitHub login, dev user name); null for OIDC. */
  login?: string | null;
  /** Only e-mails the provider verified are stored or matched; an unverified one is ignored. */
  email?: string | null;
  isEmailVerified?: boolean;
  image?: string | null;
}

export interface SessionUser {
  id: string;
  name: string;
  role: "USER" | "ADMIN";
  image: string | null;
}

/** Whether this identity is named by QUORUM_ADMINS (entries lower-cased by src/env.js). */
export function isAdminIdentity(identity: SignInIdentity, admins: readonly string[]): boolean {
  const login = identity.login?.toLowerCase();
  if (login && admins.some((entry) => !entry.includes("@") && entry === login)) return true;
  const email = identity.isEmailVerified ? identity.email?.toLowerCase() : undefined;
  return !!email && admins.some((entry) => entry.includes("@") && entry === email);
}

export async function upsertUserFromIdentity(
  db: Db,
  identity: SignInIdentity,
  admins: readonly string[],
): Promise<SessionUser> {
  const role = isAdminIdentity(identity, admins) ? "ADMIN" : "USER";
  const verifiedEmail = identity.isEmailVerified && identity.email ? identity.email.toLowerCase() : null;
  const account = await db.account.findUnique({
    where: { provider_providerAccountId: { provider: identity.provider, providerAccountId: identity.providerAccountId } },
    include: { user: true },
  });
  if (account) {
    const user =
      account.user.role !== role ? await db.user.update({ where: { id: account.user.id }, data: { role } }) : account.user;
    return { id: user.id, name: user.name, role: user.role, image: user.image };
  }
  // A new identity never joins an existing user by e-mail (that would hand an account to whoever controls the
  // e-mail at some provider); an e-mail already taken by another user is simply not stored.
  const emailTaken = verifiedEmail ? await db.user.findUnique({ where: { email: verifiedEmail } }) : null;
  const create = (email: string | null) =>
    db.user.create({
      data: {
        name: identity.name,
        email,
        image: identity.image ?? null,
        role,
        accounts: { create: { provider: identity.provider, providerAccountId: identity.providerAccountId } },
      },
    });
  let user;
  try {
    user = await create(emailTaken ? null : verifiedEmail);
  } catch (error) {
    // Two first sign-ins racing on one e-mail: keep the second user without it rather than refusing the sign-in.
    if (prismaErrorCode(error) !== "P2002" || !verifiedEmail) throw error;
    user = await create(null);
  }
  return { id: user.id, name: user.name, role: user.role, image: user.image };
}

/**
 * The identity next-auth hands the jwt callback at sign-in, read from the provider's raw profile: GitHub's `login`
 * (next-auth maps `name` to the display name, which anyone can set to anything), OIDC's `email_verified`.
 */
export function identityFromSignIn(options: {
  provider: string;
  providerAccountId: string;
  user: { name?: string | null; email?: string | null; image?: string | null };
  profile?: Record<string, unknown>;
}): SignInIdentity {
  const { provider, providerAccountId, user, profile } = options;
  const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : null);
  if (provider === "github") {
    const login = text(profile?.login);
    return {
      provider,
      providerAccountId,
      name: login ?? text(user.name) ?? providerAccountId,
      login,
      // GitHub's profile e-mail is whatever the user chose to show; it is not used to decide anything.
      email: null,
      isEmailVerified: false,
      image: user.image ?? null,
    };
  }
  if (provider === "dev") {
    return { provider, providerAccountId, name: providerAccountId, login: providerAccountId, email: null, image: null };
  }
  const emailVerified = profile?.email_verified;
  return {
    provider,
    providerAccountId,
    name: text(user.name) ?? providerAccountId,
    login: null,
    email: text(profile?.email) ?? text(user.email),
    isEmailVerified: emailVerified === true || emailVerified === "true",
    image: user.image ?? null,
  };
}
