"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Badge } from "@/app/_components/status-badge";
import { formatPercent, shortCommit, WEIGHT_TYPE_LABELS } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/router-types";
import { useTRPC } from "@/trpc/react";

type Lineage = NonNullable<RouterOutputs["model"]["lineage"]>;
type Node = Lineage["tree"];

const STATUS_LABELS = { PAUSED: "Paused", REJECTED: "Rejected", WITHDRAWN: "Withdrawn" } as const;

/** Models derived from this one and the family tree under the family's root, each member with its overall score. */
export function ModelLineage({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const { data: lineage } = useSuspenseQuery(trpc.model.lineage.queryOptions({ id: modelId }));
  if (!lineage) return null;
  return (
    <section aria-labelledby="family-heading" id="family" className="space-y-3">
      <h2 id="family-heading" className="text-lg font-semibold">
        Family
      </h2>
      <div className="text-sm">
        <h3 className="text-xs font-medium text-zinc-600 dark:text-zinc-400">Derived models registered here</h3>
        {lineage.derived.length === 0 ? (
          <p className="mt-1 text-zinc-600 dark:text-zinc-400">None yet: adapters and fine-tunes naming this model as their base appear here.</p>
        ) : (
          <ul aria-label="Derived models" className="mt-1 flex flex-wrap gap-2">
            {lineage.derived.map((child) => (
              <li key={child.id}>
                <Link href={`/models/${child.id}`} className="text-sky-700 hover:underline dark:text-sky-400">
                  {child.repo}@{shortCommit(child.revision)}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </div>
      {lineage.memberCount > 1 ? (
        <figure className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
          <figcaption className="mb-3 text-xs text-zinc-600 dark:text-zinc-400">
            Lineage of {lineage.tree.repo}: {lineage.memberCount} registered models, each with its overall score
          </figcaption>
          <ul role="tree" aria-label="Lineage tree" className="text-sm">
            <TreeNode node={lineage.tree} currentId={modelId} level={1} />
          </ul>
        </figure>
      ) : null}
    </section>
  );
}

function TreeNode({ node, currentId, level }: { node: Node; currentId: string; level: number }) {
  const isCurrent = node.id === currentId;
  return (
    <li role="treeitem" aria-level={level} aria-expanded={node.children.length > 0 ? true : undefined} aria-selected={isCurrent} className="relative">
      <div className="flex flex-wrap items-center gap-2 py-1">
        {isCurrent ? (
          <span className="font-semibold break-all">{node.repo}@{shortCommit(node.revision)} (this model)</span>
        ) : (
          <Link href={`/models/${node.id}`} className="break-all text-sky-700 hover:underline dark:text-sky-400">
            {node.repo}@{shortCommit(node.revision)}
          </Link>
        )}
        <Badge>{WEIGHT_TYPE_LABELS[node.weightType]}</Badge>
        {node.status !== "ACTIVE" ? (
          <Badge tone="danger" title={node.statusReason ?? undefined}>
            {STATUS_LABELS[node.status]}
          </Badge>
        ) : null}
        <span className="font-mono text-xs tabular-nums text-zinc-700 dark:text-zinc-300">
          {node.overall ? `overall ${formatPercent(node.overall.mean)} (n=${node.overall.n})` : "no overall score yet"}
        </span>
      </div>
      {node.children.length > 0 ? (
        <ul role="group" className="ml-3 border-l border-zinc-300 pl-4 dark:border-zinc-700">
          {node.children.map((child) => (
            <TreeNode key={child.id} node={child} currentId={currentId} level={level + 1} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
