/**
 * What a reader asks of the board: a sort, an order, a search and filters. One schema for the public API's query
 * string (/api/v0/leaderboard.json), the board page's URL (deep links) and the server's paging, so a link copied
 * from the page and a scripted request mean the same thing. Pure: no database, safe in the browser.
 */
import { z } from "zod";

export const WEIGHT_TYPES = ["original", "adapter", "delta"] as const;
export const PRECISIONS = ["float32", "float16", "bfloat16", "int8", "int4"] as const;
export type TSortOrder = "asc" | "desc";

/** Columns every board has; each benchmark adds `<benchmarkId>:<metric>` (e.g. `gsm8k@3:exact_match,strict-match`). */
export const FIXED_SORTS = ["rank", "model", "overall", "updated", "energy", "score_per_kwh"] as const;

/** The order a column sorts in when first chosen: best first (lower energy is better; a lower-is-better metric too). */
export function defaultOrder(sort: string, higherIsBetter?: boolean): TSortOrder {
  if (sort === "rank" || sort === "model" || sort === "energy") return "asc";
  if (sort === "overall" || sort === "updated" || sort === "score_per_kwh") return "desc";
  return higherIsBetter === false ? "asc" : "desc";
}

const lower = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : value);
const blankToUndefined = (value: unknown) => (value === "" || value === null ? undefined : value);

export const ZBoardQuerySchema = z.object({
  sort: z
    .string()
    .max(200, "expected at most 200 characters")
    .regex(/^[A-Za-z0-9_@.,:-]+$/, "expected a column key such as rank, overall or gsm8k@3:exact_match,strict-match")
    .default("rank"),
  order: z.preprocess(blankToUndefined, z.enum(["asc", "desc"], "expected asc or desc").optional()),
  q: z.preprocess(blankToUndefined, z.string().trim().max(200, "expected at most 200 characters").default("")),
  weightType: z.preprocess(
    (value) => blankToUndefined(lower(value)),
    z.enum(WEIGHT_TYPES, `expected one of ${WEIGHT_TYPES.join(", ")}`).optional(),
  ),
  precision: z.preprocess(
    (value) => blankToUndefined(lower(value)),
    z.enum(PRECISIONS, `expected one of ${PRECISIONS.join(", ")}`).optional(),
  ),
});
export type TBoardQuery = z.infer<typeof ZBoardQuerySchema>;

export const ZBoardPageSchema = z.object({
  offset: z.coerce.number().int("expected a whole number").min(0, "expected 0 or more").max(1e9, "expected at most 1000000000").default(0),
  limit: z.coerce.number().int("expected a whole number").min(1, "expected 1 to 1000").max(1000, "expected 1 to 1000").default(100),
});

/** The board page shows this many rows a page; its URL carries `page` (1-based) instead of offset and limit. */
export const BOARD_PAGE_SIZE = 50;

const QUERY_KEYS = ["sort", "order", "q", "weightType", "precision"] as const;

/** Reads a query from URL parameters; a bad value is reported as `field: what was expected`. */
export function parseBoardQuery(
  params: URLSearchParams,
): { success: true; query: TBoardQuery } | { success: false; error: string } {
  const raw = Object.fromEntries(QUERY_KEYS.map((key) => [key, params.get(key) ?? undefined]));
  const parsed = ZBoardQuerySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { success: false, error: `${issue.path.join(".")}: ${issue.message}` };
  }
  return { success: true, query: parsed.data };
}

/** The board page's 1-based page number from its URL; anything odd reads as page 1. */
export function parsePageNumber(value: string | null | undefined): number {
  const page = Number(value);
  return Number.isInteger(page) && page >= 1 && page <= 1e6 ? page : 1;
}

/** URL parameters for a query, leaving out defaults so links stay short and canonical. */
export function boardQueryParams(query: TBoardQuery, extra: Record<string, string | number | undefined> = {}): URLSearchParams {
  const params = new URLSearchParams();
  if (query.sort !== "rank") params.set("sort", query.sort);
  if (query.order) params.set("order", query.order);
  if (query.q) params.set("q", query.q);
  if (query.weightType) params.set("weightType", query.weightType);
  if (query.precision) params.set("precision", query.precision);
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, String(value));
  return params;
}

/** The public API address of one page of the board page's view. */
export function boardApiUrl(query: TBoardQuery, page: number): string {
  const params = boardQueryParams(query, { offset: (page - 1) * BOARD_PAGE_SIZE, limit: BOARD_PAGE_SIZE });
  return `/api/v0/leaderboard.json?${params.toString()}`;
}
