/**
 * The client's address, for per-address limits. Next.js (and any proxy in front of it) appends the peer address
 * to X-Forwarded-For, so the right-most entry is the one a client cannot forge; entries to its left are the
 * client's own claims. Behind N trusted proxies, set TRUSTED_PROXY_HOPS=N to read N entries further left.
 */
import { env } from "@/env";

export function clientIpOf(headers: Headers, hops: number = env.TRUSTED_PROXY_HOPS): string {
  const forwarded = headers
    .get("x-forwarded-for")
    ?.split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (forwarded && forwarded.length > 0) return forwarded[Math.max(0, forwarded.length - 1 - hops)]!.slice(0, 64);
  return (headers.get("x-real-ip") ?? "unknown").slice(0, 64);
}
