/**
 * The board's table: sortable column headings (arrows say which way is best first for each column) and a row per
 * model. On a phone the headings give way to the sort menu in the filters and each row becomes a card.
 */
import { clsx } from "clsx";
import type { BoardColumn } from "@/app/_components/board/board-columns";
import { BoardRow } from "@/app/_components/board/board-row";
import type { TSortOrder } from "@/lib/leaderboard/board-query";
import type { TPublicModel } from "@/lib/leaderboard/public-board";

export function BoardTable({
  columns,
  models,
  sort,
  order,
  onSort,
  isLoading,
}: {
  columns: BoardColumn[];
  models: TPublicModel[];
  sort: string;
  order: TSortOrder;
  onSort: (column: BoardColumn) => void;
  isLoading: boolean;
}) {
  const sortedKey = columns.find((column) => column.sort === sort)?.key;
  return (
    <div className="rounded-lg border border-zinc-200 md:overflow-x-auto dark:border-zinc-800">
      <table className="block w-full text-sm md:table md:min-w-[960px]" aria-busy={isLoading}>
        <caption className="sr-only">Models ranked by their overall score; select a column heading to sort by it.</caption>
        <thead className="hidden bg-zinc-50 text-left text-xs text-zinc-600 md:table-header-group dark:bg-zinc-900 dark:text-zinc-400">
          <tr>
            {columns.map((column) => {
              const isSorted = column.key === sortedKey;
              return (
                <th
                  key={column.key}
                  scope="col"
                  aria-sort={isSorted ? (order === "asc" ? "ascending" : "descending") : column.sort ? "none" : undefined}
                  className="px-3 py-2 align-bottom font-medium"
                >
                  {column.sort ? (
                    <button
                      type="button"
                      onClick={() => onSort(column)}
                      className="inline-flex items-end gap-1 rounded text-left hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-sky-600 dark:hover:text-white"
                    >
                      <span>
                        {column.label}
                        {column.sublabel ? (
                          <span className="block font-normal text-zinc-500 dark:text-zinc-400">{column.sublabel}</span>
                        ) : null}
                      </span>
                      <span aria-hidden="true" className={clsx("text-[10px]", !isSorted && "opacity-30")}>
                        {(isSorted ? order : column.defaultOrder) === "asc" ? "▲" : "▼"}
                      </span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody className="block md:table-row-group md:divide-y md:divide-zinc-200 md:dark:divide-zinc-800">
          {models.map((entry) => (
            <BoardRow key={entry.id} entry={entry} columns={columns} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
