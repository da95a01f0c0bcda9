/**
 * A model's family: its base model (when an adapter or fine-tune names one that is registered here), the registered
 * models derived from it, and the whole tree under the family's root with each member's overall score. Base models
 * are referenced as `org/repo@<commit>` (or a bare `org/repo`), so a child matches a parent by exact reference or by
 * repo. Withdrawn and paused members stay in the tree, marked, so the lineage reads the same after a withdrawal.
 */
import type { Db } from "@/server/db";
import { getCachedLeaderboard } from "@/server/services/leaderboard/get-cached-leaderboard";

export interface LineageNode {
  id: string;
  repo: string;
  revision: string;
  weightType: "ORIGINAL" | "ADAPTER" | "DELTA";
  status: "ACTIVE" | "PAUSED" | "REJECTED" | "WITHDRAWN";
  statusReason: string | null;
  baseModel: string | null;
  overall: { mean: number; lo: number; hi: number; n: number } | null;
  rank: number | null;
  children: LineageNode[];
}

const MAX_DEPTH = 6;
const MAX_MEMBERS = 300;

type Row = Omit<LineageNode, "children" | "overall" | "rank">;

const SELECT = { id: true, repo: true, revision: true, weightType: true, status: true, statusReason: true, baseModel: true } as const;

function refRepo(ref: string): string {
  return ref.replace(/@[0-9a-f]{40}$/, "");
}

async function findParent(db: Db, row: Row): Promise<Row | null> {
  if (!row.baseModel) return null;
  const [repo, revision] = row.baseModel.includes("@") ? [refRepo(row.baseModel), row.baseModel.slice(-40)] : [row.baseModel, null];
  if (revision) {
    const exact = await db.model.findUnique({ where: { repo_revision: { repo, revision } }, select: SELECT });
    if (exact) return exact;
  }
  return db.model.findFirst({ where: { repo }, orderBy: { createdAt: "asc" }, select: SELECT });
}

async function findChildren(db: Db, parents: Row[]): Promise<Row[]> {
  if (parents.length === 0) return [];
  const refs = parents.flatMap((p) => [`${p.repo}@${p.revision}`, p.repo]);
  return db.model.findMany({ where: { baseModel: { in: refs } }, select: SELECT, orderBy: { createdAt: "asc" }, take: MAX_MEMBERS });
}

export async function getLineage(options: { db: Db; modelId: string }) {
  const { db } = options;
  const self = await db.model.findUnique({ where: { id: options.modelId }, select: SELECT });
  if (!self) return null;
  const board = (await getCachedLeaderboard(db)).board;
  const scoreOf = new Map(board.entries.map((entry) => [entry.modelId, entry]));
  const withScore = (row: Row): LineageNode => {
    const entry = scoreOf.get(row.id);
    return {
      ...row,
      overall: entry?.overall ? { mean: entry.overall.mean, lo: entry.overall.lo, hi: entry.overall.hi, n: entry.overall.n } : null,
      rank: entry?.rank ?? null,
      children: [],
    };
  };

  const base = await findParent(db, self);
  // The family's root: follow base models up (a cycle or a long chain stops the walk).
  let root: Row = self;
  const seen = new Set([self.id]);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const parent = depth === 0 ? base : await findParent(db, root);
    if (!parent || seen.has(parent.id)) break;
    seen.add(parent.id);
    root = parent;
  }
  // And down, level by level; a repo registered at several revisions matches each child once, at its exact parent.
  const rootNode = withScore(root);
  const nodes = new Map([[root.id, rootNode]]);
  let level: Row[] = [root];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0 && nodes.size < MAX_MEMBERS; depth++) {
    const children = (await findChildren(db, level)).filter((child) => !nodes.has(child.id));
    for (const child of children) {
      const exact = level.find((parent) => child.baseModel === `${parent.repo}@${parent.revision}`);
      const parent = exact ?? level.find((candidate) => candidate.repo === refRepo(child.baseModel ?? ""));
      if (!parent) continue;
      const node = withScore(child);
      nodes.set(child.id, node);
      nodes.get(parent.id)!.children.push(node);
    }
    level = children.filter((child) => nodes.has(child.id));
  }
  const derived = nodes.get(self.id)?.children.map(({ children: _children, ...rest }) => rest) ?? (await findChildren(db, [self])).map(withScore);
  return {
    base: base ? withScore(base) : null,
    derived,
    tree: rootNode,
    memberCount: nodes.size,
  };
}
