import Link from "next/link";
import { getSessionUser } from "@/server/auth/session";
import { NavLinks } from "@/app/_components/nav-links";
import { SignOutButton } from "@/app/_components/sign-out-button";

export async function SiteHeader() {
  const user = await getSessionUser();
  return (
    <header className="border-b border-zinc-200 dark:border-zinc-800">
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-3 py-2 text-sm font-medium focus:not-sr-only focus:absolute focus:top-2 focus:left-2 dark:bg-zinc-900"
      >
        Skip to content
      </a>
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Link href="/" className="flex items-center gap-2 text-lg font-semibold tracking-tight">
          <svg aria-hidden="true" viewBox="0 0 24 24" className="size-6 text-sky-600 dark:text-sky-400">
            <circle cx="7" cy="12" r="4" className="fill-current opacity-50" />
            <circle cx="17" cy="12" r="4" className="fill-current opacity-50" />
            <circle cx="12" cy="7" r="4" className="fill-current opacity-70" />
          </svg>
          Quorum
        </Link>
        <NavLinks />
        <div className="ml-auto flex items-center gap-3 text-sm">
          {user ? (
            <>
              {user.role === "ADMIN" ? (
                <Link href="/admin" className="hover:underline">
                  Moderation
                </Link>
              ) : null}
              <Link href="/account" className="font-medium hover:underline">
                {user.name}
                {user.role === "ADMIN" ? " (admin)" : ""}
              </Link>
              <SignOutButton />
            </>
          ) : (
            <Link
              href="/signin"
              className="rounded-md bg-zinc-900 px-3 py-1.5 font-medium text-white hover:bg-zinc-700 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
            >
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
