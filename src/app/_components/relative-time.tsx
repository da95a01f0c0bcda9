"use client";

import { useEffect, useState } from "react";
import { formatDateTime, formatRelative } from "@/app/_lib/format";

/** "5 min ago", kept current; the exact time is in the title and the datetime attribute. */
export function RelativeTime({ date, className }: { date: Date; className?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date)} className={className} suppressHydrationWarning>
      {formatRelative(date, now)}
    </time>
  );
}
