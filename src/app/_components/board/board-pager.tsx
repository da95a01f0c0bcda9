/** Numbered pages of the board: links (so each page has an address) that the view intercepts to page in place. */
import type { MouseEvent } from "react";

export function BoardPager({
  page,
  pageCount,
  total,
  pageSize,
  hrefOf,
  onPage,
}: {
  page: number;
  pageCount: number;
  total: number;
  pageSize: number;
  hrefOf: (page: number) => string;
  onPage: (page: number) => void;
}) {
  if (pageCount <= 1) return null;
  const link = (target: number, label: string, isDisabled: boolean) =>
    isDisabled ? (
      <span aria-disabled="true" className="rounded-md border border-zinc-300 px-3 py-1.5 opacity-40 dark:border-zinc-700">
        {label}
      </span>
    ) : (
      <a
        href={hrefOf(target)}
        onClick={(event: MouseEvent<HTMLAnchorElement>) => {
          if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
          event.preventDefault();
          onPage(target);
        }}
        className="rounded-md border border-zinc-300 px-3 py-1.5 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900"
      >
        {label}
      </a>
    );
  return (
    <nav aria-label="Pages" className="flex flex-wrap items-center justify-between gap-2 text-sm">
      {link(page - 1, "Previous", page <= 1)}
      <span className="text-zinc-600 dark:text-zinc-400">
        Page {page} of {pageCount} · models {(page - 1) * pageSize + 1}–{Math.min(total, page * pageSize)} of {total}
      </span>
      {link(page + 1, "Next", page >= pageCount)}
    </nav>
  );
}
