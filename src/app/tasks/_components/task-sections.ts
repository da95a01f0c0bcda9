/** The sections of the tasks page, in order (shared by the page, which prefetches them, and the client view). */
export type TaskSectionStatus = "QUEUED" | "RUNNING" | "VALIDATING" | "DISPUTED" | "FAILED";

export const TASK_SECTIONS: { status: TaskSectionStatus; title: string; empty: string }[] = [
  { status: "RUNNING", title: "Running", empty: "No runner is evaluating anything right now." },
  { status: "VALIDATING", title: "Validating", empty: "No task is waiting for its remaining results." },
  { status: "QUEUED", title: "Queued", empty: "The queue is empty: every task has been claimed." },
  { status: "DISPUTED", title: "Disputed", empty: "No disputes: every decided task had runners that agreed." },
  { status: "FAILED", title: "Failed", empty: "No task has failed." },
];

