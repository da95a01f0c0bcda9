/**
 * next-auth configuration: GitHub (when GITHUB_ID/GITHUB_SECRET are set), a generic OpenID Connect provider for
 * self-hosters (OIDC_*), and a local development sign-in that exists only when AUTH_DEV_LOGIN is on.
 * Sessions are JWTs; the user row is re-read on every request so role changes and deletions take effect at once.
 */
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import { env } from "@/env";
import { getDb } from "@/server/db";
import { safeRedirect } from "@/server/auth/safe-callback-url";
import { identityFromSignIn, upsertUserFromIdentity, type SessionUser } from "@/server/auth/users";

export const DEV_USERNAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,31}$/;

declare module "next-auth" {
  interface Session {
    user: SessionUser;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    role?: "USER" | "ADMIN";
  }
}

function providers(): NextAuthOptions["providers"] {
  const list: NextAuthOptions["providers"] = [];
  if (env.GITHUB_ID && env.GITHUB_SECRET) {
    list.push(GitHubProvider({ clientId: env.GITHUB_ID, clientSecret: env.GITHUB_SECRET }));
  }
  if (env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET) {
    list.push({
      id: "oidc",
      name: env.OIDC_NAME,
      type: "oauth",
      wellKnown: `${env.OIDC_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`,
      clientId: env.OIDC_CLIENT_ID,
      clientSecret: env.OIDC_CLIENT_SECRET,
      idToken: true,
      checks: ["pkce", "state"],
      authorization: { params: { scope: "openid profile email" } },
      profile(profile: { sub: string; name?: string; preferred_username?: string; email?: string; picture?: string }) {
        return {
          id: profile.sub,
          name: profile.preferred_username ?? profile.name ?? profile.email ?? profile.sub,
          email: profile.email ?? null,
          image: profile.picture ?? null,
        };
      },
    });
  }
  if (env.AUTH_DEV_LOGIN) {
    list.push(
      CredentialsProvider({
        id: "dev",
        name: "Development sign-in",
        credentials: { username: { label: "User name", type: "text" } },
        authorize(credentials) {
          const username = credentials?.username?.trim().toLowerCase() ?? "";
          if (!DEV_USERNAME_PATTERN.test(username)) return null;
          return { id: username, name: username };
        },
      }),
    );
  }
  return list;
}

/**
 * The configured providers as next-auth serves them. Provider factories (Credentials, GitHub) return their defaults
 * (`credentials`, "Credentials") with the caller's overrides under `options`, which next-auth merges later; read the
 * merged id and name, or the development sign-in would post to a provider that does not exist.
 */
export function enabledProviders(): { id: string; name: string }[] {
  return authOptions.providers.map((provider) => {
    const overrides = (provider as { options?: { id?: string; name?: string } }).options;
    return { id: overrides?.id ?? provider.id, name: overrides?.name ?? provider.name };
  });
}

export const authOptions: NextAuthOptions = {
  providers: providers(),
  session: { strategy: "jwt" },
  pages: { signIn: "/signin" },
  callbacks: {
    redirect({ url, baseUrl }) {
      return safeRedirect(url, baseUrl);
    },
    async jwt({ token, user, account, profile }) {
      const db = getDb();
      if (account && user) {
        const signedIn = await upsertUserFromIdentity(
          db,
          identityFromSignIn({
            provider: account.provider,
            providerAccountId: account.providerAccountId,
            user,
            profile: profile as Record<string, unknown> | undefined,
          }),
          env.QUORUM_ADMINS,
        );
        token.uid = signedIn.id;
      }
      if (typeof token.uid === "string") {
        const row = await db.user.findUnique({ where: { id: token.uid } });
        if (!row) return { ...token, uid: undefined };
        token.name = row.name;
        token.role = row.role;
        token.picture = row.image;
      }
      return token;
    },
    session({ session, token }) {
      if (typeof token.uid === "string") {
        session.user = {
          id: token.uid,
          name: token.name ?? "",
          role: token.role === "ADMIN" ? "ADMIN" : "USER",
          image: token.picture ?? null,
        };
      }
      return session;
    },
  },
};
