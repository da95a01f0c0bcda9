import Link from "next/link";
import { getSessionUser } from "@/server/auth/session";
import { SignOutButton } from "@/app/_components/sign-out-button";

const NAV = [
  { href: "/", label: "Leaderboard" },
  { href: "/tasks", label: "Tasks" },
  { href: "/runners", label: "Runners" },
  { href: "/benchmarks", label: "Benchmarks" },
  { href: "/submit", label: "Submit a model" },
];

export async function SiteHeader() {
  const user = await getSessionUser();
  return (
    <header className="border-b border-zinc-200 dark:border-zinc-800">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Link href="/" className="text-lg font-semibold tracking-tight">
          Quorum
        </Link>
        <nav aria-label="Main" className="flex flex-wrap gap-4 text-sm">
          {NAV.map((item) => (
            <Link key={item.href} href={item.href} className="text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-white">
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="ml-auto flex items-center gap-3 text-sm">
          {user ? (
            <>
              <Link href="/account" className="font-medium">
                {user.name}
                {user.role === "ADMIN" ? " (admin)" : ""}
              </Link>
              <SignOutButton />
            </>
          ) : (
            <Link href="/signin" className="rounded-md bg-zinc-900 px-3 py-1.5 font-medium text-white dark:bg-white dark:text-zinc-900">
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
