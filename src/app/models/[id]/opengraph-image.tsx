import { ImageResponse } from "next/og";
import { formatInterval, formatPercent } from "@/app/_lib/format";
import { getDb } from "@/server/db";
import { getCachedLeaderboard } from "@/server/services/leaderboard/get-cached-leaderboard";

/** The social preview of a model page: its repo, overall score with n and interval, rank, and status. */
export const alt = "A model's Quorum score";
export const size = { width: 1200, height: 630 };
export const contentType = "image/png";
export const dynamic = "force-dynamic";

export default async function Image({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const db = getDb();
  const model = await db.model.findUnique({ where: { id }, select: { repo: true, revision: true, status: true } }).catch(() => null);
  const entry = model ? (await getCachedLeaderboard(db)).board.entries.find((candidate) => candidate.modelId === id) : undefined;
  const headline = !model
    ? "Model not found"
    : entry?.overall
      ? `Overall ${formatPercent(entry.overall.mean)}`
      : model.status === "ACTIVE"
        ? "Being evaluated"
        : model.status === "WITHDRAWN"
          ? "Withdrawn by its author"
          : "Not on the board";
  const detail = entry?.overall
    ? `95% interval ${formatInterval(entry.overall.lo, entry.overall.hi)} · n = ${entry.overall.n}${entry.rank ? ` · rank ${entry.rank}` : ""}`
    : "Scores appear once three independent runners agree";
  return new ImageResponse(
    (
      <div
        style={{
          width: "100%",
          height: "100%",
          display: "flex",
          flexDirection: "column",
          justifyContent: "center",
          padding: "0 88px",
          background: "linear-gradient(135deg, #082f49, #0c4a6e 60%, #075985)",
          color: "#f0f9ff",
        }}
      >
        <div style={{ fontSize: 34, color: "#bae6fd", display: "flex" }}>Quorum · open LLM leaderboard</div>
        <div style={{ fontSize: 64, fontWeight: 700, marginTop: 28, display: "flex", wordBreak: "break-all" }}>
          {model ? model.repo : id.slice(0, 40)}
        </div>
        {model ? <div style={{ fontSize: 28, color: "#bae6fd", marginTop: 8, display: "flex" }}>@{model.revision.slice(0, 12)}</div> : null}
        <div style={{ fontSize: 56, marginTop: 44, display: "flex" }}>{headline}</div>
        <div style={{ fontSize: 30, marginTop: 12, color: "#e0f2fe", display: "flex" }}>{detail}</div>
      </div>
    ),
    size,
  );
}
