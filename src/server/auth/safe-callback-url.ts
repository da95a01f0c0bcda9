/**
 * Where to send a user after sign-in: only a path on this site. Browsers read `/\evil.com` and `/%5Cevil.com` as
 * `//evil.com` (another host), so a backslash, an encoded one, a scheme or `//` anywhere before the path sends
 * the user home instead.
 */
const BASE = "http://quorum.invalid";

export function safeCallbackUrl(callbackUrl: string | null | undefined, fallback = "/"): string {
  if (typeof callbackUrl !== "string" || callbackUrl.length === 0 || callbackUrl.length > 2048) return fallback;
  let decoded = callbackUrl;
  try {
    decoded = decodeURIComponent(callbackUrl);
  } catch {
    return fallback;
  }
  for (const candidate of [callbackUrl, decoded]) {
    if (!candidate.startsWith("/") || candidate.startsWith("//") || candidate.includes("\\")) return fallback;
    if (/[\u0000-\u001f\u007f]/.test(candidate)) return fallback;
  }
  try {
    const url = new URL(callbackUrl, BASE);
    if (url.origin !== BASE) return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}

/** next-auth's redirect callback: same-origin absolute URLs keep their path; anything else goes home. */
export function safeRedirect(url: string, baseUrl: string): string {
  if (url === baseUrl) return `${baseUrl}/`;
  if (url.startsWith(`${baseUrl}/`)) return `${baseUrl}${safeCallbackUrl(url.slice(baseUrl.length))}`;
  return `${baseUrl}${safeCallbackUrl(url)}`;
}
