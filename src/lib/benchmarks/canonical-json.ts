/**
 * RFC 8785 (JCS) serialisation of plain JSON data, byte-identical to `canonicalJson` from
 * src/lib/protocol/signing.ts but about ten times faster on large record arrays: keys are sorted into fresh
 * objects and the engine's native JSON.stringify writes them. JSON.stringify's strings and numbers are exactly
 * JCS's (RFC 8785 defines them by ECMAScript's JSON.stringify); only key order differs, and JavaScript keeps
 * insertion order except for array-index-like keys ("0", "17"), which it puts first in numeric order. Values with
 * such keys, non-finite numbers or anything but plain objects, arrays, strings, finite numbers, booleans and null
 * go to `canonicalJson` itself, so the result is always the signing module's.
 */
import { canonicalJson } from "@/lib/protocol/signing";
import { isPlainObject } from "./plain-object";

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;
class NotPlain extends Error {}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new NotPlain();
    return value;
  }
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) throw new NotPlain();
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (ARRAY_INDEX.test(key)) throw new NotPlain();
    const child = value[key];
    if (child !== undefined) sorted[key] = sortKeys(child);
  }
  return sorted;
}

export function fastCanonicalJson(value: unknown): string {
  try {
    return JSON.stringify(sortKeys(value));
  } catch (error) {
    if (error instanceof NotPlain) return canonicalJson(value);
    throw error;
  }
}
