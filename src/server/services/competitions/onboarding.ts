/**
 * A competition's contract for authors and agents, as the autoresearch seed's coordinator publishes it: the rules,
 * the metric and its direction, the minimum evaluations, the locks, how to submit and how it is scored. Served as
 * Markdown (`/api/v0/competitions/<slug>/onboard.md`) and shown on the competition's page; the current best as JSON
 * (`/api/v0/competitions/<slug>/best.json`).
 */
import type { CompetitionState } from "@/server/services/competitions/get-competition";

const RULE_TEXT: Record<string, string> = {
  board: "Board: models are ranked by their mean with a 95% interval; models whose intervals overlap share a rank.",
  king:
    "King of the hill: there is one king. A challenger dethrones it only when, on the items both were evaluated on, " +
    "both gates pass: the mean paired difference (challenger - king) is at least the win margin, and the paired " +
    "bootstrap lower confidence bound of that difference is above 0.",
  roster:
    "Sticky roster: only a challenger that beats the roster's #1 (under the same two gates as king of the hill) " +
    "enters; it becomes #1 and everyone else moves down one place, the last dropping off. A challenger that does not " +
    "beat #1 leaves the roster unchanged.",
  band:
    "Best within a resolution band: a new best must improve on the current best by at least the band; a smaller " +
    "model (fewer parameters, counted from the safetensors headers) replaces the best when its metric is inside the " +
    "band or better.",
};

export function bestOf(state: CompetitionState) {
  const lead = state.snapshot.standing[0];
  const model = lead ? state.models[lead] : undefined;
  const since = [...state.decisions].reverse().find((d) => d.standing[0] === lead && d.outcome !== "lost" && d.outcome !== "refused");
  const mean = state.snapshot.means.find((m) => m.modelId === lead);
  return {
    competition: state.slug,
    version: state.version,
    rule: state.rule,
    best: model
      ? {
          modelId: model.id,
          repo: model.repo,
          revision: model.revision,
          parameterCount: model.parameterCount,
          mean: mean?.mean ?? null,
          evaluations: mean?.evaluations ?? 0,
          since: since?.createdAt ?? null,
          decision: since ? { seq: since.seq, outcome: since.outcome, reason: since.reason, figures: since.figures } : null,
        }
      : null,
    standing: state.snapshot.standing.map((id) => ({ modelId: id, repo: state.models[id]?.repo, revision: state.models[id]?.revision })),
    computedAt: state.snapshot.computedAt,
  };
}

export function onboardingMarkdown(state: CompetitionState, baseUrl: string): string {
  const s = state.settings;
  const metricLines = state.benchmarks.map(
    (b) => `- \`${b.key}\` (${b.name}): \`${b.metric}\`, ${b.higherIsBetter ? "higher is better (maximize)" : "lower is better (minimize)"}, weight ${b.weight}`,
  );
  const duel = state.rule === "king" || state.rule === "roster";
  const lines = [
    `# ${state.title}`,
    "",
    state.description,
    "",
    "## Competition",
    "",
    `- Slug: \`${state.slug}\``,
    `- Version: ${state.version} (a change of rules starts a new version; past decisions are never rewritten)`,
    `- Ranking rule: \`${state.rule}\``,
    `- Minimum independent evaluations per model: \`${s.minEvaluations}\` accepted tasks (each cross-checked by at least three runners)`,
    "",
    "## Metric",
    "",
    ...metricLines,
    "",
    "## Rules",
    "",
    RULE_TEXT[state.rule] ?? "",
    "",
    ...(duel
      ? [
          `- Win margin: ${s.winMargin} (in the metric's units; 0.02 is 2 points on a 0-100 scale)`,
          `- Paired bootstrap: alpha ${s.alpha}, ${s.resamples} resamples, seeded by sha256 of \`quorum-duel-v1|${state.slug}@${state.version}|<challenger repo@revision>|<incumbent repo@revision>\` (CPython's random.Random, see docs/api.md)`,
          `- Minimum shared items before a duel is decided: ${s.minSharedItems} (whole epochs, oldest first)`,
          ...(state.rule === "roster" ? [`- Roster size: ${s.rosterSize}`] : []),
        ]
      : []),
    ...(state.rule === "band"
      ? [`- Resolution band: ${s.band} (in the metric's units)`, `- Minimum shared items before a replacement is decided: ${s.minSharedItems}`]
      : []),
    `- Locked config.json keys (must equal the incumbent's): ${s.lockKeys.length > 0 ? s.lockKeys.map((k) => `\`${k}\``).join(", ") : "none"}`,
    `- Quantized models (\`quantization_config\` in config.json): ${s.refuseQuantized ? "refused" : "allowed"}`,
    "- Near-duplicates (weight fingerprint cosine similarity >= 0.95 with an earlier model by another author) take no part.",
    "",
    "## How to submit",
    "",
    "1. Upload your checkpoint (safetensors) to a public Hugging Face repo and note the full commit hash.",
    `2. Register \`org/repo@<commit>\` at ${baseUrl}/submit (or with an API token holding \`model:submit\`; see docs/api.md).`,
    "3. Volunteers' runners evaluate it epoch by epoch; only results that a quorum of independent runners agree on count.",
    "",
    "## How it is scored",
    "",
    "Each epoch samples the same items for every model (public, committed seeds). Comparisons pair the two models' " +
      "results item by item on the epochs both were evaluated on; the per-item scores are recomputed by the server " +
      "from the runners' raw outputs. Every decided task's prompts, outputs and scores are downloadable " +
      `(${baseUrl}/api/v0/traces/<benchmark>/<epoch>.jsonl.gz).`,
    "",
    "## Polling",
    "",
    `- This document: ${baseUrl}/api/v0/competitions/${state.slug}/onboard.md`,
    `- Current best: ${baseUrl}/api/v0/competitions/${state.slug}/best.json`,
    `- Full state (standing, decisions, pending duels): ${baseUrl}/api/v0/competitions/${state.slug}.json`,
    "",
  ];
  return lines.join("\n");
}
