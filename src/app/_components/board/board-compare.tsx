"use client";

/**
 * Head to head from the board: a box beside each model selects it; two selected rows open /compare/<a>/<b>. The
 * selection lives in a context so the row component only needs the checkbox (board-row.tsx's model cell).
 */
import Link from "next/link";
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";

interface Selection {
  selected: { id: string; repo: string }[];
  toggle: (model: { id: string; repo: string }) => void;
  clear: () => void;
}

const CompareContext = createContext<Selection | null>(null);

export function CompareSelection({ children }: { children: ReactNode }) {
  const [selected, setSelected] = useState<{ id: string; repo: string }[]>([]);
  const value = useMemo<Selection>(
    () => ({
      selected,
      // Keep the newest two: selecting a third drops the oldest.
      toggle: (model) =>
        setSelected((current) => (current.some((m) => m.id === model.id) ? current.filter((m) => m.id !== model.id) : [...current.slice(-1), model])),
      clear: () => setSelected([]),
    }),
    [selected],
  );
  return <CompareContext.Provider value={value}>{children}</CompareContext.Provider>;
}

export function CompareCheckbox({ model }: { model: { id: string; repo: string } }) {
  const selection = useContext(CompareContext);
  if (!selection) return null;
  return (
    <input
      type="checkbox"
      className="mr-2 align-middle"
      checked={selection.selected.some((m) => m.id === model.id)}
      onChange={() => selection.toggle(model)}
      aria-label={`Select ${model.repo} to compare`}
    />
  );
}

export function CompareBar() {
  const selection = useContext(CompareContext);
  if (!selection) return null;
  const [a, b] = selection.selected;
  return (
    <p className="text-xs text-zinc-600 dark:text-zinc-400" aria-live="polite">
      {a && b ? (
        <>
          <Link href={`/compare/${a.id}/${b.id}`} className="font-medium text-sky-700 underline dark:text-sky-400">
            Compare {a.repo} with {b.repo}
          </Link>{" "}
          <button type="button" className="underline" onClick={selection.clear}>
            clear
          </button>
        </>
      ) : a ? (
        `${a.repo} selected: select one more row to compare head to head.`
      ) : (
        "Select two rows (the box beside a model) to compare them head to head."
      )}
    </p>
  );
}
