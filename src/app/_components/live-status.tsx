"use client";

import { useLiveUpdates, type LiveEventData } from "@/trpc/live";

/**
 * Subscribes the page to live updates (optionally only some kinds of event) and says whether they are flowing;
 * `onEvent` sees every event (the board revalidates its own page from it).
 */
export function LiveStatus({ kinds, onEvent }: { kinds?: readonly string[]; onEvent?: (event: LiveEventData) => void }) {
  const subscription = useLiveUpdates({ kinds, onEvent });
  const isLive = subscription.status === "pending";
  return (
    <span
      className="inline-flex items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-400"
      title={isLive ? "This page updates by itself when anything changes." : "Reconnecting to live updates…"}
    >
      <span
        aria-hidden="true"
        className={isLive ? "size-2 rounded-full bg-emerald-500" : "size-2 rounded-full bg-zinc-300 dark:bg-zinc-600"}
      />
      {isLive ? "Live" : "Connecting…"}
    </span>
  );
}
