import { env } from "@/env";

/** The server's public origin for links in API documents: NEXTAUTH_URL when configured, else the request's own. */
export function publicOrigin(request: Request): string {
  if (env.NEXTAUTH_URL) return env.NEXTAUTH_URL.replace(/\/$/, "");
  return new URL(request.url).origin;
}

export const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" };
