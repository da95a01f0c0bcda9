/**
 * Kinds of live event that change what the leaderboard shows (registrations, new tasks, decisions). The server
 * versions its cached board by the newest of these; the leaderboard page refreshes only on these. Claims,
 * heartbeats and undecided submissions change the task queue, not the board.
 */
export const BOARD_EVENT_KINDS = ["model.registered", "task.created", "task.accepted", "task.disputed", "task.failed", "model.moderated"] as const;
