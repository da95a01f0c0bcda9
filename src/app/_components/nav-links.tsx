"use client";

import { clsx } from "clsx";
import Link from "next/link";
import { usePathname } from "next/navigation";

const NAV = [
  { href: "/", label: "Leaderboard" },
  { href: "/tasks", label: "Tasks" },
  { href: "/runners", label: "Runners" },
  { href: "/benchmarks", label: "Benchmarks" },
  { href: "/competitions", label: "Competitions" },
  { href: "/submit", label: "Submit a model" },
];

export function NavLinks() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="-mx-1 flex flex-wrap gap-1 text-sm">
      {NAV.map((item) => {
        const isCurrent = item.href === "/" ? pathname === "/" || pathname.startsWith("/models/") : pathname.startsWith(item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={isCurrent ? "page" : undefined}
            className={clsx(
              "rounded-md px-2 py-1",
              isCurrent
                ? "bg-zinc-100 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-white"
                : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-white",
            )}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
