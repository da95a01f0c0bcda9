import { LeaderboardView } from "@/app/_components/leaderboard-view";
import { getCaller } from "@/trpc/server";

export const dynamic = "force-dynamic";

/** Above this many models the page ships the first page of rows and the browser loads the rest. */
const FULL_RENDER_LIMIT = 300;
const FIRST_PAGE = 50;

export default async function LeaderboardPage() {
  const caller = await getCaller();
  const board = await caller.leaderboard.get();
  const isPartial = board.entries.length > FULL_RENDER_LIMIT;
  const initial = isPartial ? { ...board, entries: board.entries.slice(0, FIRST_PAGE) } : board;
  return <LeaderboardView initial={initial} isPartial={isPartial} total={board.entries.length} />;
}
