import type { ReactNode } from "react";

/** The header cells of the app's data tables, in order (one `<th scope="col">` each). */
export function ColumnHeaders({ labels }: { labels: ReactNode[] }) {
  return labels.map((label, index) => (
    <th key={index} scope="col" className="px-3 py-2 font-medium">
      {label}
    </th>
  ));
}
