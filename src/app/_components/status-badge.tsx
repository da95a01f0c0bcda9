import { clsx } from "clsx";
import type { ReactNode } from "react";

export type Tone = "neutral" | "info" | "success" | "warning" | "danger";

const TONES: Record<Tone, string> = {
  neutral: "border-zinc-300 bg-zinc-100 text-zinc-700 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  info: "border-sky-300 bg-sky-50 text-sky-800 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-200",
  success: "border-emerald-300 bg-emerald-50 text-emerald-800 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200",
  warning: "border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200",
  danger: "border-red-300 bg-red-50 text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200",
};

export function Badge({ tone = "neutral", children, title }: { tone?: Tone; children: ReactNode; title?: string }) {
  return (
    <span
      title={title}
      className={clsx("inline-flex items-center rounded-full border px-2 py-0.5 text-xs font-medium whitespace-nowrap", TONES[tone])}
    >
      {children}
    </span>
  );
}

const TASK_STATUS: Record<string, { tone: Tone; label: string }> = {
  QUEUED: { tone: "neutral", label: "Queued" },
  RUNNING: { tone: "info", label: "Running" },
  VALIDATING: { tone: "info", label: "Validating" },
  ACCEPTED: { tone: "success", label: "Accepted" },
  DISPUTED: { tone: "danger", label: "Disputed" },
  FAILED: { tone: "danger", label: "Failed" },
};

export function TaskStatusBadge({ status }: { status: string }) {
  const entry = TASK_STATUS[status] ?? { tone: "neutral" as const, label: status };
  return <Badge tone={entry.tone}>{entry.label}</Badge>;
}

const VERDICT: Record<string, { tone: Tone; label: string }> = {
  PENDING: { tone: "neutral", label: "Pending" },
  VALID: { tone: "success", label: "Valid" },
  INVALID: { tone: "danger", label: "Invalid" },
};

export function VerdictBadge({ verdict }: { verdict: string }) {
  const entry = VERDICT[verdict] ?? { tone: "neutral" as const, label: verdict };
  return <Badge tone={entry.tone}>{entry.label}</Badge>;
}
