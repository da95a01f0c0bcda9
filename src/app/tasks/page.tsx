import type { Metadata } from "next";
import { HydrateClient } from "@/app/_components/hydrate-client";
import { TaskQueue } from "@/app/tasks/_components/task-queue";
import { TASK_SECTIONS } from "@/app/tasks/_components/task-sections";
import { getQueryClient, trpc } from "@/trpc/server";

export const metadata: Metadata = { title: "Tasks" };
export const dynamic = "force-dynamic";

export default async function TasksPage() {
  const queryClient = getQueryClient();
  await Promise.all([
    ...TASK_SECTIONS.map((section) => queryClient.fetchQuery(trpc.task.list.queryOptions({ status: section.status }))),
    queryClient.fetchQuery(trpc.runner.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <TaskQueue />
    </HydrateClient>
  );
}
