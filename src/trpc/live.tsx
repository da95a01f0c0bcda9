"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef } from "react";
import { useTRPC } from "@/trpc/react";

export interface LiveEventData {
  id: string;
  kind: string;
  taskId: string | null;
  modelId: string | null;
  at: string;
}

/**
 * Subscribes to Quorum's live events (SSE, resumable) and refreshes the page's queries when anything changes.
 * With `kinds`, only those kinds refresh (the leaderboard ignores claims). Refreshes are coalesced: the first event refreshes at once, a burst within 200 ms costs one more refetch.
 */
export function useLiveUpdates(options: { onEvent?: (event: LiveEventData) => void; kinds?: readonly string[] } = {}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onEvent = useRef(options.onEvent);
  const kinds = useRef(options.kinds);
  useEffect(() => {
    onEvent.current = options.onEvent;
    kinds.current = options.kinds;
  }, [options.onEvent, options.kinds]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const isPending = useRef(false);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  return useSubscription(
    trpc.live.events.subscriptionOptions(undefined, {
      onData: (tracked) => {
        onEvent.current?.(tracked.data);
        if (kinds.current && !kinds.current.includes(tracked.data.kind)) return;
        // Leading edge refreshes at once (a score shows within a second); a burst collapses into one more refresh.
        if (timer.current) {
          isPending.current = true;
          return;
        }
        void queryClient.invalidateQueries();
        timer.current = setTimeout(function flush() {
          timer.current = null;
          if (!isPending.current) return;
          isPending.current = false;
          void queryClient.invalidateQueries();
          timer.current = setTimeout(flush, 200);
        }, 200);
      },
    }),
  );
}
