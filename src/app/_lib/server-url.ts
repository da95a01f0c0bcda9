import "server-only";
import { headers } from "next/headers";
import { env } from "@/env";

/** The URL runners should use for this server: NEXTAUTH_URL when configured, else the request's own origin. */
export async function publicServerUrl(): Promise<string> {
  if (env.NEXTAUTH_URL) return env.NEXTAUTH_URL.replace(/\/$/, "");
  const list = await headers();
  const host = list.get("x-forwarded-host") ?? list.get("host") ?? "localhost:3000";
  const proto = list.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}
