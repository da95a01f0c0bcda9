"use client";

/**
 * The board's state lives in the URL (deep links keep page, sort, filters and view); rows come from the public API
 * through swr: the server-rendered first page is its fallback, the previous page stays on screen while the next
 * loads, and the browser revalidates with the API's ETags. Live events that change the board revalidate only the
 * page on screen, at once and then at most every 200 ms during a burst.
 */
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef } from "react";
import useSWR from "swr";
import { boardApiUrl } from "@/lib/leaderboard/board-query";
import { boardHref, readBoardState, type BoardState } from "@/app/_components/board/board-state";
import { BOARD_EVENT_KINDS } from "@/lib/live-events";
import type { TPublicLeaderboard } from "@/lib/leaderboard/public-board";

async function fetchBoard(url: string): Promise<{ url: string; board: TPublicLeaderboard }> {
  // no-cache: always ask the server, which answers 304 from the ETag while nothing changed.
  const response = await fetch(url, { cache: "no-cache", headers: { accept: "application/json" } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new Error(body?.error ?? `The board could not be loaded (HTTP ${response.status}).`);
  }
  return { url, board: (await response.json()) as TPublicLeaderboard };
}

export function useBoard(initial: { key: string; data: TPublicLeaderboard }) {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const state = useMemo(() => readBoardState(new URLSearchParams(searchParams.toString())), [searchParams]);
  const key = boardApiUrl(state.query, state.page);
  const isInitial = key === initial.key;
  const swr = useSWR(key, fetchBoard, {
    fallbackData: isInitial ? { url: initial.key, board: initial.data } : undefined,
    revalidateOnMount: !isInitial,
    keepPreviousData: true,
    revalidateOnFocus: false,
  });

  /** Moves to a new state: `push` for pages (Back returns), `replace` while typing a search. */
  const navigate = useCallback(
    (next: BoardState, mode: "push" | "replace" = "push") => {
      const href = boardHref(pathname, next);
      if (mode === "push") window.history.pushState(null, "", href);
      else window.history.replaceState(null, "", href);
    },
    [pathname],
  );

  /**
   * The state as the URL holds it now. Handlers merge their change into this, not into the state of the render they
   * were created in: two changes in a row (a search applied as the box loses focus, then a click on a column) must
   * both land, although the second handler was created before the first was rendered.
   */
  const current = useCallback(() => readBoardState(new URLSearchParams(window.location.search)), []);

  const { mutate } = swr;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const isPending = useRef(false);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const onLiveEvent = useCallback(
    (event: { kind: string }) => {
      if (!(BOARD_EVENT_KINDS as readonly string[]).includes(event.kind)) return;
      if (timer.current) {
        isPending.current = true;
        return;
      }
      void mutate();
      timer.current = setTimeout(function flush() {
        timer.current = null;
        if (!isPending.current) return;
        isPending.current = false;
        void mutate();
        timer.current = setTimeout(flush, 200);
      }, 200);
    },
    [mutate],
  );

  return {
    state,
    current,
    navigate,
    board: swr.data?.board ?? initial.data,
    /** true while the rows on screen are another query's (keepPreviousData) */
    isLoading: swr.data?.url !== key,
    error: swr.error as Error | undefined,
    onLiveEvent,
  };
}
