/** Item ids are `<prefix><zero-based index>`: `test/12` (GSM8K test line 12), `mc/3` (TruthfulQA record 3). */

export function itemId(prefix: string, index: number): string {
  return `${prefix}${index}`;
}

/** The index in an id of this prefix, or null when the id is not one of `count` items (no leading zeros, no sign). */
export function itemIndex(prefix: string, item: string, count: number): number | null {
  if (!item.startsWith(prefix)) return null;
  const digits = item.slice(prefix.length);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return null;
  const index = Number(digits);
  return index < count ? index : null;
}
