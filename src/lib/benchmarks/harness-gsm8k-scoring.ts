/**
 * lm-evaluation-harness's scoring of `gsm8k` (task version 3.0), rule for rule:
 * - the backend cuts the generation at the first occurrence of any stop sequence (`until`);
 * - filter `strict-match`: regex `#### (\-?[0-9\.\,]+)`, first match (RegexFilter group_select 0);
 * - filter `flexible-extract`: regex `(-?[$0-9.,]{2,})|(-?[0-9]+)`, last match (group_select -1); a match is a
 *   tuple of groups and the first non-empty one is taken; no match gives "[invalid]";
 * - metric `exact_match` (api/metrics.py exact_match_hf_evaluate) with regexes_to_ignore `,`, `\$`, `(?s).*#### `,
 *   `\.$` applied in that order with re.sub to both the filtered answer and the full reference answer, then
 *   ignore_case (lower-casing both); ignore_punctuation is false.
 */

export const INVALID = "[invalid]";

const STRICT = /#### (-?[0-9.,]+)/g;
const FLEXIBLE = /(-?[$0-9.,]{2,})|(-?[0-9]+)/g;

/** The text the harness scores: `s.split(term)[0]` for every stop sequence, i.e. cut at the earliest one. */
export function cutAtStopSequences(text: string, until: readonly string[]): string {
  let end = text.length;
  for (const term of until) {
    if (term.length === 0) continue;
    const at = text.indexOf(term);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

/** `strict-match`: the number after the first "#### ", or "[invalid]". */
export function strictMatch(response: string): string {
  const first = STRICT.exec(response);
  STRICT.lastIndex = 0;
  return first ? first[1]!.trim() : INVALID;
}

/** `flexible-extract`: the last number-like run in the response, or "[invalid]". */
export function flexibleExtract(response: string): string {
  let last: RegExpExecArray | null = null;
  FLEXIBLE.lastIndex = 0;
  for (let match = FLEXIBLE.exec(response); match !== null; match = FLEXIBLE.exec(response)) last = match;
  if (!last) return INVALID;
  // re.findall returns a tuple of both groups; RegexFilter keeps the first non-empty one.
  return (last[1] || last[2] || "").trim();
}

/**
 * The harness's normalisation for exact_match on gsm8k: re.sub of `,`, `\$`, `(?s).*#### ` and `\.$` in that
 * order, then lower case. Written with string operations, each equivalent to its re.sub: the greedy
 * `(?s).*#### ` removes everything up to and including the last "#### "; `\.$` matches at most one period, the
 * last character or the one before a final "\n" (Python's `$` matches there too).
 */
export function normaliseForExactMatch(text: string): string {
  let out = text.replaceAll(",", "").replaceAll("$", "");
  const hashes = out.lastIndexOf("#### ");
  if (hashes !== -1) out = out.slice(hashes + "#### ".length);
  if (out.endsWith(".")) out = out.slice(0, -1);
  else if (out.endsWith(".\n")) out = `${out.slice(0, -2)}\n`;
  return out.toLowerCase();
}

/** 1 when the filtered answer equals the reference after normalisation, else 0. */
export function exactMatch(prediction: string, reference: string): 0 | 1 {
  return normaliseForExactMatch(prediction) === normaliseForExactMatch(reference) ? 1 : 0;
}

/** exactMatch against a reference that was already normalised (the scorer caches each item's). */
export function exactMatchNormalised(prediction: string, normalisedReference: string): 0 | 1 {
  return normaliseForExactMatch(prediction) === normalisedReference ? 1 : 0;
}
