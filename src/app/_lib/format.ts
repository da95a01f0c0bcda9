/**
 * Display formats used on every page. Scores lie in [0, 1] and are always shown as percentages with one decimal.
 */

export function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/**
 * Metrics that are not shares in [0, 1] and where lower is better (heldout_ppl's, lm-evaluation-harness names; the
 * registry declares them with higherIsBetter: false). Pages without the benchmark's metric list use this.
 */
const UNBOUNDED_LOWER_IS_BETTER = new Set(["bits_per_byte", "byte_perplexity", "word_perplexity"]);

export function isUnboundedMetric(metric: string): boolean {
  return UNBOUNDED_LOWER_IS_BETTER.has(metric);
}

/** A metric's value as text: a percentage, or a plain number for perplexities and bits per byte. */
export function formatMetric(metric: string, value: number): string {
  return isUnboundedMetric(metric) ? value.toFixed(3) : formatPercent(value);
}

/** "55.1–85.3%": a 95% interval. */
export function formatInterval(lo: number, hi: number): string {
  return `${(lo * 100).toFixed(1)}–${(hi * 100).toFixed(1)}%`;
}

export function shortCommit(revision: string): string {
  return revision.slice(0, 7);
}

export function hubUrl(repo: string, revision?: string): string {
  return revision ? `https://huggingface.co/${repo}/tree/${revision}` : `https://huggingface.co/${repo}`;
}

/** A base model reference `org/repo@<commit>` split for linking; null when it is not in that form. */
export function parseModelRef(ref: string): { repo: string; revision: string } | null {
  const match = ref.match(/^(.+)@([0-9a-f]{40})$/);
  return match ? { repo: match[1]!, revision: match[2]! } : null;
}

const METRIC_LABELS: Record<string, string> = {
  "exact_match,strict-match": "strict",
  "exact_match,flexible-extract": "flexible",
  mc1: "MC1",
  mc2: "MC2",
};

/** Short column label of a harness metric name. */
export function metricLabel(metric: string): string {
  return METRIC_LABELS[metric] ?? metric;
}

/** "TruthfulQA (MC1, MC2)" -> "TruthfulQA". */
export function benchmarkShortName(name: string): string {
  return name.replace(/\s*\(.*\)\s*$/, "");
}

export const WEIGHT_TYPE_LABELS = { ORIGINAL: "Original", ADAPTER: "Adapter", DELTA: "Delta" } as const;
export const PRECISION_LABELS = {
  FLOAT16: "float16",
  BFLOAT16: "bfloat16",
  FLOAT32: "float32",
  INT8: "int8",
  INT4: "int4",
} as const;

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "just now", "5 min ago", "in 3 min". */
export function formatRelative(date: Date, now: number): string {
  const seconds = (now - date.getTime()) / 1000;
  if (Math.abs(seconds) < 10) return "just now";
  return seconds > 0 ? `${formatDuration(seconds)} ago` : `in ${formatDuration(-seconds)}`;
}

export function formatDateTime(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}
