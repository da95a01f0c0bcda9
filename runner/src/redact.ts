/**
 * Defence in depth for logs: the runner never logs secrets on purpose, and this scrubs anything that still looks
 * like one (an API token, a claim token, a PEM private key, an HF token) from text before it is printed.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[private key redacted]"],
  [/\bqrm_[A-Za-z0-9]+_[A-Za-z0-9_-]+/g, "qrm_[redacted]"],
  [/\bhf_[A-Za-z0-9]{20,}/g, "hf_[redacted]"],
  [/(Bearer\s+)[^\s"']+/gi, "$1[redacted]"],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Keys whose values are never printed, whatever they hold. */
const SECRET_KEYS = new Set(["token", "claimtoken", "privatekeypem", "privatekey", "authorization", "hftoken", "signature"]);

export function redactFields(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[…]";
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) return value.map((v) => redactFields(v, depth + 1));
  if (value instanceof Error) return redactSecrets(value.message);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEYS.has(k.toLowerCase()) ? "[redacted]" : redactFields(v, depth + 1);
    }
    return out;
  }
  return value;
}
