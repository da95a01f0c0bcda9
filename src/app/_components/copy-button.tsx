"use client";

import { useEffect, useState } from "react";

/** Copies `text` to the clipboard and says so; says how to copy by hand when the browser refuses. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state !== "copied") return;
    const timer = setTimeout(() => setState("idle"), 2_000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        onClick={() => {
          navigator.clipboard.writeText(text).then(
            () => setState("copied"),
            () => setState("failed"),
          );
        }}
        className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
      >
        {state === "copied" ? "Copied" : label}
      </button>
      <span role="status" className="text-xs text-zinc-500 dark:text-zinc-400">
        {state === "failed" ? "Copying was blocked: select the text and copy it." : ""}
      </span>
    </span>
  );
}
